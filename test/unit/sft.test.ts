/**
 * UniRL-SFT's choices: for the autoregressive model, which of its own images the generation SFT
 * keeps (the hard self verdict, or the best of each prompt's images by the soft one), and whether
 * understanding is trained at all; for the masked model, whether its own understanding or a frozen
 * copy of the base reads the answers. Runs the real loop on a tiny model.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { initCompute } from '../../daemon/compute';
import { loadModel, modelConfig } from '../../daemon/models';
import { bestOfEachGroup, DEFAULT_PRETRAIN, defaultSft, pretrain, sft, type SftConfig } from '../../daemon/train';
import { scratchDir } from '../scratch';

const dir = scratchDir('sft');
const base = join(dir, 'base.safetensors');

/** The values of one parameter of a checkpoint. */
function param(file: string, name: string): Float32Array {
  const { model } = loadModel(file);
  const values = model.params.get(name).dataSync() as Float32Array;
  model.params.dispose();
  return values;
}

const maskedBase = join(dir, 'masked-base.safetensors');

async function runSft(name: string, change: Partial<SftConfig>, paradigm: 'masked' | 'autoregressive' = 'autoregressive'): Promise<{ out: string; metrics: Record<string, number | null>[] }> {
  const out = join(dir, `${name}.safetensors`);
  const metrics: Record<string, number | null>[] = [];
  const config: SftConfig = { ...defaultSft(paradigm), steps: 2, seed: 3, logEvery: 1, checkpointEvery: 1000, promptsPerStep: 2, imagesPerPrompt: 3, ...change };
  await sft(config, paradigm === 'masked' ? maskedBase : base, out, { onMetrics: (m) => metrics.push(m) });
  return { out, metrics };
}

describe('UniRL-SFT, autoregressive', () => {
  before(async () => {
    await initCompute({ backend: 'wasm' });
    const model = modelConfig('autoregressive', { dim: 32, layers: 2, heads: 2, mlpRatio: 2 });
    await pretrain({ ...DEFAULT_PRETRAIN, steps: 2, seed: 1, logEvery: 1, checkpointEvery: 1000, model, batchSize: 2, understandingBatchSize: 2, warmup: 1 }, base);
  });

  it('keeps the best of each group', () => {
    assert.deepEqual(bestOfEachGroup([0.1, 0.5, 0.2, 0.9, 0.3, 0.9], 3), [1, 3]);
    assert.deepEqual(bestOfEachGroup([0.2, 0.2], 2), [0], 'a tie goes to the first');
    assert.deepEqual(bestOfEachGroup([0.1, 0.4, 0.3], 2), [1, 2], 'a short last group still has its best');
  });

  it('with the soft best-of pick and understanding left out, trains generation on one image a prompt and leaves the image encoder as it was', async () => {
    const { out, metrics } = await runSft('best', { accept: 'self_likelihood_best', trainUnderstanding: false });
    assert.equal(metrics.length, 2);
    for (const m of metrics) {
      assert.equal(m['sft/loss_understanding'], null);
      assert.ok(Number.isFinite(m['sft/loss_generation']), `generation loss ${m['sft/loss_generation']}`);
      assert.equal(m['sft/accepted'], 1 / 3);
      const likelihood = m['sft/rewards/self_likelihood/mean'];
      assert.ok(typeof likelihood === 'number' && likelihood >= 0 && likelihood <= 1, `self likelihood ${likelihood}`);
    }
    // The understanding encoder reads pixels only for answers: no gradient reaches it.
    assert.deepEqual(param(out, 'enc.w1'), param(base, 'enc.w1'));
    assert.notDeepEqual(param(out, 'ln_f.beta'), param(base, 'ln_f.beta'));
  });

  it('with understanding trained (the paper\'s SFT), moves the image encoder', async () => {
    const { out, metrics } = await runSft('paper', {});
    for (const m of metrics) assert.ok(Number.isFinite(m['sft/loss_understanding']));
    assert.notDeepEqual(param(out, 'enc.w1'), param(base, 'enc.w1'));
  });

  it('refuses a best-of pick from one image a prompt', async () => {
    await assert.rejects(runSft('one', { accept: 'self_likelihood_best', imagesPerPrompt: 1 }), /at least 2 images a prompt/);
  });
});

describe('UniRL-SFT, masked', () => {
  before(async () => {
    await initCompute({ backend: 'wasm' });
    const model = modelConfig('masked', { dim: 32, layers: 2, heads: 2, mlpRatio: 2 });
    await pretrain({ ...DEFAULT_PRETRAIN, steps: 2, seed: 1, logEvery: 1, checkpointEvery: 1000, model, batchSize: 2, understandingBatchSize: 2, warmup: 1 }, maskedBase);
  });
  const sampling = { steps: 4, cfg: 1, temperature: 1 };

  it('end to end (the paper\'s SFT): the answer loss trains the answer head and the generator', async () => {
    const { out, metrics } = await runSft('masked-paper', { sampling, lr: 1e-2 }, 'masked');
    for (const m of metrics) assert.ok(Number.isFinite(m['sft/loss_understanding']));
    assert.notDeepEqual(param(out, 'text.head'), param(maskedBase, 'text.head'));
    assert.notDeepEqual(param(out, 'img.mask_head'), param(maskedBase, 'img.mask_head'));
  });

  it('with understanding left out, a frozen copy of the base reads the answers: the generator moves, the answer head does not', async () => {
    const { out, metrics } = await runSft('masked-frozen-reader', { sampling, lr: 1e-2, trainUnderstanding: false }, 'masked');
    for (const m of metrics) assert.ok(Number.isFinite(m['sft/loss_understanding']), 'the answer loss is still computed (by the reader)');
    // text.head is read only to answer: the reader's copy has it, the trained model gets no gradient for it.
    assert.deepEqual(param(out, 'text.head'), param(maskedBase, 'text.head'));
    assert.notDeepEqual(param(out, 'img.mask_head'), param(maskedBase, 'img.mask_head'));
  });

  it('refuses a best-of pick (one end-to-end loss on every image)', async () => {
    await assert.rejects(runSft('masked-best', { sampling, accept: 'self_likelihood_best' }, 'masked'), /"accept" applies to the autoregressive model only/);
  });
});
