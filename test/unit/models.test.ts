import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { join } from 'node:path';
import { Adam, clipGlobalNorm, initCompute, loadCheckpoint, saveCheckpoint, valueAndGrads } from '../../daemon/compute';
import { addedParameters, AutoregressiveModel, createModel, maskSchedule, MaskedModel, modelConfig } from '../../daemon/models';
import { dialogueTargets } from '../../daemon/models/dialogue';
import { DEFAULT_SAMPLING } from '../../daemon/train';
import { Rng } from '../../daemon/util/random';
import { DEFAULT_WORLD, metadataFor, renderScene, sampleScene } from '../../daemon/world';
import { scratchDir } from '../scratch';

const tiny = { dim: 32, layers: 2, heads: 2, mlpRatio: 2 };

before(async () => {
  await initCompute({ backend: 'wasm' });
});

describe('MaskGIT schedule', () => {
  it('commits at least one token a step and ends fully unmasked', () => {
    for (const steps of [1, 4, 12, 64, 100]) {
      const s = maskSchedule(64, steps);
      assert.equal(s.length, steps);
      assert.equal(s[steps - 1], 0);
      let previous = 64;
      for (const remain of s) {
        assert.ok(remain < previous || previous === 0, `steps ${steps}: ${s.join(',')}`);
        previous = remain;
      }
    }
    // Cosine: most tokens stay masked early, few late.
    const s12 = maskSchedule(64, 12);
    assert.ok(s12[0]! >= 60 && s12[10]! <= 10, s12.join(','));
    assert.throws(() => maskSchedule(64, 0), /positive integer/);
  });

  it('sampling commits every token exactly once, along the schedule', async () => {
    const model = MaskedModel.create(modelConfig('masked', tiny));
    const steps = 6;
    const g = await model.generate(['a photo of two red circles', 'a photo of a ring'], { rng: new Rng(1), steps, cfg: 1.5 });
    const schedule = maskSchedule(64, steps);
    for (const commit of g.commitStep) {
      for (let s = 0; s < steps; s++) {
        const before = s === 0 ? 64 : schedule[s - 1]!;
        assert.equal(commit.filter((c) => c === s).length, before - schedule[s]!, `step ${s}`);
      }
    }
    assert.ok(g.tokens.every((t) => t.every((x) => x >= 0 && x < model.layout.image.vocabSize)));
    assert.ok(g.logprobs.every((lp) => lp.every((x) => x <= 0 && Number.isFinite(x))));
    assert.equal(g.images[0]!.width, 32);
    model.params.dispose();
  });
});

describe('log-probabilities of generated images', () => {
  // GRPO's ratio, KL and gradient use these: they must be the log-probs of the distribution that
  // was sampled (guided, at the sampling temperature), at the GRPO stage's own settings too.
  const settings = {
    masked: [{ steps: 5, temperature: 0.8, cfg: 1.5 }, DEFAULT_SAMPLING.masked],
    autoregressive: [{ steps: 64, temperature: 0.8, cfg: 1.5 }, DEFAULT_SAMPLING.autoregressive],
  } as const;
  for (const paradigm of ['masked', 'autoregressive'] as const) {
    for (const sampling of settings[paradigm]) {
      it(`${paradigm}, cfg ${sampling.cfg}, temperature ${sampling.temperature}, ${sampling.steps} steps: recomputing along the stored trajectory gives the sampling log-probs of every token`, async () => {
        const model = paradigm === 'masked' ? MaskedModel.create(modelConfig(paradigm, tiny)) : AutoregressiveModel.create(modelConfig(paradigm, tiny));
        const prompts = ['a photo of two red circles', 'a photo of a cross above a ring'];
        const g = await model.generate(prompts, { rng: new Rng(9), ...sampling });
        const recomputed = tf.tidy(() => {
          const { logprobs, weights } = model.imageLogprobs(prompts, g, sampling);
          return [logprobs.arraySync(), weights.arraySync()];
        }) as number[][][];
        for (let b = 0; b < 2; b++) {
          for (let j = 0; j < 64; j++) {
            assert.equal(recomputed[1]![b]![j], 1, `token ${j} of image ${b} carries no log-prob`);
            assert.ok(Math.abs(recomputed[0]![b]![j]! - g.logprobs[b]![j]!) < 2e-4, `${b}/${j}: ${recomputed[0]![b]![j]} vs ${g.logprobs[b]![j]}`);
          }
        }
        if (paradigm === 'masked') {
          // Any split of the MaskGIT steps covers each token exactly once, with the same log-prob.
          const parts = [[0, 2], [...Array(sampling.steps).keys()].filter((s) => s !== 0 && s !== 2)];
          const [a, b] = tf.tidy(() => parts.map((p) => {
            const r = model.imageLogprobs(prompts, g, sampling, p);
            return { lp: r.logprobs.arraySync() as number[][], w: r.weights.arraySync() as number[][] };
          }));
          for (let i = 0; i < 2; i++) {
            for (let j = 0; j < 64; j++) {
              assert.equal(a!.w[i]![j]! + b!.w[i]![j]!, 1);
              assert.equal(a!.w[i]![j], [0, 2].includes(g.commitStep[i]![j]!) ? 1 : 0);
              assert.ok(Math.abs(a!.lp[i]![j]! + b!.lp[i]![j]! - recomputed[0]![i]![j]!) < 1e-5);
            }
          }
        }
        model.params.dispose();
      });
    }

    it(`${paradigm}: the gradient is that of the guided log-prob (both branches), by finite differences`, async () => {
      const model = paradigm === 'masked' ? MaskedModel.create(modelConfig(paradigm, tiny)) : AutoregressiveModel.create(modelConfig(paradigm, tiny));
      const sampling = DEFAULT_SAMPLING[paradigm];
      const prompts = ['a photo of two red circles'];
      const g = await model.generate(prompts, { rng: new Rng(4), ...sampling });
      const total = (): tf.Scalar => tf.sum(model.imageLogprobs(prompts, g, sampling).logprobs);
      // The final layer norm's gain: every logit of both branches depends on it.
      const name = 'ln_f.gamma';
      const v = model.params.get(name);
      const { grads } = tf.variableGrads(total, [v]);
      const analytic = grads[v.name]!.dataSync();
      const original = v.dataSync().slice();
      const h = 0.05;
      for (const k of [0, 7]) {
        const at = (x: number): number => {
          const values = original.slice();
          values[k] = x;
          v.assign(tf.tensor(values, v.shape));
          return tf.tidy(() => total().dataSync()[0]!);
        };
        const numeric = (at(original[k]! + h) - at(original[k]! - h)) / (2 * h);
        // A gradient of one branch alone would be off by about the whole (guided = (1 + w) cond - w uncond).
        assert.ok(Math.abs(numeric) > 0.01, `parameter ${k}: too small a gradient to tell (${numeric})`);
        assert.ok(Math.abs(numeric - analytic[k]!) < 2e-3 + 0.05 * Math.abs(numeric), `parameter ${k}: numeric ${numeric} vs analytic ${analytic[k]}`);
      }
      model.params.dispose();
    });
  }
});

describe('autoregressive model', () => {
  it('gives the same logits with the key/value cache as without it', async () => {
    const model = AutoregressiveModel.create(modelConfig('autoregressive', tiny));
    const a = await model.generate(['a photo of a blue cross', 'a photo of three squares'], { rng: new Rng(5), cfg: 2, temperature: 1, cache: true });
    const b = await model.generate(['a photo of a blue cross', 'a photo of three squares'], { rng: new Rng(5), cfg: 2, temperature: 1, cache: false });
    assert.deepEqual(a.tokens, b.tokens);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 64; j++) assert.ok(Math.abs(a.logprobs[i]![j]! - b.logprobs[i]![j]!) < 1e-4, `token ${j}: ${a.logprobs[i]![j]} vs ${b.logprobs[i]![j]}`);
    }
    model.params.dispose();
  });

  it('masks hide later positions: changing a later image token leaves earlier logits unchanged', () => {
    const model = AutoregressiveModel.create(modelConfig('autoregressive', tiny));
    const ids = [model.layout.text.encode('a photo of a ring')];
    const img = new Int32Array(64).map((_, i) => (i * 7) % 50);
    const other = img.slice();
    other[40] = 3;
    const [x, y] = tf.tidy(() => [model.imageLogitsFull(ids, [img], 63).arraySync(), model.imageLogitsFull(ids, [other], 63).arraySync()]) as number[][][][];
    for (let j = 0; j <= 40; j++) assert.deepEqual(x![0]![j], y![0]![j], `position ${j} saw the future`);
    assert.notDeepEqual(x![0]![41], y![0]![41]);
    model.params.dispose();
  });
});

describe('answer-word dropout', () => {
  it('hides answer words the model reads back, never the question or a target, and draws nothing at p = 0', () => {
    const layout = AutoregressiveModel.create(modelConfig('autoregressive', tiny)).layout;
    const q = ['What are two items in this image?'];
    const a = ['There is a ring and a cross'];
    const plain = dialogueTargets(layout, q, a, 66, 90);
    const rng = new Rng(3);
    const before = rng.state();
    assert.deepEqual(dialogueTargets(layout, q, a, 66, 90, { rng, p: 0 }), plain);
    assert.deepEqual(rng.state(), before);
    const dropped = dialogueTargets(layout, q, a, 66, 90, { rng: new Rng(3), p: 0.5 });
    assert.deepEqual(dropped.targets, plain.targets);
    assert.deepEqual(dropped.weights, plain.weights);
    const questionLength = layout.text.encode(q[0]!).length + 1;
    assert.deepEqual(dropped.dialogues[0]!.slice(0, questionLength), plain.dialogues[0]!.slice(0, questionLength));
    const answerRead = dropped.dialogues[0]!.slice(questionLength);
    const hidden = answerRead.filter((id, i) => id !== plain.dialogues[0]![questionLength + i]);
    assert.ok(hidden.length > 0 && hidden.length < answerRead.length, `${hidden.length} of ${answerRead.length} hidden`);
    assert.ok(hidden.every((id) => id === layout.text.pad));
  });
});

describe('autoregressive understanding with a bidirectional image block', () => {
  it('lets an early patch see a later one in understanding only; the same weights generate the same images', async () => {
    const causal = AutoregressiveModel.create(modelConfig('autoregressive', tiny));
    const both = AutoregressiveModel.create(modelConfig('autoregressive', { ...tiny, bidirectionalImage: true }));
    assert.throws(() => modelConfig('masked', { bidirectionalImage: true }), /autoregressive setting/);
    for (const [name, v] of causal.params.entries()) both.params.get(name).assign(v);
    const meta = metadataFor({ tag: 'colors', shape: 'ring', color: 'green' });
    const image = renderScene(sampleScene(meta, DEFAULT_WORLD, new Rng(3)), DEFAULT_WORLD);
    const changed = { ...image, data: image.data.slice() };
    changed.data.fill(0, changed.data.length - 3 * 4 * 32); // the bottom rows: the last patches
    const dialogue = [causal.layout.text.encode('What is the color of the object?')];
    // Logits at <mmu> and the first patch (positions 0 and 1), with the last patches changed.
    const early = (m: AutoregressiveModel, img: typeof image): number[] =>
      tf.tidy(() => Array.from(tf.slice(m['dialogueLogits']([img], dialogue), [0, 0, 0], [1, 2, -1]).dataSync()));
    assert.deepEqual(early(causal, image), early(causal, changed));
    assert.notDeepEqual(early(both, image), early(both, changed));
    const a = await causal.generate([meta.prompt], { rng: new Rng(4), cfg: 2 });
    const b = await both.generate([meta.prompt], { rng: new Rng(4), cfg: 2 });
    assert.deepEqual(a.tokens, b.tokens);
    causal.params.dispose();
    both.params.dispose();
  });
});

describe('autoregressive grid positions', () => {
  it('start at zero when a checkpoint without them is loaded, so the model answers as before; a file must name every other parameter', async () => {
    const plain = AutoregressiveModel.create(modelConfig('autoregressive', tiny));
    const file = join(scratchDir('models-grid'), 'plain.safetensors');
    await saveCheckpoint(file, plain.params, { config: plain.config, step: 0 });
    const config = modelConfig('autoregressive', { ...tiny, gridPositions: true });
    assert.throws(() => modelConfig('masked', { gridPositions: true }), /autoregressive setting/);
    const grid = createModel(config);
    assert.throws(() => loadCheckpoint(file, grid.params), /missing: enc\.row, enc\.col/);
    loadCheckpoint(file, grid.params, undefined, addedParameters(plain.config, config));
    assert.deepEqual(addedParameters(config, config), []);
    const meta = metadataFor({ tag: 'colors', shape: 'ring', color: 'green' });
    const image = renderScene(sampleScene(meta, DEFAULT_WORLD, new Rng(3)), DEFAULT_WORLD);
    const answer = (m: typeof grid): number[] => tf.tidy(() => Array.from(m.answerLogprobs([image], [meta.question!], [meta.answer!]).dataSync()));
    assert.deepEqual(answer(grid), answer(plain));
    // Once the tables move, the same patch content at another row or column reads differently.
    grid.params.get('enc.col').assign(tf.randomNormal([1, 8, tiny.dim], 0, 0.5, 'float32', 7));
    assert.notDeepEqual(answer(grid), answer(plain));
    plain.params.dispose();
    grid.params.dispose();
  });
});

describe('masked model attention', () => {
  it('image tokens see each other both ways; the prompt never sees the image', () => {
    const model = MaskedModel.create(modelConfig('masked', tiny));
    const rng = new Rng(2);
    const meta = metadataFor({ tag: 'colors', shape: 'ring', color: 'green' });
    const image = renderScene(sampleScene(meta, DEFAULT_WORLD, rng), DEFAULT_WORLD);
    const tokens = model.layout.image.encode(image);
    const changed = tokens.slice();
    changed[63] = changed[63] === 0 ? 5 : 0;
    // Understanding: an answer depends on every image token, including the last one (bidirectional block).
    const q = 'What is the color of the object?';
    const la = tf.tidy(() => model.understandingLoss([image], [q], ['green']).dataSync()[0]!);
    const lb = tf.tidy(() => model.understandingLoss([model.layout.image.decode(changed)], [q], ['green']).dataSync()[0]!);
    assert.notEqual(la, lb);
    model.params.dispose();
  });
});

describe('learning', () => {
  it('a tiny masked model learns to answer colour questions in seconds', async () => {
    const model = MaskedModel.create(modelConfig('masked', { ...tiny, dim: 48, heads: 2, seed: 3 }));
    const optimizer = new Adam({ lr: 3e-3 });
    const rng = new Rng(4);
    const colors = ['red', 'blue', 'yellow'] as const;
    const draw = (n: number) =>
      Array.from({ length: n }, () => {
        const color = rng.pick(colors);
        const meta = metadataFor({ tag: 'colors', shape: rng.pick(['circle', 'square', 'ring'] as const), color });
        return { image: renderScene(sampleScene(meta, DEFAULT_WORLD, rng), DEFAULT_WORLD), color };
      });
    const q = 'What is the color of the object?';
    for (let step = 0; step < 60; step++) {
      const batch = draw(12);
      const { value, grads } = valueAndGrads(model.params, () => model.understandingLoss(batch.map((b) => b.image), batch.map(() => q), batch.map((b) => b.color)));
      clipGlobalNorm(grads, 1).dispose();
      optimizer.apply(model.params, grads);
      tf.dispose([value, ...grads.values()]);
    }
    const test = draw(30);
    const { answers } = await model.answer(test.map((t) => t.image), test.map(() => q));
    const correct = answers.filter((a, i) => a === test[i]!.color).length;
    assert.ok(correct >= 27, `only ${correct} / 30 colours right: ${answers.join(', ')}`);
    optimizer.dispose();
    model.params.dispose();
  });
});
