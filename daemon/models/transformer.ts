/**
 * The transformer body both paradigms share: pre-layer-norm blocks (attention, GELU MLP), built
 * from daemon/compute's fast blocks. An optional key/value cache lets autoregressive sampling feed
 * one position at a time instead of the whole prefix (linear instead of quadratic).
 */
import * as tf from '@tensorflow/tfjs';
import { attention, dense, gelu, layerNorm, type Parameters } from '../compute';
import type { ModelConfig } from './config';

export function addBodyParams(p: Parameters, c: ModelConfig): void {
  const std = 0.02;
  const residualStd = std / Math.sqrt(2 * c.layers);
  for (let i = 0; i < c.layers; i++) {
    const b = `blocks.${i}`;
    p.add(`${b}.ln1.gamma`, [c.dim], 'ones');
    p.add(`${b}.ln1.beta`, [c.dim], 'zeros');
    p.add(`${b}.attn.wqkv`, [c.dim, 3 * c.dim], { normal: std });
    p.add(`${b}.attn.bqkv`, [3 * c.dim], 'zeros');
    p.add(`${b}.attn.wo`, [c.dim, c.dim], { normal: residualStd });
    p.add(`${b}.attn.bo`, [c.dim], 'zeros');
    p.add(`${b}.ln2.gamma`, [c.dim], 'ones');
    p.add(`${b}.ln2.beta`, [c.dim], 'zeros');
    p.add(`${b}.mlp.w1`, [c.dim, c.mlpRatio * c.dim], { normal: std });
    p.add(`${b}.mlp.b1`, [c.mlpRatio * c.dim], 'zeros');
    p.add(`${b}.mlp.w2`, [c.mlpRatio * c.dim, c.dim], { normal: residualStd });
    p.add(`${b}.mlp.b2`, [c.dim], 'zeros');
    if (c.generationAdapter) addAdapterParams(p, c, i);
    if (c.generationAttentionAdapter) addAttentionAdapterParams(p, c, i);
  }
  p.add('ln_f.gamma', [c.dim], 'ones');
  p.add('ln_f.beta', [c.dim], 'zeros');
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
  /** A generation sequence: the generation adapters (if the config has them) act beside each MLP and attention projection. */
  generation?: boolean;
  /** Append this call's keys/values to the cache and attend over all of them (the caller disposes it). */
  cache?: KvCache;
}

/** x [B, T, dim] -> final-normed hidden states [B, T, dim]. */
export function body(p: Parameters, c: ModelConfig, x: tf.Tensor, options: BodyOptions): tf.Tensor {
  const g = (name: string): tf.Variable => p.get(name);
  let h = x;
  for (let i = 0; i < c.layers; i++) {
    const b = `blocks.${i}`;
    const n1 = layerNorm(h, g(`${b}.ln1.gamma`), g(`${b}.ln1.beta`));
    // Generation sequences add their low-rank updates of the projections (generationAttentionAdapter).
    const lowRank = options.generation && c.generationAttentionAdapter ? attentionAdapterParamNames(i).map(g) : undefined;
    let qkv = dense(n1, g(`${b}.attn.wqkv`), g(`${b}.attn.bqkv`));
    if (lowRank) qkv = tf.add(qkv, dense(dense(n1, lowRank[0]!), lowRank[1]!));
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
    const a = attention(q, k, v, { heads: c.heads, ...(options.causal ? { causal: true } : {}), ...(options.mask ? { mask: options.mask } : {}) });
    h = tf.add(h, dense(a, g(`${b}.attn.wo`), g(`${b}.attn.bo`)));
    if (lowRank) h = tf.add(h, dense(dense(a, lowRank[2]!), lowRank[3]!));
    const n2 = layerNorm(h, g(`${b}.ln2.gamma`), g(`${b}.ln2.beta`));
    h = tf.add(h, dense(gelu(dense(n2, g(`${b}.mlp.w1`), g(`${b}.mlp.b1`))), g(`${b}.mlp.w2`), g(`${b}.mlp.b2`)));
    if (options.generation && c.generationAdapter) {
      const [w1, w2] = adapterParamNames(i);
      h = tf.add(h, dense(gelu(dense(n2, g(w1))), g(w2)));
    }
  }
  return layerNorm(h, g('ln_f.gamma'), g('ln_f.beta'));
}
