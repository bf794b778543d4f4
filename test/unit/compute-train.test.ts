/**
 * Training with the compute layer: the tensor count and bytes stay flat over many steps, and a run
 * resumed from a checkpoint is exactly the run that never stopped; in each kernel mode.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { createReferenceParams, referenceBatch, referenceLoss, type ReferenceConfig } from '../../bench/reference-model';
import { Adam, initCompute, loadCheckpoint, loadNative, memorySnapshot, saveCheckpoint, setNativeKernels, valueAndGrads, type Parameters } from '../../daemon/compute';
import { scratchDir } from '../scratch';

const TINY: ReferenceConfig = { vocab: 29, dim: 16, layers: 2, heads: 2, seq: 8, batch: 3 };
const dir = scratchDir('train');

function trainer(seed: number) {
  const params = createReferenceParams(TINY, seed);
  const optimizer = new Adam({ lr: 3e-3 });
  const batch = referenceBatch(TINY, 11);
  const inputs = tf.keep(tf.tensor(batch.inputs, [TINY.batch, TINY.seq], 'int32'));
  const targets = tf.keep(tf.tensor(batch.targets, [TINY.batch, TINY.seq], 'int32'));
  const step = (p: Parameters = params, opt: Adam = optimizer): number => {
    const { value, grads } = valueAndGrads(p, () => referenceLoss(p, TINY, inputs, targets));
    opt.apply(p, grads);
    for (const g of grads.values()) g.dispose();
    const loss = value.dataSync()[0] ?? NaN;
    value.dispose();
    return loss;
  };
  const dispose = () => {
    params.dispose();
    optimizer.dispose();
    inputs.dispose();
    targets.dispose();
  };
  return { params, optimizer, step, dispose };
}

const modes = () => (loadNative().status.loaded ? [true, false] : [false]);
const label = (native: boolean) => (native ? 'native kernels' : 'plain wasm');

describe('training with the compute layer', () => {
  before(async () => {
    await initCompute({ backend: 'wasm' });
  });

  it('learns: the loss on a fixed batch falls', () => {
    for (const native of modes()) {
      setNativeKernels(native);
      const t = trainer(1);
      const first = t.step();
      let last = first;
      for (let i = 0; i < 40; i++) last = t.step();
      assert.ok(first > 3 && last < first - 1, `${label(native)}: loss ${first} -> ${last}`);
      t.dispose();
    }
  });

  it('keeps the tensor count and bytes flat over many steps', () => {
    for (const native of modes()) {
      setNativeKernels(native);
      const t = trainer(2);
      for (let i = 0; i < 3; i++) t.step();
      const start = memorySnapshot();
      for (let i = 0; i < 150; i++) t.step();
      const end = memorySnapshot();
      assert.equal(end.tensors, start.tensors, `${label(native)}: tensors`);
      assert.equal(end.bytes, start.bytes, `${label(native)}: bytes`);
      assert.equal(end.buffers, start.buffers, `${label(native)}: buffers`);
      t.dispose();
    }
  });

  it('resumes exactly: N steps straight equal N/2, checkpoint, reload into a fresh model, N/2', async () => {
    for (const native of modes()) {
      setNativeKernels(native);
      const straight = trainer(3);
      const lossesA: number[] = [];
      for (let i = 0; i < 8; i++) lossesA.push(straight.step());

      const first = trainer(3);
      const lossesB: number[] = [];
      for (let i = 0; i < 4; i++) lossesB.push(first.step());
      const file = join(dir, `resume-${native}.safetensors`);
      await saveCheckpoint(file, first.params, { config: TINY, step: 4, optimizer: first.optimizer });
      first.dispose();

      const resumed = trainer(99); // different initial weights: everything must come from the checkpoint
      const info = loadCheckpoint(file, resumed.params, resumed.optimizer);
      assert.equal(info.step, 4);
      assert.deepEqual(info.config, TINY);
      for (let i = 0; i < 4; i++) lossesB.push(resumed.step());

      assert.deepEqual(lossesB, lossesA, `${label(native)}: losses`);
      for (const [name, v] of straight.params.entries()) {
        assert.deepEqual(resumed.params.get(name).dataSync(), v.dataSync(), `${label(native)}: ${name}`);
      }
      straight.dispose();
      resumed.dispose();
    }
  });

  it('gives the same losses with and without the native kernels', () => {
    if (!loadNative().status.loaded) return;
    const run = (native: boolean) => {
      setNativeKernels(native);
      const t = trainer(4);
      const losses = Array.from({ length: 5 }, () => t.step());
      t.dispose();
      return losses;
    };
    const a = run(true);
    const b = run(false);
    a.forEach((x, i) => assert.ok(Math.abs(x - (b[i] ?? NaN)) < 1e-4 * Math.abs(x), `step ${i}: ${x} vs ${b[i]}`));
  });
});
