/**
 * Training generation alone (generation adapters or an image expert) keeps every weight the reader
 * uses frozen. The spec validator refuses a stage that also asks to train the reader, and grpo()
 * refuses such a config from a direct caller: both say it in these words.
 */

/** The settings that train the reader's weights. */
export const READER_TRAINING_KEYS = ['trainUnderstanding', 'understandingAnchor', 'understandingDistill'] as const;

/** Why a stage that trains generation alone cannot also set `keys`. */
export function readerFrozenRefusal(keys: readonly string[]): string {
  return `training generation alone (generationAdapter, generationAttentionAdapter, generationExpert) keeps the reader's weights frozen, so ${keys.join(' and ')} would train nothing: turn ${keys.length > 1 ? 'them' : 'it'} off`;
}
