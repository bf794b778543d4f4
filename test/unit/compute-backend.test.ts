import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { formatBench, runBenchmark } from '../../bench/run';
import { createReferenceParams, referenceBatch, referenceLoss } from '../../bench/reference-model';
import { Adam, initCompute, loadNative, valueAndGrads } from '../../daemon/compute';

const installed = (pkg: string): boolean => {
  try {
    createRequire(__filename).resolve(pkg);
    return true;
  } catch {
    return false;
  }
};

describe('backend selection', () => {
  it('auto picks wasm here and says what it tried and why', async () => {
    if (installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu')) return;
    const info = await initCompute();
    assert.equal(info.backend, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.match(info.reason, /no @tensorflow\/tfjs-node/);
    assert.equal(info.native.loaded, loadNative().status.loaded);
    if (process.env['UNIRL_NATIVE'] === '0') assert.match(info.native.reason, /UNIRL_NATIVE=0/);
  });

  it('honours an explicit choice, and refuses one that cannot load with the fix in the message', async () => {
    const cpu = await initCompute({ backend: 'cpu' });
    assert.equal(cpu.backend, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.equal(cpu.native.active, false);
    if (!installed('@tensorflow/tfjs-node') && !installed('@tensorflow/tfjs-node-gpu')) {
      await assert.rejects(initCompute({ backend: 'tensorflow' }), /npm install @tensorflow\/tfjs-node/);
    }
    if (!installed('webgpu')) await assert.rejects(initCompute({ backend: 'webgpu' }), /webgpu.*not installed/);
    await assert.rejects(initCompute({ backend: 'gpu' as never }), /unknown backend "gpu"/);
    await assert.rejects(initCompute({ backend: 'wasm', threads: 0 }), /threads must be/);
    const wasm = await initCompute({ backend: 'wasm', native: false });
    assert.equal(wasm.native.active, false);
    assert.match(wasm.reason, /without native kernels/);
  });
});

describe('the blocks on the pure-JS cpu backend', () => {
  it('train the reference model (the fallback of last resort works)', async () => {
    await initCompute({ backend: 'cpu' });
    const c = { vocab: 11, dim: 8, layers: 1, heads: 2, seq: 5, batch: 2 };
    const p = createReferenceParams(c, 1);
    const opt = new Adam({ lr: 1e-2 });
    const b = referenceBatch(c, 3);
    const inputs = tf.tensor(b.inputs, [c.batch, c.seq], 'int32');
    const targets = tf.tensor(b.targets, [c.batch, c.seq], 'int32');
    const losses: number[] = [];
    for (let i = 0; i < 15; i++) {
      const { value, grads } = valueAndGrads(p, () => referenceLoss(p, c, inputs, targets));
      opt.apply(p, grads);
      losses.push(value.dataSync()[0] ?? NaN);
      tf.dispose([value, ...grads.values()]);
    }
    assert.ok((losses[14] ?? NaN) < (losses[0] ?? NaN) - 0.3, `losses ${losses.join(', ')}`);
    tf.dispose([inputs, targets]);
    p.dispose();
    opt.dispose();
  });
});

describe('benchmark', () => {
  it('runs end to end on a tiny model and reports every field (PyTorch too, where it is installed)', async () => {
    const config = { vocab: 17, dim: 8, layers: 1, heads: 2, seq: 6, batch: 2 };
    const r = await runBenchmark({ backend: 'wasm', config, rounds: 1, stepsPerRound: 2, warmup: 1, soakSteps: 20, sampling: false });
    assert.equal(r.backend, 'wasm');
    assert.ok(r.matmulGflops > 0 && r.train.msPerStep > 0 && r.train.tokensPerSec > 0 && r.train.gflops > 0);
    assert.equal(r.train.fractionOfMatmul, r.train.gflops / r.matmulGflops);
    assert.equal(r.train.memory.tensorsAfter, r.train.memory.tensorsBefore);
    assert.equal(r.soak?.steps, 20);
    assert.equal(r.soak.tensorsAfter, r.soak.tensorsBefore);
    assert.equal(r.soak.bytesAfter, r.soak.bytesBefore);
    assert.ok(Math.abs(r.train.firstLoss - Math.log(17)) < 0.1, `first loss ${r.train.firstLoss} is near ln(vocab)`);
    if (r.torch.available) {
      assert.ok(r.torch.lossRelDiff !== null && r.torch.lossRelDiff < 1e-4, `loss differs from PyTorch by ${r.torch.lossRelDiff}`);
      assert.ok(r.torch.ratio !== null && r.torch.ratio > 0);
    } else {
      assert.equal(r.torch.ratio, null);
      assert.match(r.torch.reason, /torch/);
    }
    assert.match(formatBench(r), /train step/);
  });
});
