/**
 * The transformer body both paradigms share: pre-layer-norm blocks (attention, GELU MLP), built
 * from daemon/compute's fast blocks. An optional key/value cache lets autoregressive sampling feed
 * one position at a time instead of the whole prefix (linear instead of quadratic).
 */
import * as tf from '@tensorflow/tfjs';
import { attention, dense, gelu, layerNorm, type Init, type Parameters } from '../compute';
import type { ModelConfig } from './config';

/** Each block's weights: name within the block, shape, initial values. */
function blockWeights(c: ModelConfig): [string, number[], Init][] {
  const std = 0.02;
  const residualStd = std / Math.sqrt(2 * c.layers);
  return [
    ['ln1.gamma', [c.dim], 'ones'],
    ['ln1.beta', [c.dim], 'zeros'],
    ['attn.wqkv', [c.dim, 3 * c.dim], { normal: std }],
    ['attn.bqkv', [3 * c.dim], 'zeros'],
    ['attn.wo', [c.dim, c.dim], { normal: residualStd }],
    ['attn.bo', [c.dim], 'zeros'],
    ['ln2.gamma', [c.dim], 'ones'],
    ['ln2.beta', [c.dim], 'zeros'],
    ['mlp.w1', [c.dim, c.mlpRatio * c.dim], { normal: std }],
    ['mlp.b1', [c.mlpRatio * c.dim], 'zeros'],
    ['mlp.w2', [c.mlpRatio * c.dim, c.dim], { normal: residualStd }],
    ['mlp.b2', [c.dim], 'zeros'],
  ];
}

export function addBodyParams(p: Parameters, c: ModelConfig): void {
  for (let i = 0; i < c.layers; i++) {
    const b = `blocks.${i}`;
    for (const [name, shape, init] of blockWeights(c)) p.add(`${b}.${name}`, shape, init);
    // The image expert starts as a copy of the shared block, so the model is the same function.
    if (c.generationExpert) for (const [name, shape] of blockWeights(c)) p.add(`${b}.img.${name}`, shape, p.get(`${b}.${name}`).dataSync() as Float32Array);
    if (c.generationAdapter) addAdapterParams(p, c, i);
    if (c.generationAttentionAdapter) addAttentionAdapterParams(p, c, i);
  }
  p.add('ln_f.gamma', [c.dim], 'ones');
  p.add('ln_f.beta', [c.dim], 'zeros');
}

/** The names of block `layer`'s image expert (ModelConfig.generationExpert): a copy of each of its weights. */
export function expertParamNames(c: ModelConfig, layer: number): string[] {
  return blockWeights(c).map(([name]) => `blocks.${layer}.img.${name}`);
}

/** The shared weight an image-expert weight copies when a model gains the expert; undefined for any other name. */
export function expertSource(name: string): string | undefined {
  const m = /^blocks\.(\d+)\.img\.(.+)$/.exec(name);
  return m ? `blocks.${m[1]}.${m[2]}` : undefined;
}

/** The names of block `layer`'s generation adapter (ModelConfig.generationAdapter). */
export function adapterParamNames(layer: number): [string, string] {
  return [`blocks.${layer}.gen.w1`, `blocks.${layer}.gen.w2`];
}

function addAdapterParams(p: Parameters, c: ModelConfig, layer: number): void {
  const [w1, w2] = adapterParamNames(layer);
  p.add(w1, [c.dim, c.generationAdapter!], { normal: 0.02 });
  // Zero: the adapter adds nothing until trained, so a base continued with one is the same function.
  p.add(w2, [c.generationAdapter!, c.dim], 'zeros');
}

/** The names of block `layer`'s low-rank attention updates for generation (ModelConfig.generationAttentionAdapter). */
export function attentionAdapterParamNames(layer: number): [string, string, string, string] {
  const b = `blocks.${layer}.gen`;
  return [`${b}.qkv_a`, `${b}.qkv_b`, `${b}.wo_a`, `${b}.wo_b`];
}

function addAttentionAdapterParams(p: Parameters, c: ModelConfig, layer: number): void {
  const [qkvA, qkvB, woA, woB] = attentionAdapterParamNames(layer);
  const r = c.generationAttentionAdapter!;
  p.add(qkvA, [c.dim, r], { normal: 0.02 });
  p.add(qkvB, [r, 3 * c.dim], 'zeros');
  p.add(woA, [c.dim, r], { normal: 0.02 });
  p.add(woB, [r, c.dim], 'zeros');
}

/** Keys and values of every layer for the positions fed so far. */
export interface KvCache {
  keys: tf.Tensor[];
  values: tf.Tensor[];
}

export function disposeCache(cache: KvCache): void {
  tf.dispose([...cache.keys, ...cache.values]);
  cache.keys = [];
  cache.values = [];
}

export interface BodyOptions {
  /** [Tq, Tk] or [B, Tq, Tk]: 1 where a query may see a key. */
  mask?: tf.Tensor;
  causal?: boolean;
  /**
   * A generation sequence whose positions from `imageFrom` on (counted in this call's input) are
   * image tokens: the generation adapters (if the config has them) act at every position, the image
   * expert (if it has one) replaces the shared block at the image positions.
   */
  generation?: { imageFrom: number };
  /** Append this call's keys/values to the cache and attend over all of them (the caller disposes it). */
  cache?: KvCache;
}

/** x [B, T, dim] -> final-normed hidden states [B, T, dim]. */
export function body(p: Parameters, c: ModelConfig, x: tf.Tensor, options: BodyOptions): tf.Tensor {
  const g = (name: string): tf.Variable => p.get(name);
  // Positions from imageFrom on use the expert (generationExpertPrompt: every position of a generation sequence).
  const imageFrom = c.generationExpert && options.generation ? (c.generationExpertPrompt ? 0 : options.generation.imageFrom) : undefined;
  let h = x;
  for (let i = 0; i < c.layers; i++) {
    const b = `blocks.${i}`;
    // Generation sequences add their low-rank updates of the projections (generationAttentionAdapter).
    const lowRank = options.generation && c.generationAttentionAdapter ? attentionAdapterParamNames(i).map(g) : undefined;
    const qkv = byPart(h, imageFrom, b, (w, part) => {
      const n1 = layerNorm(part, g(`${w}.ln1.gamma`), g(`${w}.ln1.beta`));
      const shared = dense(n1, g(`${w}.attn.wqkv`), g(`${w}.attn.bqkv`));
      return lowRank ? tf.add(shared, dense(dense(n1, lowRank[0]!), lowRank[1]!)) : shared;
    });
    const [q, kNew, vNew] = tf.split(qkv, 3, -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
    let k = kNew;
    let v = vNew;
    if (options.cache) {
      const cache = options.cache;
      const prevK = cache.keys[i];
      const prevV = cache.values[i];
      k = prevK ? tf.concat([prevK, kNew], 1) : kNew;
      v = prevV ? tf.concat([prevV, vNew], 1) : vNew;
      // The cache outlives the caller's tidy scope.
      cache.keys[i] = tf.keep(k);
      cache.values[i] = tf.keep(v);
      if (prevK) prevK.dispose();
      if (prevV) prevV.dispose();
    }
    // Attention runs over the whole sequence: image positions read the prompt's keys and values.
    const a = attention(q, k, v, { heads: c.heads, ...(options.causal ? { causal: true } : {}), ...(options.mask ? { mask: options.mask } : {}) });
    h = tf.add(h, byPart(a, imageFrom, b, (w, part) => dense(part, g(`${w}.attn.wo`), g(`${w}.attn.bo`))));
    if (lowRank) h = tf.add(h, dense(dense(a, lowRank[2]!), lowRank[3]!));
    const normed = (w: string, part: tf.Tensor): tf.Tensor => layerNorm(part, g(`${w}.ln2.gamma`), g(`${w}.ln2.beta`));
    const mlp = (w: string, n2: tf.Tensor): tf.Tensor => dense(gelu(dense(n2, g(`${w}.mlp.w1`), g(`${w}.mlp.b1`))), g(`${w}.mlp.w2`), g(`${w}.mlp.b2`));
    if (options.generation && c.generationAdapter) {
      // The adapter reads the MLP's own normed input; config.ts refuses an adapter beside an expert,
      // so the whole sequence goes through the shared block.
      const n2 = normed(b, h);
      const [w1, w2] = adapterParamNames(i);
      h = tf.add(tf.add(h, mlp(b, n2)), dense(gelu(dense(n2, g(w1))), g(w2)));
    } else {
      h = tf.add(h, byPart(h, imageFrom, b, (w, part) => mlp(w, normed(w, part))));
    }
  }
  return layerNorm(h, g('ln_f.gamma'), g('ln_f.beta'));
}

/**
 * f over the positions before `imageFrom` with block `b`'s shared weights and over those from it
 * with the image expert's (`b`.img), joined back along the sequence; all of x with the shared
 * weights when there is no expert.
 */
function byPart(x: tf.Tensor, imageFrom: number | undefined, b: string, f: (weights: string, part: tf.Tensor) => tf.Tensor): tf.Tensor {
  const T = x.shape[1]!;
  if (imageFrom === undefined || imageFrom >= T) return f(b, x);
  if (imageFrom <= 0) return f(`${b}.img`, x);
  const [text, image] = tf.split(x, [imageFrom, T - imageFrom], 1) as [tf.Tensor, tf.Tensor];
  return tf.concat([f(b, text), f(`${b}.img`, image)], 1);
}
