/**
 * Every building block against stock TensorFlow.js: values and gradients on random inputs, with
 * our blocks on wasm (with the native kernels when they load, and without), and the stock
 * composition (`reference`) differentiated by tfjs on the pure-JS cpu backend, which has none of
 * the wasm backend's missing kernels or bugs.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { attention, crossEntropy, dense, embedding, gelu, initCompute, layerNorm, loadNative, matMul, reference, setNativeKernels, tokenNll } from '../../daemon/compute';
import { Rng } from '../../daemon/util/random';

type Arr = Float32Array | Int32Array;
interface In {
  shape: number[];
  data: Arr;
  /** Differentiate with respect to this input. */
  diff?: boolean;
}

const rng = new Rng(42);
function randn(shape: number[], scale = 1): In {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: n }, () => rng.normal() * scale), diff: true };
}
function ints(shape: number[], hi: number): In {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Int32Array.from({ length: n }, () => rng.int(0, hi - 1)) };
}

interface Result {
  value: Float32Array;
  grads: Float32Array[];
}

/** The block's value and the gradients of sum(value * upstream) w.r.t. the diff inputs, on one backend. */
async function evaluate(backend: 'cpu' | 'wasm', block: (t: tf.Tensor[]) => tf.Tensor, inputs: In[]): Promise<Result> {
  await tf.setBackend(backend);
  try {
    return tf.tidy(() => {
      const tensors = inputs.map((i) => tf.tensor(i.data, i.shape, i.data instanceof Int32Array ? 'int32' : 'float32'));
      const value = block(tensors);
      const upstream = tf.tensor(Float32Array.from({ length: value.size }, (_, k) => Math.sin(k * 0.7) + 0.1), value.shape);
      const diffIdx = inputs.flatMap((i, k) => (i.diff ? [k] : []));
      const f = (...xs: tf.Tensor[]) => {
        const all = tensors.map((t, k) => (diffIdx.includes(k) ? (xs[diffIdx.indexOf(k)] as tf.Tensor) : t));
        return tf.sum(tf.mul(block(all), upstream));
      };
      const grads = diffIdx.length ? tf.grads(f)(diffIdx.map((k) => tensors[k] as tf.Tensor)) : [];
      return { value: value.dataSync() as Float32Array, grads: grads.map((g) => g.dataSync() as Float32Array) };
    });
  } finally {
    await tf.setBackend('wasm');
  }
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string, tol = 2e-5): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < actual.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs((actual[i] ?? 0) - (expected[i] ?? 0)));
    maxRef = Math.max(maxRef, Math.abs(expected[i] ?? 0));
  }
  assert.ok(Number.isFinite(maxDiff) && maxDiff <= tol * Math.max(1, maxRef), `${what}: max difference ${maxDiff} (reference scale ${maxRef})`);
}

const nativeLoaded = (): boolean => loadNative().status.loaded;
const MODES = [
  { name: 'native kernels', native: true },
  { name: 'plain wasm', native: false },
] as const;

/** Checks `ours` on wasm in each mode against `stock` on cpu. */
async function check(name: string, ours: (t: tf.Tensor[]) => tf.Tensor, stock: (t: tf.Tensor[]) => tf.Tensor, inputs: In[], tol?: number): Promise<void> {
  const expected = await evaluate('cpu', stock, inputs);
  for (const mode of MODES) {
    if (mode.native && !nativeLoaded()) continue;
    assert.equal(setNativeKernels(mode.native), mode.native);
    const got = await evaluate('wasm', ours, inputs);
    assertClose(got.value, expected.value, `${name} (${mode.name}) value`, tol);
    got.grads.forEach((g, i) => assertClose(g, expected.grads[i] ?? new Float32Array(), `${name} (${mode.name}) gradient ${i}`, tol));
  }
}

describe('compute blocks: values and gradients against stock tfjs', () => {
  before(async () => {
    const info = await initCompute({ backend: 'wasm' });
    assert.equal(info.backend, 'wasm');
    if (process.env['UNIRL_NATIVE'] === '0') assert.equal(info.native.loaded, false);
  });

  it('reports whether the native kernels are active, and why', async () => {
    const info = await initCompute({ backend: 'wasm' });
    assert.equal(typeof info.native.reason, 'string');
    assert.ok(info.native.reason.length > 0);
    assert.equal(info.native.active, info.native.loaded);
  });

  it('matMul in every transpose combination, 2-D and batched', async () => {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const a2 = randn(ta ? [7, 5] : [5, 7]);
      const b2 = randn(tb ? [6, 7] : [7, 6]);
      await check(`matMul 2-D ${ta}/${tb}`, ([a, b]) => matMul(a!, b!, ta, tb), ([a, b]) => tf.matMul(a!, b!, ta, tb), [a2, b2]);
      const a3 = randn(ta ? [3, 7, 5] : [3, 5, 7]);
      const b3 = randn(tb ? [3, 6, 7] : [3, 7, 6]);
      await check(`matMul batched ${ta}/${tb}`, ([a, b]) => matMul(a!, b!, ta, tb), ([a, b]) => tf.matMul(a!, b!, ta, tb), [a3, b3]);
    }
  });

  it('matMul broadcasts a batch of one (the native kernel folds it into one product)', async () => {
    // Values only: tfjs' own BatchMatMul gradient does not support a broadcast batch on any backend.
    const values = (x: In): In => ({ shape: x.shape, data: x.data });
    await check('matMul broadcast', ([a, b]) => tf.matMul(a!, b!, false, true), ([a, b]) => tf.matMul(a!, b!, false, true), [values(randn([4, 5, 7])), values(randn([1, 6, 7]))]);
    await check('matMul broadcast A', ([a, b]) => tf.matMul(a!, b!), ([a, b]) => tf.matMul(a!, b!), [values(randn([1, 5, 7])), values(randn([3, 7, 2]))]);
  });

  it('fused products with a bias are right when batched or transposed (stock wasm gets this wrong)', async () => {
    if (!nativeLoaded()) return;
    const fused = ([a, b, bias]: tf.Tensor[]) => tf.fused.matMul({ a: a!, b: b!, bias: bias!, transposeB: true, activation: 'relu' });
    const unfused = ([a, b, bias]: tf.Tensor[]) => tf.relu(tf.add(tf.matMul(a!, b!, false, true), bias!));
    const inputs = [randn([2, 9, 16]), randn([2, 5, 16]), randn([5])];
    const expected = await evaluate('cpu', unfused, inputs);
    setNativeKernels(true);
    assertClose((await evaluate('wasm', fused, inputs)).value, expected.value, 'fused matMul + bias + relu');
  });

  it('dense, with and without a bias, on [batch, time, width]', async () => {
    await check('dense+bias', ([x, w, b]) => dense(x!, w!, b), ([x, w, b]) => reference.dense(x!, w!, b), [randn([2, 6, 12]), randn([12, 10]), randn([10])]);
    await check('dense', ([x, w]) => dense(x!, w!), ([x, w]) => reference.dense(x!, w!), [randn([9, 12]), randn([12, 4])]);
  });

  it('embedding (repeated ids), without UnsortedSegmentSum on wasm', async () => {
    const ids = { shape: [3, 7], data: Int32Array.from([0, 1, 1, 4, 4, 4, 9, 2, 2, 3, 0, 0, 5, 6, 7, 8, 9, 9, 1, 3, 5]) };
    await check('embedding', ([i, t]) => embedding(i!, t!), ([i, t]) => reference.embedding(i!, t!), [ids, randn([10, 8])]);
  });

  it('gather on wasm (copies in the heap): rows, an inner axis, int32 values; an id out of range is an error', async () => {
    const values = (x: In): In => ({ shape: x.shape, data: x.data });
    const ids = { shape: [2, 3], data: Int32Array.from([4, 0, 4, 2, 1, 3]) };
    await check('gather rows', ([t, i]) => tf.gather(t!, i!), ([t, i]) => tf.gather(t!, i!), [values(randn([5, 7])), ids]);
    await check('gather axis 1', ([t, i]) => tf.gather(t!, i!, 1), ([t, i]) => tf.gather(t!, i!, 1), [values(randn([3, 5, 2])), ids]);
    await check('gather int32', ([t, i]) => tf.cast(tf.gather(t!, i!), 'float32'), ([t, i]) => tf.cast(tf.gather(t!, i!), 'float32'), [ints([5, 4], 100), ids]);
    const before = tf.memory().numTensors;
    assert.throws(() => tf.tidy(() => tf.gather(tf.zeros([5, 2]), tf.tensor1d([1, 5], 'int32'))), /gather: index 5 at position 1 is outside \[0, 5\)/);
    assert.equal(tf.memory().numTensors, before);
  });

  it('layer norm: input, gain and bias gradients', async () => {
    await check('layerNorm', ([x, g, b]) => layerNorm(x!, g!, b!), ([x, g, b]) => reference.layerNorm(x!, g!, b!), [randn([3, 5, 24], 3), randn([24]), randn([24])]);
  });

  it('GELU (tanh form) across a wide range', async () => {
    await check('gelu', ([x]) => gelu(x!), ([x]) => reference.gelu(x!), [randn([4, 50], 4)]);
  });

  it('softmax cross-entropy: per-token NLL, mean and weighted mean', async () => {
    const logits = randn([2, 5, 13], 3);
    const targets = ints([2, 5], 13);
    await check('tokenNll', ([l, t]) => tokenNll(l!, t!), ([l, t]) => reference.tokenNll(l!, t!), [logits, targets]);
    const weights = { shape: [2, 5], data: Float32Array.from([1, 0, 2, 1, 1, 0.5, 0, 0, 1, 3]) };
    await check('crossEntropy weighted', ([l, t, w]) => crossEntropy(l!, t!, w), ([l, t, w]) => tf.div(tf.sum(tf.mul(reference.tokenNll(l!, t!), w!)), tf.sum(w!)), [logits, targets, weights]);
    await check('crossEntropy', ([l, t]) => crossEntropy(l!, t!), ([l, t]) => tf.mean(reference.tokenNll(l!, t!)), [logits, targets]);
  });

  it('attention: causal, masked (shared and per-batch), and cross-attention with a causal offset', async () => {
    const q = randn([2, 6, 16]);
    const kv = [randn([2, 6, 16]), randn([2, 6, 16])];
    const att = (o: Parameters<typeof attention>[3]) => [([a, b, c]: tf.Tensor[]) => attention(a!, b!, c!, o), ([a, b, c]: tf.Tensor[]) => reference.attention(a!, b!, c!, o)] as const;
    const [oc, rc] = att({ heads: 4, causal: true });
    await check('attention causal', oc, rc, [q, ...kv]);
    // A per-batch padding mask, one row fully masked (it then attends uniformly, in both).
    const m = new Float32Array(2 * 6 * 6).fill(1);
    for (let i = 0; i < 6; i++) m[36 + i * 6 + 5] = 0;
    for (let j = 0; j < 6; j++) m[2 * 6 + j] = 0;
    const maskT = (data: Float32Array, shape: number[]) => ({ shape, data });
    const withMask = (mk: In, causal: boolean) =>
      check(`attention mask [${mk.shape.join(',')}] causal=${causal}`,
        ([a, b, c, mm]) => attention(a!, b!, c!, { heads: 2, causal, mask: mm! }),
        ([a, b, c, mm]) => reference.attention(a!, b!, c!, { heads: 2, causal, mask: mm! }),
        [q, ...kv, mk]);
    await withMask(maskT(m, [2, 6, 6]), false);
    await withMask(maskT(m.slice(0, 36), [6, 6]), true);
    const [ox, rx] = att({ heads: 2, causal: true });
    await check('attention cross, causal offset', ox, rx, [randn([2, 3, 8]), randn([2, 7, 8]), randn([2, 7, 8])]);
    // Long enough for the native kernel's blocked causal path (uneven row blocks, with an offset).
    await check('attention causal, long', ox, rx, [randn([1, 70, 8]), randn([1, 70, 8]), randn([1, 70, 8])]);
    await check('attention causal, long, offset', ox, rx, [randn([1, 64, 8]), randn([1, 80, 8]), randn([1, 80, 8])]);
    const [om, rm] = att({ heads: 2, causal: true, mask: tf.tensor2d(Array.from({ length: 70 * 70 }, (_, i) => (i % 7 === 3 ? 0 : 1)), [70, 70]) });
    await check('attention causal + mask, long', om, rm, [randn([1, 70, 8]), randn([1, 70, 8]), randn([1, 70, 8])]);
  });

  it('add, subtract, multiply and divide with repeated operands (native) and other broadcasts (stock)', async () => {
    const ops = { add: tf.add, sub: tf.sub, mul: tf.mul, div: (a: tf.Tensor, b: tf.Tensor) => tf.div(a, tf.add(tf.abs(b), 0.5)) };
    const pairs: [number[], number[]][] = [
      [[2, 3, 4], [2, 3, 4]],
      [[2, 3, 4], [4]],
      [[4], [2, 3, 4]],
      [[2, 3, 4], [1, 3, 4]],
      [[2, 3, 4], []],
      [[], [3, 4]],
      [[2, 1, 4], [2, 3, 4]],
      [[2, 3, 1], [1, 1, 4]],
    ];
    for (const [name, op] of Object.entries(ops)) {
      for (const [sa, sb] of pairs) {
        await check(`${name} [${sa.join(',')}] [${sb.join(',')}]`, ([a, b]) => op(a!, b!), ([a, b]) => op(a!, b!), [randn(sa), randn(sb)]);
      }
    }
  });

  it('slice and split (read straight from the wasm heap) match the cpu backend, with gradients', async () => {
    const cases: [number[], number[], number[]][] = [
      [[7], [2], [4]],
      [[5, 6], [1, 0], [3, 6]],
      [[5, 6], [0, 2], [5, 3]],
      [[3, 4, 12], [0, 0, 4], [3, 4, 4]],
      [[3, 4, 5, 2], [1, 1, 0, 0], [2, 2, 5, 2]],
      [[2, 3, 4, 5, 6], [1, 0, 2, 1, 3], [1, 3, 2, 3, 2]],
      [[4, 3], [0, 0], [0, 3]],
    ];
    for (const [shape, begin, size] of cases) {
      await check(`slice ${shape.join('x')}`, ([x]) => tf.slice(x!, begin, size), ([x]) => tf.slice(x!, begin, size), [randn(shape)]);
    }
    await check('split 3 ways on the last axis', ([x]) => tf.concat(tf.split(x!, 3, -1).map((t, i) => tf.mul(t, i + 1)), 1), ([x]) => tf.concat(tf.split(x!, 3, -1).map((t, i) => tf.mul(t, i + 1)), 1), [randn([2, 5, 12])]);
    await check('split uneven on axis 1', ([x]) => tf.concat(tf.split(x!, [1, 4, 2], 1).map((t, i) => tf.mul(t, i + 1)), 1), ([x]) => tf.concat(tf.split(x!, [1, 4, 2], 1).map((t, i) => tf.mul(t, i + 1)), 1), [randn([3, 7, 2])]);
    const ints = tf.tensor3d(Array.from({ length: 24 }, (_, i) => i), [2, 3, 4], 'int32');
    assert.deepEqual(await tf.slice(ints, [0, 1, 1], [2, 2, 2]).array(), [[[5, 6], [9, 10]], [[17, 18], [21, 22]]]);
  });

  it('rejects bad ids, bad shapes and bad heads with clear errors', () => {
    const table = tf.zeros([4, 3]);
    assert.throws(() => embedding(tf.tensor1d([0, 4], 'int32'), table), /id 4 at position 1 is outside \[0, 4\)/);
    assert.throws(() => embedding(tf.tensor1d([-1], 'int32'), table), /outside/);
    assert.throws(() => embedding(tf.tensor1d([0.5]), table), /must be int32/);
    assert.throws(() => tokenNll(tf.zeros([2, 5]), tf.tensor1d([1, 5], 'int32')), /id 5 at position 1/);
    assert.throws(() => tokenNll(tf.zeros([2, 5]), tf.tensor1d([1, 2, 3], 'int32')), /do not match/);
    assert.throws(() => dense(tf.zeros([2, 3]), tf.zeros([4, 5])), /input width 3/);
    assert.throws(() => attention(tf.zeros([1, 2, 6]), tf.zeros([1, 2, 6]), tf.zeros([1, 2, 6]), { heads: 4 }), /4 heads do not divide width 6/);
    assert.throws(() => attention(tf.zeros([1, 3, 4]), tf.zeros([1, 2, 4]), tf.zeros([1, 2, 4]), { heads: 1, causal: true }), /causal needs/);
  });

  it('the native kernels refuse offsets outside the heap instead of crashing', () => {
    const { addon } = loadNative();
    if (!addon) return;
    const heap = new Uint8Array(64);
    assert.throws(() => addon.gelu(heap, 0, 32, 16), /run past the heap/);
    assert.throws(() => addon.gemm(heap, 1, 0, 0, 4, 4, 4, 0, 16, 2, 16, 0, 16, 1, 0), /aligned/);
    assert.throws(() => addon.gelu(heap, 0, 0, -1), /non-negative integer/);
    assert.throws(() => addon.embeddingGrad(new Uint8Array(new Int32Array([7, 0, 0, 0]).buffer), 0, 4, 8, 1, 2, 1), /class id 7/);
  });
});
