/**
 * What training and evaluation know of a unified model: it draws images for prompts and answers
 * questions about images, both with the log-probabilities of what it chose.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Parameters } from '../compute';
import type { Rng } from '../util/random';
import type { RgbImage } from '../world/render';
import type { ModelConfig, Paradigm } from './config';
import type { AnswerDropout } from './dialogue';
import type { Layout } from './vocab';

export interface GenerateOptions {
  rng: Rng;
  /** MaskGIT steps (masked model). */
  steps?: number;
  /** Sampling temperature; 0 is greedy. */
  temperature?: number;
  /** Classifier-free guidance weight w: logits = (1 + w) cond - w uncond. */
  cfg?: number;
  /** Scale of the annealed Gumbel noise on MaskGIT's confidences. */
  confidenceNoise?: number;
}

export interface Generation {
  /** Image tokens of each image. */
  tokens: Int32Array[];
  /** The sampling step at which each token was committed (masked model; the raster index for autoregressive). */
  commitStep: Int32Array[];
  /** Log-probability of each token under the sampling distribution when it was chosen. */
  logprobs: Float32Array[];
  images: RgbImage[];
}

export interface AnswerOptions {
  /** Sample answers (with this generator) instead of greedy decoding. */
  rng?: Rng;
  temperature?: number;
}

export interface Answers {
  answers: string[];
  /** Sum of the chosen tokens' log-probabilities, per answer. */
  logprobs: number[];
}

/** How images were sampled, so their log-probabilities can be recomputed under the same distribution. */
export interface SamplingSpec {
  temperature: number;
  cfg: number;
}

/** Text logits [B, T, textVocab] of dialogues, the next token at each position [B, T] and its weight [B, T]. */
export interface AnswerLogits {
  logits: tf.Tensor;
  targets: tf.Tensor;
  weights: tf.Tensor;
}

export interface UnifiedModel {
  readonly paradigm: Paradigm;
  readonly config: ModelConfig;
  readonly params: Parameters;
  readonly layout: Layout;
  /** `images` are image tokens (the generator's own output space). */
  generationLoss(prompts: readonly string[], images: readonly Int32Array[], rng: Rng, dropPrompt?: number): tf.Scalar;
  /** Answer NLL; `dropout` hides answer words the model reads back (training only: dialogue.ts, AnswerDropout). */
  understandingLoss(images: readonly RgbImage[], questions: readonly string[], answers: readonly string[], dropout?: AnswerDropout): tf.Scalar;
  // Async: sampling reads each step's logits back, which a GPU backend in Node can only do asynchronously.
  generate(prompts: readonly string[], options: GenerateOptions): Promise<Generation>;
  answer(images: readonly RgbImage[], questions: readonly string[], options?: AnswerOptions): Promise<Answers>;
  /**
   * Differentiable log-probability [B, N] of each generated image token under the sampling
   * distribution (guidance and temperature as sampled): the autoregressive model's next-token
   * log-probs; the masked model's log-prob of each token at the MaskGIT step that committed it,
   * recomputed along the stored trajectory. `steps` limits the masked model to the tokens
   * committed at those steps (the others are 0 and their weight 0).
   */
  imageLogprobs(prompts: readonly string[], generation: Pick<Generation, 'tokens' | 'commitStep'>, sampling: SamplingSpec, steps?: readonly number[]): { logprobs: tf.Tensor; weights: tf.Tensor };
  /**
   * Differentiable text logits of each image's dialogue (question, then `answers` read back), with
   * each position's next token and its weight: 1 on the answer's tokens and <eos>, else 0.
   */
  answerLogits(images: readonly RgbImage[], questions: readonly string[], answers: readonly string[], dropout?: AnswerDropout): AnswerLogits;
  /** Differentiable sum of the answer tokens' log-probs (answer and <eos>) per example: [B]. */
  answerLogprobs(images: readonly RgbImage[], questions: readonly string[], answers: readonly string[]): tf.Tensor;
}
