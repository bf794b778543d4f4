/**
 * The benchmark's reference model: a small GPT-style causal transformer (pre-layer-norm, GELU MLP,
 * learned positions, untied output head) written with daemon/compute's blocks, exactly as
 * bench/torch_reference.py writes it in PyTorch. Parameter names and layouts (dense weights are
 * [in, out]) are shared, so one safetensors file initialises both. Tests use it as a realistic
 * workload.
 */
import * as tf from '@tensorflow/tfjs';
import { attention, crossEntropy, dense, embedding, gelu, layerNorm, Parameters, reference } from '../daemon/compute';
import { Rng } from '../daemon/util/random';

export interface ReferenceConfig {
  vocab: number;
  dim: number;
  layers: number;
  heads: number;
  /** Sequence length (positions). */
  seq: number;
  /** Sequences per training step. */
  batch: number;
}

/** The benchmarked size: about 1.07 M parameters and 9.4 GFLOP per training step. */
export const REFERENCE_CONFIG: ReferenceConfig = { vocab: 1024, dim: 128, layers: 4, heads: 4, seq: 96, batch: 16 };

export function createReferenceParams(c: ReferenceConfig, seed = 1): Parameters {
  const p = new Parameters(seed);
  const std = 0.02;
  // Residual projections scaled down with depth (GPT-2), so deeper stacks start stable.
  const residualStd = std / Math.sqrt(2 * c.layers);
  p.add('tok.embed', [c.vocab, c.dim], { normal: std });
  p.add('pos.embed', [c.seq, c.dim], { normal: std });
  for (let i = 0; i < c.layers; i++) {
    const b = `blocks.${i}`;
    p.add(`${b}.ln1.gamma`, [c.dim], 'ones');
    p.add(`${b}.ln1.beta`, [c.dim], 'zeros');
    for (const w of ['wq', 'wk', 'wv']) {
      p.add(`${b}.attn.${w}`, [c.dim, c.dim], { normal: std });
      p.add(`${b}.attn.b${w.slice(1)}`, [c.dim], 'zeros');
    }
    p.add(`${b}.attn.wo`, [c.dim, c.dim], { normal: residualStd });
    p.add(`${b}.attn.bo`, [c.dim], 'zeros');
    p.add(`${b}.ln2.gamma`, [c.dim], 'ones');
    p.add(`${b}.ln2.beta`, [c.dim], 'zeros');
    p.add(`${b}.mlp.w1`, [c.dim, 4 * c.dim], { normal: std });
    p.add(`${b}.mlp.b1`, [4 * c.dim], 'zeros');
    p.add(`${b}.mlp.w2`, [4 * c.dim, c.dim], { normal: residualStd });
    p.add(`${b}.mlp.b2`, [c.dim], 'zeros');
  }
  p.add('ln_f.gamma', [c.dim], 'ones');
  p.add('ln_f.beta', [c.dim], 'zeros');
  p.add('head.w', [c.dim, c.vocab], { normal: std });
  p.add('head.b', [c.vocab], 'zeros');
  return p;
}

/** The blocks the model is written with. */
export interface Blocks {
  dense: typeof dense;
  embedding: typeof embedding;
  layerNorm: typeof layerNorm;
  gelu: typeof gelu;
  attention: typeof attention;
  crossEntropy: (logits: tf.Tensor, targets: tf.Tensor) => tf.Scalar;
}

/** daemon/compute's blocks (fast gradients, native kernels when active). */
export const FAST_BLOCKS: Blocks = { dense, embedding, layerNorm, gelu, attention, crossEntropy };

/**
 * Stock tfjs throughout, for the benchmark's baseline. Only the embedding differs from
 * `reference`: tf.gather's gradient needs a kernel (UnsortedSegmentSum) that wasm lacks, so stock
 * tfjs cannot train a gather there at all; a one-hot product is the stock way around it.
 */
export const STOCK_BLOCKS: Blocks = {
  ...reference,
  embedding: (ids, table) => {
    const [vocab, width] = table.shape as [number, number];
    const hot = tf.cast(tf.oneHot(ids.reshape([-1]), vocab), 'float32');
    return tf.matMul(hot, table).reshape([...ids.shape, width]);
  },
  crossEntropy: (logits, targets) => tf.mean(reference.tokenNll(logits, targets)),
};

/** Logits [B, T, vocab] for int32 ids [B, T] (T <= seq). */
export function referenceLogits(p: Parameters, c: ReferenceConfig, ids: tf.Tensor, blocks: Blocks = FAST_BLOCKS): tf.Tensor {
  const { dense, embedding, layerNorm, gelu, attention } = blocks;
  const t = ids.shape[1] ?? 0;
  const g = (name: string) => p.get(name);
  let x = tf.add(embedding(ids, g('tok.embed')), tf.slice(g('pos.embed'), [0, 0], [t, c.dim]));
  for (let i = 0; i < c.layers; i++) {
    const b = `blocks.${i}`;
    const h = layerNorm(x, g(`${b}.ln1.gamma`), g(`${b}.ln1.beta`));
    const q = dense(h, g(`${b}.attn.wq`), g(`${b}.attn.bq`));
    const k = dense(h, g(`${b}.attn.wk`), g(`${b}.attn.bk`));
    const v = dense(h, g(`${b}.attn.wv`), g(`${b}.attn.bv`));
    const a = attention(q, k, v, { heads: c.heads, causal: true });
    x = tf.add(x, dense(a, g(`${b}.attn.wo`), g(`${b}.attn.bo`)));
    const h2 = layerNorm(x, g(`${b}.ln2.gamma`), g(`${b}.ln2.beta`));
    const m = dense(gelu(dense(h2, g(`${b}.mlp.w1`), g(`${b}.mlp.b1`))), g(`${b}.mlp.w2`), g(`${b}.mlp.b2`));
    x = tf.add(x, m);
  }
  const hf = layerNorm(x, g('ln_f.gamma'), g('ln_f.beta'));
  return dense(hf, g('head.w'), g('head.b'));
}

/** Mean next-token cross-entropy. */
export function referenceLoss(p: Parameters, c: ReferenceConfig, inputs: tf.Tensor, targets: tf.Tensor, blocks: Blocks = FAST_BLOCKS): tf.Scalar {
  return blocks.crossEntropy(referenceLogits(p, c, inputs, blocks), targets);
}

/**
 * FLOPs of one training step, counting matrix products only (multiply-add = 2), forward plus a
 * backward of twice the forward; attention scores and mixing counted over the full T x T square
 * (which is what the kernels compute).
 */
export function referenceStepFlops(c: ReferenceConfig): number {
  const tokens = c.batch * c.seq;
  const perLayerWeights = 4 * c.dim * c.dim + 2 * c.dim * 4 * c.dim;
  const weights = c.layers * perLayerWeights + c.dim * c.vocab;
  const attn = c.layers * 2 * (2 * c.batch * c.seq * c.seq * c.dim);
  return 3 * (2 * tokens * weights + attn);
}

/** A deterministic batch of random tokens: inputs [B, T] and the next-token targets [B, T]. */
export function referenceBatch(c: ReferenceConfig, seed = 7): { inputs: Int32Array; targets: Int32Array } {
  const rng = new Rng(seed);
  const inputs = new Int32Array(c.batch * c.seq);
  const targets = new Int32Array(c.batch * c.seq);
  for (let b = 0; b < c.batch; b++) {
    const row = Array.from({ length: c.seq + 1 }, () => rng.int(0, c.vocab - 1));
    for (let t = 0; t < c.seq; t++) {
      inputs[b * c.seq + t] = row[t] ?? 0;
      targets[b * c.seq + t] = row[t + 1] ?? 0;
    }
  }
  return { inputs, targets };
}
