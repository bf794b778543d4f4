/**
 * The unified vocabulary both paradigms read: the world's text words, the models' special tokens,
 * and image tokens. Image tokens are embedded and predicted factorised (a shape-mask part plus a
 * colour part, see tokenizers/image.ts), so a colour is learned once for every mask.
 */
import * as tf from '@tensorflow/tfjs';
import { dense, embedding, type Parameters } from '../compute';
import { BACKGROUND_TOKEN, createImageTokenizer, createTextTokenizer, maskAndColorOf, type ImageTokenizer, type TextTokenizer } from '../tokenizers';
import { COLORS } from '../world/definition';
import { QUESTIONS } from '../world/prompts';
import type { ModelConfig } from './config';

export const SPECIALS = ['<t2i>', '<mmu>', '<soi>', '<eoi>', '<mask>'] as const;
export type Special = (typeof SPECIALS)[number];

/** The fixed text slot counts of a sequence (prompts and question + answer are padded to them). */
export interface Layout {
  text: TextTokenizer;
  image: ImageTokenizer;
  /** Text-side ids: text words then specials. */
  textSideVocab: number;
  special: Record<Special, number>;
  /** Number of masks in the image codebook; mask index `masks` means "empty" (background). */
  masks: number;
  /** Colour index COLORS.length means "none" (background). */
  colors: number;
  imageTokens: number;
  promptSlots: number;
  /** Question, <sep>, answer, <eos>. */
  dialogueSlots: number;
  maxAnswer: number;
}

export function createLayout(c: ModelConfig): Layout {
  const text = createTextTokenizer();
  const image = createImageTokenizer({ canvas: c.canvas }, c.patch);
  const special = Object.fromEntries(SPECIALS.map((s, i) => [s, text.vocabSize + i])) as Record<Special, number>;
  const longestQuestion = Math.max(...Object.values(QUESTIONS).map((q) => text.encode(q).length));
  // Longest prompt: "a photo of an orange triangle and a yellow diamond" (10 words); answers are shorter than 12.
  return {
    text,
    image,
    textSideVocab: text.vocabSize + SPECIALS.length,
    special,
    masks: image.masks.length,
    colors: COLORS.length,
    imageTokens: image.length,
    promptSlots: 12,
    dialogueSlots: longestQuestion + 1 + 12 + 1,
    maxAnswer: 12,
  };
}

export function addVocabParams(p: Parameters, c: ModelConfig, l: Layout): void {
  p.add('tok.embed', [l.textSideVocab, c.dim], { normal: 0.02 });
  p.add('img.mask_embed', [l.masks + 1, c.dim], { normal: 0.02 });
  p.add('img.color_embed', [l.colors + 1, c.dim], { normal: 0.02 });
  p.add('text.head', [c.dim, l.text.vocabSize], { normal: 0.02 });
  p.add('img.mask_head', [c.dim, l.masks + 1], { normal: 0.02 });
  p.add('img.color_head', [c.dim, l.colors + 1], { normal: 0.02 });
}

/** One batch of sequences in the unified vocabulary, as flat typed arrays [B * T]. */
export interface TokenBatch {
  batch: number;
  length: number;
  /** Text-side id at text positions (0 elsewhere). */
  textIds: Int32Array;
  /** 1 at image-token positions. */
  isImage: Float32Array;
  maskIds: Int32Array;
  colorIds: Int32Array;
}

export function emptyBatch(batch: number, length: number): TokenBatch {
  return {
    batch,
    length,
    textIds: new Int32Array(batch * length),
    isImage: new Float32Array(batch * length),
    maskIds: new Int32Array(batch * length),
    colorIds: new Int32Array(batch * length),
  };
}

/** Puts an image token at a position (background = the empty mask and no colour). */
export function setImageToken(b: TokenBatch, l: Layout, index: number, token: number): void {
  b.isImage[index] = 1;
  b.textIds[index] = 0;
  if (token === BACKGROUND_TOKEN) {
    b.maskIds[index] = l.masks;
    b.colorIds[index] = l.colors;
    return;
  }
  const parts = maskAndColorOf(token);
  if (!parts || parts.mask >= l.masks) throw new Error(`image token ${token} is outside the vocabulary`);
  b.maskIds[index] = parts.mask;
  b.colorIds[index] = parts.color;
}

export function setTextToken(b: TokenBatch, index: number, id: number): void {
  b.isImage[index] = 0;
  b.textIds[index] = id;
  b.maskIds[index] = 0;
  b.colorIds[index] = 0;
}

/** Input embeddings [B, T, dim] (positions not added). */
export function embedBatch(p: Parameters, b: TokenBatch): tf.Tensor {
  const shape = [b.batch, b.length];
  const isImage = tf.tensor(b.isImage, [...shape, 1]);
  const textPart = embedding(tf.tensor(b.textIds, shape, 'int32'), p.get('tok.embed'));
  const imagePart = tf.add(
    embedding(tf.tensor(b.maskIds, shape, 'int32'), p.get('img.mask_embed')),
    embedding(tf.tensor(b.colorIds, shape, 'int32'), p.get('img.color_embed')),
  );
  return tf.add(tf.mul(textPart, tf.sub(1, isImage)), tf.mul(imagePart, isImage));
}

/**
 * Image-token logits [..., imageVocab] from hidden states [..., dim]: token 0 (background) is the
 * empty mask with no colour; token 1 + m * colours + c is mask m in colour c.
 */
export function imageLogits(p: Parameters, l: Layout, h: tf.Tensor): tf.Tensor {
  const lead = h.shape.slice(0, -1);
  const flat = h.reshape([-1, h.shape[h.rank - 1] ?? 0]);
  const m = dense(flat, p.get('img.mask_head'));
  const c = dense(flat, p.get('img.color_head'));
  const n = flat.shape[0] ?? 0;
  const bg = tf.add(tf.slice(m, [0, l.masks], [n, 1]), tf.slice(c, [0, l.colors], [n, 1]));
  const grid = tf.add(tf.slice(m, [0, 0], [n, l.masks]).reshape([n, l.masks, 1]), tf.slice(c, [0, 0], [n, l.colors]).reshape([n, 1, l.colors]));
  return tf.concat([bg, grid.reshape([n, l.masks * l.colors])], 1).reshape([...lead, 1 + l.masks * l.colors]);
}

export function textLogits(p: Parameters, h: tf.Tensor): tf.Tensor {
  return dense(h, p.get('text.head'));
}

/** Encodes a prompt into at most `slots` text ids. */
export function promptIds(l: Layout, prompt: string): number[] {
  const ids = l.text.encode(prompt);
  if (ids.length > l.promptSlots) throw new Error(`prompt "${prompt}" is longer than ${l.promptSlots} words`);
  return ids;
}
