/**
 * The WebGPU backend (Dawn in Node) on whatever adapter this machine has: in CI a software one
 * (Mesa's llvmpipe through OpenGL ES, which .ci/run installs). Every block's value and gradient
 * against the pure-JS cpu backend; pretraining of each paradigm on webgpu against wasm from the
 * same seed, and seeded sampling and answering on both (the CLI, end to end); adapter
 * classification and the fallback when none is found.
 * Off CI a machine without any adapter skips with the reason; in CI that is a failure.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Adam, attention, clipGlobalNorm, dense, embedding, gelu, initCompute, isSoftwareAdapter, layerNorm, Parameters, tokenNll, useFusedAdam, type ComputeInfo } from '../../daemon/compute';
import { createImageTokenizer } from '../../daemon/tokenizers';
import { Rng } from '../../daemon/util/random';
import { scratchDir } from '../scratch';

const root = join(__dirname, '..', '..');
const cli = join(root, 'bin', 'unirl.js');

let info: ComputeInfo | undefined;
let unavailable: string | undefined;
before(async () => {
  try {
    info = await initCompute({ backend: 'webgpu' });
  } catch (err) {
    unavailable = (err as Error).message;
    if (process.env['CI'] === 'true') throw err;
  }
});

const rng = new Rng(7);
const randn = (shape: number[], scale = 1): Float32Array => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * scale);
const ints = (n: number, hi: number): Int32Array => Int32Array.from({ length: n }, () => rng.int(0, hi - 1));

/** Value and gradients of sum(block(x) * upstream) on one backend, read back asynchronously. */
async function evaluate(backend: 'cpu' | 'webgpu', block: (t: tf.Tensor[]) => tf.Tensor, inputs: { shape: number[]; data: Float32Array | Int32Array; diff: boolean }[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const tensors = inputs.map((i) => tf.tensor(i.data, i.shape, i.data instanceof Int32Array ? 'int32' : 'float32'));
  const diff = inputs.flatMap((i, k) => (i.diff ? [k] : []));
  const value = block(tensors);
  const upstream = tf.tensor(Float32Array.from({ length: value.size }, (_, k) => Math.sin(k * 0.7) + 0.1), value.shape);
  const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(block(tensors.map((t, k) => (diff.includes(k) ? xs[diff.indexOf(k)]! : t))), upstream)))(diff.map((k) => tensors[k]!));
  const out = await Promise.all([value, ...grads].map(async (t) => (await t.data()) as Float32Array));
  tf.dispose([...tensors, value, upstream, ...grads]);
  await tf.setBackend('webgpu');
  return out;
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  let scale = 1e-6;
  for (let i = 0; i < actual.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  assert.ok(worst <= 1e-4 * Math.max(1, scale), `${what}: max |webgpu - cpu| ${worst} (values up to ${scale})`);
}

describe('webgpu backend', () => {
  it('finds an adapter by itself and reports it', (t) => {
    if (unavailable) return t.skip(`no WebGPU adapter here: ${unavailable}`);
    assert.equal(info!.backend, 'webgpu');
    const a = info!.adapter!;
    assert.ok(a.description || a.device, 'the adapter has a name');
    assert.equal(a.software, isSoftwareAdapter({ vendor: a.vendor, architecture: a.architecture, description: a.description, device: a.device }));
    assert.match(info!.reason, /WebGPU on /);
  });

  it('tells software rasterisers from GPUs', () => {
    assert.equal(isSoftwareAdapter({ description: 'OpenGL ES 3.2 Mesa 22.3.6', device: 'llvmpipe-llvm-15' }), true);
    assert.equal(isSoftwareAdapter({ vendor: 'google', description: 'SwiftShader Device (Subzero)' }), true);
    assert.equal(isSoftwareAdapter({ vendor: 'mesa', description: 'lavapipe' }), true);
    assert.equal(isSoftwareAdapter({ vendor: 'nvidia', description: 'NVIDIA: 580.159.04', device: 'nvidia-h200' }), false);
    assert.equal(isSoftwareAdapter({ vendor: 'amd', architecture: 'rdna-3' }), false);
  });

  const cases: [string, (t: tf.Tensor[]) => tf.Tensor, { shape: number[]; data: Float32Array | Int32Array; diff: boolean }[]][] = [
    ['dense', ([x, w, b]) => dense(x!, w!, b), [{ shape: [2, 5, 8], data: randn([2, 5, 8]), diff: true }, { shape: [8, 6], data: randn([8, 6], 0.3), diff: true }, { shape: [6], data: randn([6]), diff: true }]],
    ['embedding', ([ids, table]) => embedding(ids!, table!), [{ shape: [3, 7], data: ints(21, 11), diff: false }, { shape: [11, 4], data: randn([11, 4]), diff: true }]],
    ['layerNorm', ([x, g, b]) => layerNorm(x!, g!, b!), [{ shape: [3, 4, 8], data: randn([3, 4, 8], 2), diff: true }, { shape: [8], data: randn([8]), diff: true }, { shape: [8], data: randn([8]), diff: true }]],
    ['gelu', ([x]) => gelu(x!), [{ shape: [4, 9], data: randn([4, 9], 2), diff: true }]],
    ['attention (causal)', ([q, k, v]) => attention(q!, k!, v!, { heads: 2, causal: true }), [0, 1, 2].map(() => ({ shape: [2, 6, 8], data: randn([2, 6, 8]), diff: true }))],
    ['tokenNll', ([logits, targets]) => tokenNll(logits!, targets!), [{ shape: [2, 5, 9], data: randn([2, 5, 9], 2), diff: true }, { shape: [2, 5], data: ints(10, 9), diff: false }]],
  ];
  for (const [name, block, inputs] of cases) {
    it(`${name}: value and gradients equal the cpu backend's`, async (t) => {
      if (unavailable) return t.skip(`no WebGPU adapter here: ${unavailable}`);
      const [ours, ref] = [await evaluate('webgpu', block, inputs), await evaluate('cpu', block, inputs)];
      ours.forEach((o, i) => assertClose(o, ref[i]!, `${name} ${i === 0 ? 'value' : `gradient ${i}`}`));
    });
  }

  it('Adam: the fused WGSL update gives the parameters and moments of the element-wise one on cpu', async (t) => {
    if (unavailable) return t.skip(`no WebGPU adapter here: ${unavailable}`);
    // Shapes of one to three dimensions, one past a 64-wide workgroup's multiple; three steps with weight decay.
    const shapes = [[130], [7, 9], [3, 5, 11]];
    const init = shapes.map((s) => randn(s));
    const gradients = [0, 1, 2].map(() => shapes.map((s) => randn(s, 0.5)));
    const run = async (backend: 'cpu' | 'webgpu'): Promise<{ fused: boolean; values: Float32Array[] }> => {
      await tf.setBackend(backend);
      const params = new Parameters();
      shapes.forEach((s, i) => params.add(`p${i}`, s, init[i]!));
      const adam = new Adam({ lr: 0.01, weightDecay: 0.1 });
      for (const step of gradients) {
        const grads = new Map(step.map((g, i) => [`p${i}`, tf.tensor(g, shapes[i])] as const));
        adam.apply(params, grads);
        tf.dispose([...grads.values()]);
      }
      const state = adam.state();
      const tensors = shapes.flatMap((_, i) => [params.get(`p${i}`), state.m.get(`p${i}`)!, state.v.get(`p${i}`)!]);
      const values = await Promise.all(tensors.map(async (x) => (await x.data()) as Float32Array));
      const fused = useFusedAdam();
      params.dispose();
      adam.dispose();
      await tf.setBackend('webgpu');
      return { fused, values };
    };
    const [gpu, cpu] = [await run('webgpu'), await run('cpu')];
    assert.equal(gpu.fused, true, 'webgpu takes the fused kernel');
    assert.equal(cpu.fused, false);
    gpu.values.forEach((v, i) => assertClose(v, cpu.values[i]!, `${['parameter', 'm', 'v'][i % 3]} ${Math.floor(i / 3)}`));
  });

  it('token NLL past 2^24 logits: each row picks its own target (flat indices that large are not exact on webgpu)', async (t) => {
    if (unavailable) return t.skip(`no WebGPU adapter here: ${unavailable}`);
    // Generation logits at batch 72: [72 x 64 rows, 3761 classes], 17.3 M values, the last rows past 2^24.
    const [rows, classes] = [72 * 64, 3761];
    const value = (i: number): number => ((i * 2654435761) % 1000) / 250;
    const logits = tf.tensor2d(Float32Array.from({ length: rows * classes }, (_, i) => value(i)), [rows, classes]);
    const targets = Int32Array.from({ length: rows }, (_, r) => (r * 37 + 11) % classes);
    const nll = tokenNll(logits, tf.tensor1d(targets, 'int32'));
    const got = (await nll.data()) as Float32Array;
    assert.ok((rows - 1) * classes > 2 ** 24, 'the last rows lie past 2^24');
    for (let r = rows - 40; r < rows; r++) {
      let max = -Infinity;
      for (let c = 0; c < classes; c++) max = Math.max(max, value(r * classes + c));
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp(value(r * classes + c) - max);
      const want = max + Math.log(sum) - value(r * classes + targets[r]!);
      assert.ok(Math.abs(got[r]! - want) < 1e-3, `row ${r}: ${got[r]} against ${want}`);
    }
    tf.dispose([logits, nll]);
  });

  it('clips the global norm on the device (many gradients, beyond one shader stage\'s bindings)', async (t) => {
    if (unavailable) return t.skip(`no WebGPU adapter here: ${unavailable}`);
    const grads = new Map(Array.from({ length: 20 }, (_, i) => [`g${i}`, tf.fill([3], i + 1)] as const));
    const expected = Math.sqrt(Array.from({ length: 20 }, (_, i) => 3 * (i + 1) ** 2).reduce((a, b) => a + b));
    const norm = clipGlobalNorm(grads, 1);
    assert.ok(Math.abs((await norm.data())[0]! - expected) < 1e-3 * expected);
    const clipped = Math.sqrt((await Promise.all([...grads.values()].map((g) => g.data()))).flatMap((d) => [...d]).reduce((a, x) => a + x * x, 0));
    assert.ok(Math.abs(clipped - 1) < 1e-4, `norm after clipping ${clipped}`);
    tf.dispose([norm, ...grads.values()]);
  });
});

describe('training and sampling on webgpu against wasm (the CLI, same seed and data)', () => {
  const dir = scratchDir('webgpu');
  for (const paradigm of ['autoregressive', 'masked']) {
    it(`${paradigm}: the logged losses agree`, (t) => {
      if (unavailable) return t.skip(`no WebGPU adapter here: ${unavailable}`);
      const losses = (backend: string): number[] => {
        const metrics = join(dir, `${paradigm}-${backend}.jsonl`);
        const args = [cli, 'pretrain', '--out', join(dir, `${paradigm}-${backend}.safetensors`), '--paradigm', paradigm, '--steps', '3', '--batch', '3', '--dim', '16', '--layers', '1', '--heads', '2', '--checkpoint-every', '100', '--log-every', '1', '--backend', backend, '--metrics', metrics];
        const run = spawnSync(process.execPath, args, { encoding: 'utf8' });
        assert.equal(run.status, 0, `${backend}: ${run.stderr}`);
        return readFileSync(metrics, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { 'train/loss': number })['train/loss']);
      };
      const [gpu, wasm] = [losses('webgpu'), losses('wasm')];
      assert.equal(gpu.length, wasm.length);
      // Same weights and batches; float32 sums in another order: losses agree to 1e-4 relative.
      gpu.forEach((g, i) => assert.ok(Math.abs(g - wasm[i]!) <= 1e-4 * Math.abs(wasm[i]!), `step ${i + 1}: webgpu ${g}, wasm ${wasm[i]}`));
    });
  }

  for (const paradigm of ['autoregressive', 'masked']) {
    it(`${paradigm}: seeded sampling draws the same image, and the model gives the same answer, on both`, (t) => {
      if (unavailable) return t.skip(`no WebGPU adapter here: ${unavailable}`);
      const checkpoint = join(dir, `${paradigm}-wasm.safetensors`);
      const outputs = ['webgpu', 'wasm'].map((backend) => {
        const png = join(dir, `${paradigm}-${backend}.png`);
        const sample = spawnSync(process.execPath, [cli, 'sample', '--checkpoint', checkpoint, '--prompt', 'a photo of two red circles', '--out', png, '--seed', '5', '--steps', '4', '--backend', backend], { encoding: 'utf8' });
        assert.equal(sample.status, 0, `${backend}: ${sample.stderr}`);
        const ask = spawnSync(process.execPath, [cli, 'ask', '--checkpoint', checkpoint, '--image', png, '--question', 'How many circles are in the image?', '--backend', backend], { encoding: 'utf8' });
        assert.equal(ask.status, 0, `${backend}: ${ask.stderr}`);
        return { image: readFileSync(png), answer: ask.stdout };
      });
      assert.ok(outputs[0]!.image.equals(outputs[1]!.image), 'the same image on webgpu and wasm');
      assert.equal(outputs[0]!.answer, outputs[1]!.answer);
    });
  }

  it('a step past the device limits stops the run with the device\'s message and writes no checkpoint', (t) => {
    if (unavailable) return t.skip(`no WebGPU adapter here: ${unavailable}`);
    // The generation logits are [batch, 64 image tokens, vocab] floats: pick the first batch whose
    // logits exceed one storage binding (a dispatch WebGPU skips, leaving zeros, without throwing).
    const limit = (tf.backend() as unknown as { device: { limits: { maxStorageBufferBindingSize: number } } }).device.limits.maxStorageBufferBindingSize;
    const tokenizer = createImageTokenizer({ canvas: 32 }, 4);
    const batch = Math.floor(limit / (tokenizer.length * tokenizer.vocabSize * 4)) + 1;
    if (batch > 1024) return t.skip(`this adapter binds ${limit} bytes: a batch of ${batch} is too large for a unit test`);
    const out = join(dir, 'over-limit.safetensors');
    const run = spawnSync(process.execPath, [cli, 'pretrain', '--out', out, '--paradigm', 'autoregressive', '--steps', '2', '--batch', String(batch), '--und-batch', '2', '--dim', '16', '--layers', '1', '--heads', '2', '--log-every', '1', '--backend', 'webgpu'], { encoding: 'utf8' });
    assert.notEqual(run.status, 0, 'the run must fail, not train on skipped dispatches');
    assert.match(run.stderr, /unirl pretrain: the GPU device reported an error, so results computed since are wrong and were not used: Binding size \(\d+\)/);
    assert.doesNotMatch(run.stdout, /^step \d/m, 'no loss computed past the error is logged');
    assert.ok(!existsSync(out), 'no checkpoint from a failed step');
  });

  it('an explicit webgpu choice with no adapter fails and says what was tried', () => {
    // Mesa's EGL cannot start on X11 without a display: no adapter by either route.
    const run = spawnSync(process.execPath, [cli, 'pretrain', '--out', join(dir, 'none.safetensors'), '--steps', '1', '--backend', 'webgpu'], {
      encoding: 'utf8',
      env: { ...process.env, EGL_PLATFORM: 'x11', DISPLAY: ':99', VK_DRIVER_FILES: '/nonexistent.json', VK_ICD_FILENAMES: '/nonexistent.json' },
    });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /backend "webgpu" is unavailable: (no WebGPU adapter|the optional package)/);
  });
});
