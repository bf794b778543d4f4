/**
 * The native kernels inside the TensorFlow.js wasm backend.
 *
 * - BatchMatMul and _FusedMatMul are replaced in place: every matrix product (ours, and those in
 *   tfjs' own gradients, which use the transpose flags that are slow on stock wasm) becomes one
 *   BLAS call on the tensors' bytes in the wasm heap. This also fixes stock wasm's _FusedMatMul,
 *   whose bias is wrong for batched or transposed products.
 * - Fused kernels under our own names (Unirl*) serve ops.ts; they have no registered gradients
 *   because ops.ts always calls them inside tf.customGrad.
 *
 * Rule for every kernel: allocate all outputs (backend.makeOutput) first, since an allocation may
 * grow the heap and detach the old buffer; then read the offsets and the heap, then call native.
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './native';

/** The parts of tfjs-backend-wasm's BackendWasm that the kernels use. */
interface WasmBackend {
  wasm: { HEAPU8: Uint8Array };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  getMemoryOffset(dataId: object): number;
  disposeData(dataId: object): boolean;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

export const KERNELS = {
  layerNorm: 'UnirlLayerNorm',
  layerNormGrad: 'UnirlLayerNormGrad',
  gelu: 'UnirlGelu',
  geluGrad: 'UnirlGeluGrad',
  softmaxXent: 'UnirlSoftmaxXent',
  softmaxXentGrad: 'UnirlSoftmaxXentGrad',
  attention: 'UnirlAttention',
  attentionGrad: 'UnirlAttentionGrad',
  embedding: 'UnirlEmbedding',
  embeddingGrad: 'UnirlEmbeddingGrad',
  colSum: 'UnirlColSum',
  adam: 'UnirlAdam',
} as const;

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, elu: 3, leakyrelu: 4, prelu: 5, sigmoid: 6 };

let addon: NativeAddon | undefined;
let stockBatchMatMul: tf.KernelConfig | undefined;
let stockFusedMatMul: tf.KernelConfig | undefined;
let identityShared = false;
let fusedRegistered = false;
let matMulsReplaced = false;

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function input(inputs: tf.NamedTensorInfoMap, name: string): tf.TensorInfo {
  const t = inputs[name];
  if (!t) throw new Error(`native kernel: missing input ${name}`);
  return t;
}

function attr(attrs: tf.NamedAttrMap | undefined, name: string): number {
  const v = attrs?.[name];
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new Error(`native kernel: attribute ${name} must be a number`);
}

/** Offsets of the given tensors and the current heap, read after every output is allocated. */
function heapAndOffsets(backend: WasmBackend, tensors: tf.TensorInfo[]): { heap: Uint8Array; offsets: number[] } {
  return { heap: backend.wasm.HEAPU8, offsets: tensors.map((t) => backend.getMemoryOffset(t.dataId)) };
}

function need(): NativeAddon {
  if (!addon) throw new Error('native kernels are not loaded');
  return addon;
}

// ---------------------------------------------------------------------------------------------
// Matrix products

function productShape(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean) {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = (transposeA ? a.shape[ra - 1] : a.shape[ra - 2]) ?? 0;
  const k = (transposeA ? a.shape[ra - 2] : a.shape[ra - 1]) ?? 0;
  const kb = (transposeB ? b.shape[rb - 1] : b.shape[rb - 2]) ?? 0;
  const n = (transposeB ? b.shape[rb - 2] : b.shape[rb - 1]) ?? 0;
  if (k !== kb) {
    throw new Error(`Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${String(a.shape)} and ${String(b.shape)} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
  }
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const batchA = size(outerA);
  const batchB = size(outerB);
  return { m, n, k, outer, batchA, batchB, batch: size(outer) };
}

/** C = op(A) op(B) natively; undefined when the batch broadcast is not a plain one (the caller falls back). */
function nativeProduct(backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): tf.TensorInfo | undefined {
  const { m, n, k, outer, batchA, batchB, batch } = productShape(a, b, transposeA, transposeB);
  if (!(batchA === batchB || batchA === 1 || batchB === 1)) return undefined;
  const out = backend.makeOutput([...outer, m, n], 'float32');
  const { heap, offsets } = heapAndOffsets(backend, [a, b, out]);
  const [oa, ob, oc] = offsets as [number, number, number];
  need().gemm(heap, batch, transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, oa, batchA === 1 ? 0 : m * k, ob, batchB === 1 ? 0 : k * n, oc, m * n, 1, 0);
  return out;
}

function batchMatMulKernel(args: KernelArgs): tf.TensorInfo {
  const a = input(args.inputs, 'a');
  const b = input(args.inputs, 'b');
  const transposeA = attr(args.attrs, 'transposeA') !== 0;
  const transposeB = attr(args.attrs, 'transposeB') !== 0;
  const backend = args.backend as WasmBackend;
  if (a.dtype === 'float32' && b.dtype === 'float32') {
    const out = nativeProduct(backend, a, b, transposeA, transposeB);
    if (out) return out;
  }
  return stockBatchMatMul!.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}

/** Strides of a broadcast operand (bias, prelu weights) over the [batch, M, N] view of the output. */
function broadcastStrides(t: tf.TensorInfo, outShape: number[], what: string): [number, number, number] {
  const rank = outShape.length;
  const shape = [...new Array<number>(Math.max(0, rank - t.shape.length)).fill(1), ...t.shape];
  if (shape.length > rank) throw new Error(`_FusedMatMul: ${what} of shape [${String(t.shape)}] has more dimensions than the product [${String(outShape)}]`);
  shape.forEach((d, i) => {
    if (d !== 1 && d !== outShape[i]) throw new Error(`_FusedMatMul: ${what} of shape [${String(t.shape)}] does not broadcast to [${String(outShape)}]`);
  });
  const dm = shape[rank - 2] ?? 1;
  const dn = shape[rank - 1] ?? 1;
  const batchDims = shape.slice(0, -2);
  const outBatch = outShape.slice(0, -2);
  let s0 = 0;
  if (batchDims.some((d) => d !== 1)) {
    if (batchDims.some((d, i) => d !== outBatch[i])) throw new Error(`_FusedMatMul: ${what} of shape [${String(t.shape)}] broadcasts over only some batch dimensions; not supported`);
    s0 = dm * dn;
  }
  return [s0, dm === 1 ? 0 : dn, dn === 1 ? 0 : 1];
}

function fusedMatMulKernel(args: KernelArgs): tf.TensorInfo {
  const a = input(args.inputs, 'a');
  const b = input(args.inputs, 'b');
  const bias = args.inputs['bias'];
  const prelu = args.inputs['preluActivationWeights'];
  const transposeA = attr(args.attrs, 'transposeA') !== 0;
  const transposeB = attr(args.attrs, 'transposeB') !== 0;
  const activationName = typeof args.attrs?.['activation'] === 'string' ? args.attrs['activation'] : 'linear';
  const act = ACTIVATIONS[activationName];
  if (act === undefined) throw new Error(`_FusedMatMul: activation ${activationName} is not supported`);
  const leakyAlpha = typeof args.attrs?.['leakyreluAlpha'] === 'number' ? args.attrs['leakyreluAlpha'] : 0.2;
  const backend = args.backend as WasmBackend;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') throw new Error('_FusedMatMul supports float32 only');
  let out = nativeProduct(backend, a, b, transposeA, transposeB);
  if (!out) {
    // Unusual batch broadcast: the stock unfused product is right; bias and activation follow natively.
    out = stockBatchMatMul!.kernelFunc({ ...args, inputs: { a, b }, attrs: { transposeA, transposeB } } as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  }
  if (!bias && act === 0) return out;
  const shape = out.shape;
  const m = shape[shape.length - 2] ?? 1;
  const n = shape[shape.length - 1] ?? 1;
  const batch = size(shape.slice(0, -2));
  const bs = bias ? broadcastStrides(bias, shape, 'bias') : [0, 0, 0];
  const ps = prelu ? broadcastStrides(prelu, shape, 'prelu weights') : [0, 0, 0];
  if (act === ACTIVATIONS['prelu'] && !prelu) throw new Error('_FusedMatMul: prelu needs preluActivationWeights');
  const { heap, offsets } = heapAndOffsets(backend, [out, ...(bias ? [bias] : []), ...(prelu ? [prelu] : [])]);
  const oc = offsets[0] ?? 0;
  const ob = bias ? (offsets[1] ?? 0) : -1;
  const op = prelu ? (offsets[bias ? 2 : 1] ?? 0) : -1;
  need().biasAct(heap, oc, batch, m, n, ob, bs[0] ?? 0, bs[1] ?? 0, bs[2] ?? 0, act, leakyAlpha, op, ps[0] ?? 0, ps[1] ?? 0, ps[2] ?? 0);
  return out;
}

const BINARY_OPS: Record<string, number> = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 };
const stockBinary = new Map<string, tf.KernelConfig>();

/** Whether `small`, without its leading 1s, is the trailing part of `out` (so it repeats flat). */
function repeatsOver(small: readonly number[], out: readonly number[]): boolean {
  let k = 0;
  while (k < small.length && small[k] === 1) k++;
  const tail = small.slice(k);
  return tail.length <= out.length && tail.every((d, i) => d === out[out.length - tail.length + i]);
}

/**
 * Float add, subtract, multiply and divide natively when one operand is the other's shape or
 * repeats along its leading axes (a bias, a positional row, a scalar): the residual stream,
 * gradient accumulation, guidance mixing. Other broadcasts and dtypes take the stock kernel.
 */
function binaryKernel(kernelName: string): (args: KernelArgs) => tf.TensorInfo {
  const op = BINARY_OPS[kernelName] ?? 0;
  return (args) => {
    const a = input(args.inputs, 'a');
    const b = input(args.inputs, 'b');
    const stock = () => stockBinary.get(kernelName)!.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock();
    const outShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const n = size(outShape);
    const na = size(a.shape);
    const nb = size(b.shape);
    const ok = (na === n && nb === n) || (na === n && repeatsOver(b.shape, outShape)) || (nb === n && repeatsOver(a.shape, outShape));
    if (!ok || n === 0) return stock();
    const w = args.backend as WasmBackend;
    const out = w.makeOutput(outShape, 'float32');
    const { heap, offsets: o } = heapAndOffsets(w, [a, b, out]);
    need().binary(heap, op, o[0]!, na, o[1]!, nb, o[2]!, n);
    return out;
  };
}

/**
 * Identity (tf.clone, and the engine's copies of every tensor saved for a gradient) shares the
 * buffer, as the wasm backend's own Reshape does and as the cpu backend's Identity does; stock wasm
 * copies it, which cost about a tenth of a training step. Safe because tensors are immutable and
 * Variable.assign swaps buffers rather than writing into them.
 */
function identityKernel(args: KernelArgs): tf.TensorInfo {
  const x = input(args.inputs, 'x');
  if (x.dtype === 'string') return stockIdentity!.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  (args.backend as { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

let stockIdentity: tf.KernelConfig | undefined;
let stockSlice: tf.KernelConfig | undefined;
let stockSplit: tf.KernelConfig | undefined;
let stockGather: tf.KernelConfig | undefined;

/**
 * GatherV2 (tf.gather: the embeddings without the native kernels, the picked logits of the token
 * NLL) as copies inside the heap. Stock wasm's took about 17 ms for 624 rows of 192 floats, a
 * twentieth of a sampling step on plain wasm. Batched gathers and other dtypes take the stock kernel.
 */
function gatherKernel(args: KernelArgs): tf.TensorInfo {
  const x = input(args.inputs, 'x');
  const indices = input(args.inputs, 'indices');
  const batchDims = typeof args.attrs?.['batchDims'] === 'number' ? args.attrs['batchDims'] : 0;
  if (batchDims !== 0 || indices.dtype !== 'int32' || (x.dtype !== 'float32' && x.dtype !== 'int32')) {
    return stockGather!.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  }
  const axis = tf.util.parseAxisParam(args.attrs?.['axis'] as number, x.shape)[0] ?? 0;
  const outer = size(x.shape.slice(0, axis));
  const rows = x.shape[axis] ?? 1;
  const inner = size(x.shape.slice(axis + 1));
  const count = size(indices.shape);
  const w = args.backend as WasmBackend;
  const out = w.makeOutput([...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], x.dtype);
  const { heap, offsets } = heapAndOffsets(w, [x, indices, out]);
  const [ox, oi, oo] = offsets as [number, number, number];
  const ids = new Int32Array(heap.buffer, oi, count);
  for (let i = 0; i < count; i++) {
    const id = ids[i] ?? 0;
    if (id < 0 || id >= rows) {
      w.disposeData(out.dataId);
      throw new Error(`gather: index ${id} at position ${i} is outside [0, ${rows})`);
    }
  }
  const bytes = 4 * inner;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < count; i++) {
      const from = ox + (o * rows + (ids[i] ?? 0)) * bytes;
      heap.copyWithin(oo + (o * count + i) * bytes, from, from + bytes);
    }
  }
  return out;
}

/**
 * Slice (also tf.split, and the gradients of concat) straight from the heap. Stock wasm first
 * copies the whole input out of the heap (readSync) for every slice: splitting a fused QKV
 * projection three ways cost milliseconds per layer. Copies contiguous runs, merging trailing
 * axes that are taken whole.
 */
function sliceKernel(args: KernelArgs): tf.TensorInfo {
  const x = input(args.inputs, 'x');
  if (x.dtype === 'string') return stockSlice!.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  const [begin, sizes] = tf.slice_util.parseSliceParams(x, args.attrs?.['begin'] as number[], args.attrs?.['size'] as number[]) as [number[], number[]];
  const w = args.backend as WasmBackend;
  const out = w.makeOutput(sizes, x.dtype);
  const count = size(sizes);
  if (count === 0) return out;
  const shape = x.shape;
  const rank = shape.length;
  const strides = new Array<number>(rank);
  for (let d = rank - 1, s = 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d] ?? 1;
  }
  // Axes from `inner` on are copied as one run: all taken whole except possibly the first.
  let inner = rank - 1;
  while (inner > 0 && sizes[inner] === shape[inner] && begin[inner] === 0) inner--;
  const run = (sizes[inner] ?? 1) * (strides[inner] ?? 1);
  const start = begin.reduce((acc, b, d) => acc + b * (strides[d] ?? 0), 0);
  const runs = count / run;
  const bytes = tf.util.bytesPerElement(x.dtype);
  const { heap, offsets } = heapAndOffsets(w, [x, out]);
  const src = (offsets[0] ?? 0) + bytes * start;
  const dst = offsets[1] ?? 0;
  // Evenly spaced runs (every axis between the first and `inner` taken whole): one native call.
  if (addon && matMulsReplaced && bytes === 4 && runs > 1 && sizes.slice(1, inner).every((d, i) => d === shape[i + 1])) {
    addon.copyRuns(heap, src, dst, runs, run, strides[inner - 1] ?? run);
    return out;
  }
  // Both tensors live in the heap: copyWithin moves each run without views or copies out.
  const index = new Array<number>(inner).fill(0);
  for (let r = 0; r < runs; r++) {
    let from = src;
    for (let d = 0; d < inner; d++) from += (index[d] ?? 0) * (strides[d] ?? 0) * bytes;
    heap.copyWithin(dst + r * run * bytes, from, from + run * bytes);
    for (let d = inner - 1; d >= 0; d--) {
      index[d] = (index[d] ?? 0) + 1;
      if ((index[d] ?? 0) < (sizes[d] ?? 1)) break;
      index[d] = 0;
    }
  }
  return out;
}

/** tf.split: each piece through sliceKernel (stock wasm calls its own slow slice directly). */
function splitKernel(args: KernelArgs): tf.TensorInfo[] {
  const x = input(args.inputs, 'x');
  const axis = tf.util.parseAxisParam(args.attrs?.['axis'] as number, x.shape)[0] ?? 0;
  const sizes = tf.backend_util.prepareSplitSize(x, args.attrs?.['numOrSizeSplits'] as number[] | number, axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[axis] = s;
    const piece = sliceKernel({ inputs: { x }, backend: args.backend, attrs: { begin: [...begin], size } });
    begin[axis] = (begin[axis] ?? 0) + s;
    return piece;
  });
}

/** Turns the wasm-backend fixes that need no native code on or off (the wasm backend must be active). */
export function setWasmFixes(on: boolean): void {
  stockIdentity ??= tf.getKernel('Identity', 'wasm');
  stockSlice ??= tf.getKernel('Slice', 'wasm');
  stockSplit ??= tf.getKernel('SplitV', 'wasm');
  stockGather ??= tf.getKernel('GatherV2', 'wasm');
  if (on === identityShared || !stockIdentity || !stockSlice || !stockSplit || !stockGather) return;
  const replaced: [tf.KernelConfig, (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]][] = [
    [stockIdentity, identityKernel],
    [stockSlice, sliceKernel],
    [stockSplit, splitKernel],
    [stockGather, gatherKernel],
  ];
  for (const [stock, ours] of replaced) {
    tf.unregisterKernel(stock.kernelName, 'wasm');
    if (on) tf.registerKernel({ kernelName: stock.kernelName, backendName: 'wasm', kernelFunc: ours });
    else tf.registerKernel(stock);
  }
  identityShared = on;
}

// ---------------------------------------------------------------------------------------------
// Fused kernels under our own names

function checkFloat(t: tf.TensorInfo, what: string): void {
  if (t.dtype !== 'float32') throw new Error(`${what} must be float32, got ${t.dtype}`);
}

function lastDim(t: tf.TensorInfo): number {
  return t.shape[t.shape.length - 1] ?? 1;
}

const fused: Record<string, (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]> = {
  [KERNELS.layerNorm]: ({ inputs, backend, attrs }) => {
    const w = backend as WasmBackend;
    const x = input(inputs, 'x');
    const gamma = input(inputs, 'gamma');
    const beta = input(inputs, 'beta');
    checkFloat(x, 'layerNorm input');
    const cols = lastDim(x);
    const rows = size(x.shape) / cols;
    const y = w.makeOutput(x.shape, 'float32');
    const mean = w.makeOutput([rows], 'float32');
    const rstd = w.makeOutput([rows], 'float32');
    const { heap, offsets: o } = heapAndOffsets(w, [x, gamma, beta, y, mean, rstd]);
    need().layerNorm(heap, o[0]!, o[1]!, o[2]!, o[3]!, o[4]!, o[5]!, rows, cols, attr(attrs, 'eps'));
    return [y, mean, rstd];
  },
  [KERNELS.layerNormGrad]: ({ inputs, backend }) => {
    const w = backend as WasmBackend;
    const dy = input(inputs, 'dy');
    const x = input(inputs, 'x');
    const cols = lastDim(x);
    const rows = size(x.shape) / cols;
    const dx = w.makeOutput(x.shape, 'float32');
    const dgamma = w.makeOutput([cols], 'float32');
    const dbeta = w.makeOutput([cols], 'float32');
    const ins = [dy, x, input(inputs, 'gamma'), input(inputs, 'mean'), input(inputs, 'rstd'), dx, dgamma, dbeta];
    const { heap, offsets: o } = heapAndOffsets(w, ins);
    need().layerNormGrad(heap, o[0]!, o[1]!, o[2]!, o[3]!, o[4]!, o[5]!, o[6]!, o[7]!, rows, cols);
    return [dx, dgamma, dbeta];
  },
  [KERNELS.gelu]: ({ inputs, backend }) => {
    const w = backend as WasmBackend;
    const x = input(inputs, 'x');
    checkFloat(x, 'gelu input');
    const y = w.makeOutput(x.shape, 'float32');
    const { heap, offsets: o } = heapAndOffsets(w, [x, y]);
    need().gelu(heap, o[0]!, o[1]!, size(x.shape));
    return y;
  },
  [KERNELS.geluGrad]: ({ inputs, backend }) => {
    const w = backend as WasmBackend;
    const x = input(inputs, 'x');
    const dx = w.makeOutput(x.shape, 'float32');
    const { heap, offsets: o } = heapAndOffsets(w, [x, input(inputs, 'dy'), dx]);
    need().geluGrad(heap, o[0]!, o[1]!, o[2]!, size(x.shape));
    return dx;
  },
  [KERNELS.softmaxXent]: ({ inputs, backend }) => {
    const w = backend as WasmBackend;
    const logits = input(inputs, 'logits');
    const targets = input(inputs, 'targets');
    checkFloat(logits, 'logits');
    const classes = lastDim(logits);
    const rows = size(logits.shape) / classes;
    const nll = w.makeOutput([rows], 'float32');
    const lse = w.makeOutput([rows], 'float32');
    const { heap, offsets: o } = heapAndOffsets(w, [logits, targets, nll, lse]);
    need().softmaxXent(heap, o[0]!, o[1]!, o[2]!, o[3]!, rows, classes);
    return [nll, lse];
  },
  [KERNELS.softmaxXentGrad]: ({ inputs, backend }) => {
    const w = backend as WasmBackend;
    const logits = input(inputs, 'logits');
    const classes = lastDim(logits);
    const rows = size(logits.shape) / classes;
    const dlogits = w.makeOutput(logits.shape, 'float32');
    const { heap, offsets: o } = heapAndOffsets(w, [logits, input(inputs, 'targets'), input(inputs, 'lse'), input(inputs, 'dnll'), dlogits]);
    need().softmaxXentGrad(heap, o[0]!, o[1]!, o[2]!, o[3]!, o[4]!, rows, classes);
    return dlogits;
  },
  [KERNELS.attention]: ({ inputs, backend, attrs }) => {
    const w = backend as WasmBackend;
    const q = input(inputs, 'q');
    const k = input(inputs, 'k');
    const v = input(inputs, 'v');
    const mask = inputs['mask'];
    const heads = attr(attrs, 'heads');
    const [batch, tq, d] = q.shape as [number, number, number];
    const tk = k.shape[1] ?? 0;
    const out = w.makeOutput([batch, tq, d], 'float32');
    const probs = w.makeOutput([batch, heads, tq, tk], 'float32');
    const { heap, offsets: o } = heapAndOffsets(w, [q, k, v, out, probs, ...(mask ? [mask] : [])]);
    const maskBatchStride = mask && mask.shape.length === 3 && mask.shape[0] !== 1 ? tq * tk : 0;
    need().attention(heap, o[0]!, o[1]!, o[2]!, o[3]!, o[4]!, batch, heads, tq, tk, d / heads, attr(attrs, 'scale'), attr(attrs, 'causal'),
      mask ? o[5]! : -1, maskBatchStride);
    return [out, probs];
  },
  [KERNELS.attentionGrad]: ({ inputs, backend, attrs }) => {
    const w = backend as WasmBackend;
    const q = input(inputs, 'q');
    const k = input(inputs, 'k');
    const heads = attr(attrs, 'heads');
    const [batch, tq, d] = q.shape as [number, number, number];
    const tk = k.shape[1] ?? 0;
    const dq = w.makeOutput(q.shape, 'float32');
    const dk = w.makeOutput(k.shape, 'float32');
    const dv = w.makeOutput(k.shape, 'float32');
    const ins = [q, k, input(inputs, 'v'), input(inputs, 'probs'), input(inputs, 'dy'), dq, dk, dv];
    const { heap, offsets: o } = heapAndOffsets(w, ins);
    need().attentionGrad(heap, o[0]!, o[1]!, o[2]!, o[3]!, o[4]!, o[5]!, o[6]!, o[7]!, batch, heads, tq, tk, d / heads, attr(attrs, 'scale'), attr(attrs, 'causal'));
    return [dq, dk, dv];
  },
  [KERNELS.embedding]: ({ inputs, backend }) => {
    const w = backend as WasmBackend;
    const table = input(inputs, 'table');
    const ids = input(inputs, 'ids');
    const [vocab, dim] = table.shape as [number, number];
    const n = size(ids.shape);
    const out = w.makeOutput([n, dim], 'float32');
    const { heap, offsets: o } = heapAndOffsets(w, [table, ids, out]);
    need().embedding(heap, o[0]!, o[1]!, o[2]!, n, vocab, dim);
    return out;
  },
  [KERNELS.embeddingGrad]: ({ inputs, backend, attrs }) => {
    const w = backend as WasmBackend;
    const ids = input(inputs, 'ids');
    const dy = input(inputs, 'dy');
    const vocab = attr(attrs, 'vocab');
    const dim = lastDim(dy);
    const dtable = w.makeOutput([vocab, dim], 'float32');
    const { heap, offsets: o } = heapAndOffsets(w, [ids, dy, dtable]);
    need().embeddingGrad(heap, o[0]!, o[1]!, o[2]!, size(ids.shape), vocab, dim);
    return dtable;
  },
  [KERNELS.colSum]: ({ inputs, backend }) => {
    const w = backend as WasmBackend;
    const x = input(inputs, 'x');
    const cols = lastDim(x);
    const out = w.makeOutput([cols], 'float32');
    const { heap, offsets: o } = heapAndOffsets(w, [x, out]);
    need().colSum(heap, o[0]!, o[1]!, size(x.shape) / cols, cols);
    return out;
  },
  [KERNELS.adam]: ({ inputs, backend, attrs }) => {
    const w = backend as WasmBackend;
    const p = input(inputs, 'p');
    const pOut = w.makeOutput(p.shape, 'float32');
    const mOut = w.makeOutput(p.shape, 'float32');
    const vOut = w.makeOutput(p.shape, 'float32');
    const { heap, offsets: o } = heapAndOffsets(w, [p, input(inputs, 'g'), input(inputs, 'm'), input(inputs, 'v'), pOut, mOut, vOut]);
    need().adam(heap, o[0]!, o[1]!, o[2]!, o[3]!, o[4]!, o[5]!, o[6]!, size(p.shape), attr(attrs, 'lr'), attr(attrs, 'beta1'), attr(attrs, 'beta2'),
      attr(attrs, 'eps'), attr(attrs, 'bias1'), attr(attrs, 'bias2Sqrt'), attr(attrs, 'weightDecay'));
    return [pOut, mOut, vOut];
  },
};

// ---------------------------------------------------------------------------------------------

/** Registers the fused kernels (once) and remembers the addon. Call with the wasm backend active. */
export function installNativeKernels(native: NativeAddon): void {
  addon = native;
  if (!fusedRegistered) {
    for (const [kernelName, kernelFunc] of Object.entries(fused)) {
      tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc });
    }
    stockBatchMatMul = tf.getKernel('BatchMatMul', 'wasm');
    stockFusedMatMul = tf.getKernel('_FusedMatMul', 'wasm');
    for (const name of Object.keys(BINARY_OPS)) {
      const k = tf.getKernel(name, 'wasm');
      if (k) stockBinary.set(name, k);
    }
    if (!stockBatchMatMul || !stockFusedMatMul || stockBinary.size !== Object.keys(BINARY_OPS).length) throw new Error('the wasm backend lacks a kernel to replace');
    fusedRegistered = true;
  }
  setNativeMatMuls(true);
}

/** Swaps the wasm backend's replaced kernels (products, elementwise arithmetic) between the native and the stock ones. */
export function setNativeMatMuls(on: boolean): void {
  if (on === matMulsReplaced || !stockBatchMatMul || !stockFusedMatMul) return;
  const replaced: [tf.KernelConfig, (args: KernelArgs) => tf.TensorInfo][] = [
    [stockBatchMatMul, batchMatMulKernel],
    [stockFusedMatMul, fusedMatMulKernel],
    ...[...stockBinary].map(([name, k]) => [k, binaryKernel(name)] as [tf.KernelConfig, (args: KernelArgs) => tf.TensorInfo]),
  ];
  for (const [stock, ours] of replaced) {
    tf.unregisterKernel(stock.kernelName, 'wasm');
    if (on) tf.registerKernel({ kernelName: stock.kernelName, backendName: 'wasm', kernelFunc: ours });
    else tf.registerKernel(stock);
  }
  matMulsReplaced = on;
}
