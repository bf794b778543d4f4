/**
 * The building blocks every model uses, each with a gradient that is fast on the active backend:
 * with the native kernels, fused kernels do the work (one call per block and direction); on plain
 * wasm, products avoid the transpose flags that are slow there, and the embedding avoids the
 * UnsortedSegmentSum kernel that wasm lacks. `reference` has the same blocks written with stock
 * tfjs ops only: the tests check every block's values and gradients against it.
 *
 * Conventions: activations are [batch, time, width] (or any leading shape for the pointwise
 * blocks); a dense weight is [in, out]; token ids and class targets are int32.
 */
import * as tf from '@tensorflow/tfjs';
import { fastTransposedMatMul, useNativeKernels } from './backend';
import { KERNELS } from './wasm-kernels';
import { hostValues } from './webgpu';

type Save = (tensors: tf.Tensor[]) => void;

/** tf.customGrad with types: `forward` returns the value and the gradient of each input, in order. */
function custom<T extends tf.Tensor>(
  inputs: tf.Tensor[],
  forward: (save: Save) => { value: T; grad: (dy: T, saved: tf.Tensor[]) => tf.Tensor[] },
): T {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const { value, grad } = forward(save);
    // tfjs runs a custom gradient outside any tidy scope, so its temporaries would live until the
    // whole backward pass ends (gigabytes in a training step without the native kernels).
    return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => grad(dy as T, saved)) };
  });
  return f(...inputs);
}

function run(name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, number | boolean> = {}): tf.Tensor[] {
  const out: tf.Tensor | tf.Tensor[] = tf.engine().runKernel(name, inputs, attrs);
  return Array.isArray(out) ? out : [out];
}

function one(name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, number | boolean> = {}): tf.Tensor {
  return run(name, inputs, attrs)[0] as tf.Tensor;
}

function at<T>(list: readonly T[], i: number): T {
  const v = list[i];
  if (v === undefined) throw new Error(`internal: missing saved tensor ${i}`);
  return v;
}

function dimOf(t: tf.Tensor, axis: number): number {
  return t.shape[axis < 0 ? t.shape.length + axis : axis] ?? 0;
}

/**
 * Throws unless every id is an integer in [0, n): a bad id must be an error, not silent zeros. On
 * webgpu the ids are checked while they are still on the host (they are made from arrays there);
 * ids already on the device would need a read-back, which a step must not wait for.
 */
function checkIds(ids: tf.Tensor, n: number, what: string): void {
  if (ids.dtype !== 'int32') throw new Error(`${what} must be int32, got ${ids.dtype}`);
  const values = tf.getBackend() === 'webgpu' ? hostValues(ids, tf.backend()) : ids.dataSync();
  if (!values) return;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? 0;
    if (v < 0 || v >= n) throw new Error(`${what}: id ${v} at position ${i} is outside [0, ${n})`);
  }
}

/** Float one-hot rows. Stock wasm's OneHot returns all zeros when asked for float32 directly. */
function oneHotF32(ids: tf.Tensor, depth: number): tf.Tensor {
  return tf.cast(tf.oneHot(ids, depth), 'float32');
}

function swapLast(t: tf.Tensor): tf.Tensor {
  const r = t.rank;
  const perm = [...Array(r).keys()];
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(t, perm);
}

/**
 * a @ b (optionally transposed; any equal leading batch shape). On stock wasm the product and its
 * gradient use explicit transposes, since products with transpose flags are ~20x slower there.
 */
export function matMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  if (fastTransposedMatMul()) return tf.matMul(a, b, transposeA, transposeB);
  const a2 = transposeA ? swapLast(a) : a;
  const b2 = transposeB ? swapLast(b) : b;
  return custom([a2, b2], (save) => {
    save([a2, b2]);
    return {
      value: tf.matMul(a2, b2),
      grad: (dy, saved) => [tf.matMul(dy, swapLast(at(saved, 1))), tf.matMul(swapLast(at(saved, 0)), dy)],
    };
  });
}

/** x @ w + b over the last axis of x ([..., in] -> [..., out]); w is [in, out], b is [out]. */
export function dense(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const [inDim, outDim] = w.shape as [number, number];
  if (w.rank !== 2) throw new Error(`dense: weight must be [in, out], got [${String(w.shape)}]`);
  if (dimOf(x, -1) !== inDim) throw new Error(`dense: input width ${dimOf(x, -1)} does not match weight [${String(w.shape)}]`);
  if (b && (b.rank !== 1 || b.shape[0] !== outDim)) throw new Error(`dense: bias must be [${outDim}], got [${String(b.shape)}]`);
  const lead = x.shape.slice(0, -1);
  const x2 = x.reshape([-1, inDim]);
  const native = useNativeKernels();
  const fast = fastTransposedMatMul();
  const y = custom(b ? [x2, w, b] : [x2, w], (save) => {
    save([x2, w]);
    let value: tf.Tensor;
    if (native) value = tf.fused.matMul({ a: x2, b: w, ...(b ? { bias: b } : {}) });
    else value = b ? tf.add(tf.matMul(x2, w), b) : tf.matMul(x2, w);
    return {
      value,
      grad: (dy, saved) => {
        const xs = at(saved, 0);
        const ws = at(saved, 1);
        const dx = fast ? tf.matMul(dy, ws, false, true) : tf.matMul(dy, tf.transpose(ws));
        const dw = fast ? tf.matMul(xs, dy, true, false) : tf.matMul(tf.transpose(xs), dy);
        if (!b) return [dx, dw];
        return [dx, dw, native ? one(KERNELS.colSum, { x: dy }) : tf.sum(dy, 0)];
      },
    };
  });
  return y.reshape([...lead, outDim]);
}

/** Rows of `table` ([vocab, width]) for int32 `ids` of any shape: [...ids.shape, width]. */
export function embedding(ids: tf.Tensor, table: tf.Tensor): tf.Tensor {
  const [vocab, width] = table.shape as [number, number];
  if (table.rank !== 2) throw new Error(`embedding: table must be [vocab, width], got [${String(table.shape)}]`);
  checkIds(ids, vocab, 'embedding ids');
  // wasm lacks the scatter-add (UnsortedSegmentSum) that tf.gather's gradient needs, and webgpu's
  // is slow (atomics: half the GPU time of an H200 pretraining step): both take the one-hot product.
  const backend = tf.getBackend();
  if (backend !== 'wasm' && backend !== 'webgpu') return reference.embedding(ids, table);
  const flat = ids.reshape([-1]);
  const native = useNativeKernels();
  const rows = custom([table], (save) => {
    save([flat]);
    return {
      value: native ? one(KERNELS.embedding, { table, ids: flat }) : tf.gather(table, flat),
      grad: (dy, saved) => {
        const idx = at(saved, 0);
        if (native) return [one(KERNELS.embeddingGrad, { ids: idx, dy }, { vocab })];
        // one-hot^T @ dy: a product instead of the scatter-add (transposed explicitly where a
        // transpose flag is slow, on stock wasm).
        if (fastTransposedMatMul()) return [tf.matMul(oneHotF32(idx, vocab), dy, true, false)];
        return [tf.matMul(tf.transpose(oneHotF32(idx, vocab)), dy)];
      },
    };
  });
  return rows.reshape([...ids.shape, width]);
}

/** Layer norm over the last axis (biased variance, eps inside the root, as PyTorch). */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  const width = dimOf(x, -1);
  if (gamma.size !== width || beta.size !== width) throw new Error(`layerNorm: gamma and beta must have ${width} values`);
  if (!useNativeKernels()) return plainLayerNorm(x, gamma, beta, eps);
  return custom([x, gamma, beta], (save) => {
    const [y, mean, rstd] = run(KERNELS.layerNorm, { x, gamma, beta }, { eps }) as [tf.Tensor, tf.Tensor, tf.Tensor];
    save([x, gamma, mean, rstd]);
    return {
      value: y,
      grad: (dy, [xs, g, m, r]) => run(KERNELS.layerNormGrad, { dy, x: xs!, gamma: g!, mean: m!, rstd: r! }),
    };
  });
}

/** GELU, tanh form (PyTorch's gelu(approximate='tanh')). */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (!useNativeKernels()) return plainGelu(x);
  return custom([x], (save) => {
    save([x]);
    return { value: one(KERNELS.gelu, { x }), grad: (dy, [xs]) => [one(KERNELS.geluGrad, { x: xs!, dy })] };
  });
}

/** Per-position negative log-likelihood of int32 `targets` under `logits` [..., classes]: shape of targets. */
export function tokenNll(logits: tf.Tensor, targets: tf.Tensor): tf.Tensor {
  const classes = dimOf(logits, -1);
  if (!tf.util.arraysEqual(logits.shape.slice(0, -1), targets.shape)) {
    throw new Error(`tokenNll: targets [${String(targets.shape)}] do not match logits [${String(logits.shape)}] without the class axis`);
  }
  checkIds(targets, classes, 'targets');
  if (!useNativeKernels()) return plainTokenNll(logits, targets);
  const flatTargets = targets.reshape([-1]);
  const nll = custom([logits], (save) => {
    const [value, lse] = run(KERNELS.softmaxXent, { logits, targets: flatTargets }) as [tf.Tensor, tf.Tensor];
    save([logits, flatTargets, lse]);
    return {
      value,
      grad: (dnll, [l, t, s]) => [one(KERNELS.softmaxXentGrad, { logits: l!, targets: t!, lse: s!, dnll })],
    };
  });
  return nll.reshape(targets.shape);
}

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/**
 * GELU without the native kernels: 0.5 x (1 + tanh(u)) written as x * sigmoid(2u), the same
 * function, because stock wasm's Sigmoid is vectorized and its Tanh is not (about 4x slower). Its
 * gradient keeps only x on the tape (the composition kept seven activation-sized tensors).
 */
function plainGelu(x: tf.Tensor): tf.Tensor {
  const sigmoidOf = (t: tf.Tensor): tf.Tensor => tf.sigmoid(tf.mul(2 * GELU_C, tf.add(t, tf.mul(GELU_A, tf.mul(tf.mul(t, t), t)))));
  return custom([x], (save) => {
    save([x]);
    return {
      value: tf.mul(x, sigmoidOf(x)),
      grad: (dy, saved) => {
        // d/dx x s(2u) = s + x s (1 - s) 2u', u' = c (1 + 3a x^2)
        const t = at(saved, 0);
        const s = sigmoidOf(t);
        const du = tf.mul(2 * GELU_C, tf.add(1, tf.mul(3 * GELU_A, tf.mul(t, t))));
        return [tf.mul(dy, tf.add(s, tf.mul(tf.mul(t, tf.mul(s, tf.sub(1, s))), du)))];
      },
    };
  });
}

/**
 * x[r, targets[r]] for every row of x ([rows, classes]), by a gather forward (only gather's gradient
 * is missing on wasm). On wasm and cpu, one gather at the flat positions r * classes + target. Not
 * on webgpu: tfjs' WebGPU gather reads its indices through float32, so a flat position past 2^24 is
 * rounded to a neighbour (measured: from batch 128 of generation logits, [8192, 3761], the picked
 * logits were wrong and the step-1 loss read 5.23 where wasm read 0.27); there each row gathers its
 * own target (indices below `classes`).
 */
function pickPerRow(x: tf.Tensor, targets: tf.Tensor): tf.Tensor {
  const [rows, classes] = x.shape as [number, number];
  if (tf.getBackend() === 'webgpu') return tf.gather(x, targets.reshape([rows, 1]), 1, 1).reshape([rows]);
  return tf.gather(x.reshape([-1]), tf.add(tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(classes, 'int32')), targets));
}

/**
 * Token NLL without the native kernels, with the same fused gradient as the native kernel:
 * nll = logsumexp(logits) - logits[target], gradient (softmax - onehot) * dnll. Only the logits,
 * targets and log-sum-exp stay on the tape. The stock composition (reference.tokenNll) keeps
 * about ten logits-sized tensors per call there (log-softmax steps, a float one-hot, products),
 * which is what pushed a masked GRPO step (four MaskGIT steps of 3,761-way logits for every
 * token, with guidance) past the 4 GiB a wasm heap can hold.
 */
function plainTokenNll(logits: tf.Tensor, targets: tf.Tensor): tf.Tensor {
  const classes = dimOf(logits, -1);
  const flatTargets = targets.reshape([-1]);
  const rows = flatTargets.size;
  const nll = custom([logits], (save) => {
    const x = logits.reshape([rows, classes]);
    const lse = tf.logSumExp(x, -1);
    const picked = pickPerRow(x, flatTargets);
    save([logits, flatTargets, lse]);
    return {
      value: tf.sub(lse, picked),
      grad: (dnll, saved) => {
        const [l, t, s] = [at(saved, 0), at(saved, 1), at(saved, 2)];
        const probs = tf.exp(tf.sub(l.reshape([rows, classes]), s.reshape([rows, 1])));
        const dx = tf.mul(tf.sub(probs, oneHotF32(t, classes)), dnll.reshape([rows, 1]));
        return [dx.reshape(l.shape)];
      },
    };
  });
  return nll.reshape(targets.shape);
}

/** Mean softmax cross-entropy (or its weighted mean: sum(w * nll) / sum(w)). */
export function crossEntropy(logits: tf.Tensor, targets: tf.Tensor, weights?: tf.Tensor): tf.Scalar {
  const nll = tokenNll(logits, targets);
  if (!weights) return tf.mean(nll);
  return tf.div(tf.sum(tf.mul(nll, weights)), tf.maximum(tf.sum(weights), 1e-12));
}

export interface AttentionOptions {
  heads: number;
  /** Query i sees key j only when j <= i + (Tk - Tq): autoregressive, also with a KV cache. */
  causal?: boolean;
  /** 1 (or true) where query i may see key j: [Tq, Tk], or [B or 1, Tq, Tk]. Fractions scale down. */
  mask?: tf.Tensor;
  /** Default 1 / sqrt(head width). */
  scale?: number;
}

function attentionShapes(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, o: AttentionOptions) {
  if (q.rank !== 3 || k.rank !== 3 || v.rank !== 3) throw new Error('attention: q, k, v must be [batch, time, width]');
  const [batch, tq, width] = q.shape as [number, number, number];
  const tk = dimOf(k, 1);
  if (!tf.util.arraysEqual(k.shape, v.shape) || dimOf(k, 0) !== batch || dimOf(k, 2) !== width) {
    throw new Error(`attention: k [${String(k.shape)}] and v [${String(v.shape)}] must be [${batch}, Tk, ${width}]`);
  }
  if (!Number.isInteger(o.heads) || o.heads < 1 || width % o.heads !== 0) throw new Error(`attention: ${o.heads} heads do not divide width ${width}`);
  if (o.causal && tk < tq) throw new Error(`attention: causal needs at least as many keys (${tk}) as queries (${tq})`);
  let mask: tf.Tensor | undefined;
  if (o.mask) {
    const m = o.mask.rank === 2 ? o.mask.reshape([1, ...o.mask.shape]) : o.mask;
    const mb = dimOf(m, 0);
    if (m.rank !== 3 || (mb !== 1 && mb !== batch) || dimOf(m, 1) !== tq || dimOf(m, 2) !== tk) {
      throw new Error(`attention: mask [${String(o.mask.shape)}] must be [${tq}, ${tk}] or [${batch} or 1, ${tq}, ${tk}]`);
    }
    mask = m.dtype === 'float32' ? m : tf.cast(m, 'float32');
  }
  const scale = o.scale ?? 1 / Math.sqrt(width / o.heads);
  return { batch, tq, tk, width, mask, scale };
}

/** Multi-head scaled dot-product attention: q [B, Tq, D], k and v [B, Tk, D] -> [B, Tq, D]. */
export function attention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: AttentionOptions): tf.Tensor {
  const { mask, scale } = attentionShapes(q, k, v, options);
  if (!useNativeKernels()) return plainAttention(q, k, v, options);
  const { heads } = options;
  const causal = options.causal ?? false;
  return custom([q, k, v], (save) => {
    const [out, probs] = run(KERNELS.attention, { q, k, v, ...(mask ? { mask } : {}) }, { heads, scale, causal }) as [tf.Tensor, tf.Tensor];
    save([q, k, v, probs]);
    return {
      value: out,
      grad: (dy, [qs, ks, vs, p]) => run(KERNELS.attentionGrad, { q: qs!, k: ks!, v: vs!, probs: p!, dy }, { heads, scale, causal }),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// The blocks without the native kernels (plain wasm, and the other backends): stock ops inside a
// custom gradient that keeps on the tape only what the native kernels keep. Differentiating the
// stock compositions instead kept every intermediate, and tfjs holds every intermediate gradient
// too until the backward pass ends, so a training step needed two to three times the memory of the
// native path (a masked GRPO step went past the 4 GiB a wasm heap can hold).

/** A product with explicit transposes where transpose flags are slow (stock wasm), flags elsewhere. */
function product(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  if (fastTransposedMatMul()) return tf.matMul(a, b, transposeA, transposeB);
  return batchedOnXnnpack(transposeA ? swapLast(a) : a, transposeB ? swapLast(b) : b);
}

/**
 * A batched product [..., m, k] x [..., k, n] (same batch shape) as one unbatched product per
 * batch entry: stock wasm sends batched products to a scalar loop (about 1 GFLOP/s), unbatched
 * ones to XNNPACK (10-20 GFLOP/s at attention's sizes), which pays for the slicing and stacking.
 */
function batchedOnXnnpack(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const lead = a.shape.slice(0, -2);
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = dimOf(b, -1);
  const batch = lead.reduce((x, y) => x * y, 1);
  if (batch === 1 || !tf.util.arraysEqual(lead, b.shape.slice(0, -2))) return tf.matMul(a, b);
  return tf.tidy(() => {
    const a3 = a.reshape([batch, m, k]);
    const b3 = b.reshape([batch, k, n]);
    const parts: tf.Tensor[] = [];
    for (let i = 0; i < batch; i++) {
      parts.push(tf.tidy(() => tf.matMul(tf.slice(a3, [i, 0, 0], [1, m, k]).reshape([m, k]), tf.slice(b3, [i, 0, 0], [1, k, n]).reshape([k, n]))));
    }
    return tf.stack(parts).reshape([...lead, m, n]);
  });
}

/** Layer norm saving x, gamma, mean and 1/std; the gradient is the closed form the native kernel uses. */
function plainLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const width = dimOf(x, -1);
  return custom([x, gamma, beta], (save) => {
    const mean = tf.mean(x, -1, true);
    const centered = tf.sub(x, mean);
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), eps));
    save([x, gamma, mean, rstd]);
    return {
      value: tf.add(tf.mul(tf.mul(centered, rstd), gamma.reshape([width])), beta.reshape([width])),
      grad: (dy, saved) => {
        const [xs, g, m, r] = [at(saved, 0), at(saved, 1), at(saved, 2), at(saved, 3)];
        const xhat = tf.mul(tf.sub(xs, m), r);
        const dxhat = tf.mul(dy, g.reshape([width]));
        // dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), over the normalised axis
        const dx = tf.mul(r, tf.sub(tf.sub(dxhat, tf.mean(dxhat, -1, true)), tf.mul(xhat, tf.mean(tf.mul(dxhat, xhat), -1, true))));
        const rows = (t: tf.Tensor): tf.Tensor => tf.sum(t.reshape([-1, width]), 0);
        return [dx, rows(tf.mul(dy, xhat)).reshape(g.shape), rows(dy).reshape(g.shape)];
      },
    };
  });
}

/**
 * Multi-head attention saving the per-head q, k, v and the attention probabilities (what the
 * native kernel saves); the backward pass is the softmax-attention gradient in batched products.
 */
function plainAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: AttentionOptions): tf.Tensor {
  const { batch, tq, tk, width, mask, scale } = attentionShapes(q, k, v, options);
  const h = options.heads;
  const toHeads = (t: tf.Tensor, len: number): tf.Tensor => tf.transpose(t.reshape([batch, len, h, width / h]), [0, 2, 1, 3]);
  const fromHeads = (t: tf.Tensor, len: number): tf.Tensor => tf.transpose(t, [0, 2, 1, 3]).reshape([batch, len, width]);
  return custom([q, k, v], (save) => {
    const [qh, kh, vh] = [toHeads(q, tq), toHeads(k, tk), toHeads(v, tk)];
    let scores = tf.mul(product(qh, kh, false, true), scale);
    if (mask) scores = tf.add(scores, tf.mul(tf.sub(1, mask), -1e9).reshape([dimOf(mask, 0), 1, tq, tk]));
    if (options.causal) {
      const allowed = tf.linalg.bandPart(tf.ones([tq, tk]), -1, tk - tq);
      scores = tf.add(scores, tf.mul(tf.sub(1, allowed), -1e9));
    }
    const probs = tf.softmax(scores);
    save([qh, kh, vh, probs]);
    return {
      value: fromHeads(product(probs, vh), tq),
      grad: (dy, saved) => {
        const [qs, ks, vs, p] = [at(saved, 0), at(saved, 1), at(saved, 2), at(saved, 3)];
        const dOut = toHeads(dy, tq);
        const dv = product(p, dOut, true, false);
        const dp = product(dOut, vs, false, true);
        // Softmax backward: dS = P * (dP - rowsum(dP * P)); masked keys have P = 0 and get none.
        const ds = tf.mul(tf.mul(p, tf.sub(dp, tf.sum(tf.mul(dp, p), -1, true))), scale);
        return [fromHeads(product(ds, ks), tq), fromHeads(product(ds, qs, true, false), tk), fromHeads(dv, tk)];
      },
    };
  });
}

/** The same blocks in stock tfjs ops, differentiated by tfjs itself: the tests' ground truth and the fallback. */
export const reference = {
  dense(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
    const y = tf.matMul(x.reshape([-1, dimOf(w, 0)]), w);
    return (b ? tf.add(y, b) : y).reshape([...x.shape.slice(0, -1), dimOf(w, 1)]);
  },
  embedding(ids: tf.Tensor, table: tf.Tensor): tf.Tensor {
    return tf.gather(table, ids.reshape([-1])).reshape([...ids.shape, dimOf(table, 1)]);
  },
  layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
    const mean = tf.mean(x, -1, true);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), -1, true);
    return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), gamma), beta);
  },
  gelu(x: tf.Tensor): tf.Tensor {
    // x*x*x rather than tf.pow: Pow and its gradient are slow on wasm.
    const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.mul(tf.mul(x, x), x))));
    return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
  },
  tokenNll(logits: tf.Tensor, targets: tf.Tensor): tf.Tensor {
    const classes = dimOf(logits, -1);
    const logp = tf.logSoftmax(logits.reshape([-1, classes]));
    const picked = tf.sum(tf.mul(logp, oneHotF32(targets.reshape([-1]), classes)), -1);
    return tf.neg(picked).reshape(targets.shape);
  },
  attention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: AttentionOptions): tf.Tensor {
    const { batch, tq, tk, width, mask, scale } = attentionShapes(q, k, v, options);
    const h = options.heads;
    const split = (t: tf.Tensor, len: number) => tf.transpose(t.reshape([batch, len, h, width / h]), [0, 2, 1, 3]);
    const qh = split(q, tq);
    const kh = split(k, tk);
    const vh = split(v, tk);
    let scores = tf.mul(matMul(qh, kh, false, true), scale);
    if (mask) scores = tf.add(scores, tf.mul(tf.sub(1, mask), -1e9).reshape([dimOf(mask, 0), 1, tq, tk]));
    if (options.causal) {
      const allowed = tf.linalg.bandPart(tf.ones([tq, tk]), -1, tk - tq);
      scores = tf.add(scores, tf.mul(tf.sub(1, allowed), -1e9));
    }
    const out = matMul(tf.softmax(scores), vh);
    return tf.transpose(out, [0, 2, 1, 3]).reshape([batch, tq, width]);
  },
};
