import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Adam, initCompute, saveCheckpoint, valueAndGrads, type Parameters } from '../../daemon/compute';
import { defaultDetector, evaluateDetections, keepDetections, type Detection } from '../../daemon/geneval';
import { AutoregressiveModel, generationOnlyParameters, loadModel, MaskedModel, modelConfig, straightThrough } from '../../daemon/models';
import {
  chooseSteps,
  curriculumDraw,
  DEFAULT_SAMPLING,
  defaultGrpo,
  referenceFile,
  grpo,
  type UnirlMetrics,
  type UnirlSample,
  detectorPartialCredit,
  ExternalImageError,
  groundingGap,
  groupAdvantages,
  grpoLoss,
  judgeAuc,
  judgeImages,
  PassRates,
  requireSelfGenerated,
  judgeOptionsFor,
  rewardsOf,
  selfGenerate,
  signalProbability,
} from '../../daemon/train';
import { Rng } from '../../daemon/util/random';
import { contrastPrompts, DEFAULT_WORLD, generatePromptSet, judgeAnswer, metadataFor, readCount, renderScene, sampleScene, type RgbImage, type Tag } from '../../daemon/world';
import { scratchDir } from '../scratch';

before(async () => {
  await initCompute({ backend: 'wasm' });
});

const close = (a: number, b: number, tol = 1e-5): void => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

describe('group advantages', () => {
  it('normalise within each group by its sample standard deviation', () => {
    const { advantages, std } = groupAdvantages([1, 0, 0, 1, 1, 1], 3, { eps: 0 });
    // Group 1: mean 1/3, sample std sqrt(1/3); group 2: all equal, std 0 -> advantages 0.
    const s = Math.sqrt(1 / 3);
    close(std[0]!, s);
    close(advantages[0]!, (1 - 1 / 3) / s);
    close(advantages[1]!, -1 / 3 / s);
    assert.deepEqual(advantages.slice(3), [0, 0, 0]);
    assert.equal(std[1], 0);
    // Unscaled (Dr. GRPO): reward minus the group mean, so a near-tie moves the policy little.
    const unscaled = groupAdvantages([0.9, 0.8, 0.7, 0.5, 0.5, 0.5], 3, { scale: false });
    close(unscaled.advantages[0]!, 0.1);
    close(unscaled.advantages[2]!, -0.1);
    close(groupAdvantages([0.9, 0.8, 0.7], 3).advantages[0]!, 1, 1e-3);
    assert.deepEqual(unscaled.advantages.slice(3), [0, 0, 0]);
    assert.throws(() => groupAdvantages([1, 0, 1], 1), /group size/);
    assert.throws(() => groupAdvantages([1, 0, 1], 2), /divide/);
  });
});

describe('the judge AUC', () => {
  it('is 1 for a judge that ranks like the referee within every group, 0 reversed, 0.5 constant, and ignores pairs across groups', () => {
    const referee = [true, false, false, true, true, false];
    assert.deepEqual(judgeAuc([0.9, 0.1, 0.2, 1, 1, 0], referee, 3), { auc: 1, pairs: 4 });
    assert.equal(judgeAuc([0.1, 0.9, 0.8, 0, 0, 1], referee, 3).auc, 0);
    assert.equal(judgeAuc([1, 1, 1, 1, 1, 1], referee, 3).auc, 0.5);
    // Group 1's two pairs ordered right, group 2's two reversed: 2 of 4 concordant.
    assert.equal(judgeAuc([1, 0, 0, 0, 0, 1], referee, 3).auc, 0.5);
    // A judge that is right only across groups (high scores in the group the referee likes more) earns nothing.
    assert.equal(judgeAuc([1, 1, 1, 0, 0, 0], [true, true, false, false, false, true], 3).auc, 0.5);
    assert.ok(Number.isNaN(judgeAuc([1, 0], [true, true], 2).auc), 'no pair told apart: no AUC');
  });
});

describe('GRPO loss', () => {
  it('is the negative mean advantage-weighted ratio when on-policy, with zero KL', () => {
    const logp = tf.tensor([[-1, -2], [-0.5, -3]]);
    const w = tf.tensor([[1, 1], [1, 0]]);
    const terms = grpoLoss(logp, logp, logp, w, tf.tensor([2, -1]), 0.2, 0.2);
    // ratio 1 everywhere: loss = -(2 + 2 - 1) / 3.
    close(terms.loss.dataSync()[0]!, -1);
    close(terms.kl.dataSync()[0]!, 0);
    close(terms.clipRatio.dataSync()[0]!, 0);
  });

  it('clips the ratio on the side the advantage favours and adds beta times the k3 KL', () => {
    const newLogp = tf.tensor([[Math.log(1.5)], [Math.log(0.5)]]);
    const old = tf.zeros([2, 1]);
    const ref = tf.zeros([2, 1]);
    const w = tf.ones([2, 1]);
    const adv = tf.tensor([1, 1]);
    const terms = grpoLoss(newLogp, old, ref, w, adv, 0.2, 0.1);
    // Token 1: ratio 1.5, A = 1 -> min(1.5, 1.2) = 1.2. Token 2: ratio 0.5 -> min(0.5, 0.8) = 0.5.
    // k3(x) = exp(ref - new) - (ref - new) - 1.
    const k3 = (lp: number): number => Math.exp(-lp) + lp - 1;
    const expected = -((1.2 - 0.1 * k3(Math.log(1.5))) + (0.5 - 0.1 * k3(Math.log(0.5)))) / 2;
    close(terms.loss.dataSync()[0]!, expected);
    close(terms.kl.dataSync()[0]!, (k3(Math.log(1.5)) + k3(Math.log(0.5))) / 2);
    close(terms.clipRatio.dataSync()[0]!, 1);
  });

  it('has the policy gradient -A/n at ratio 1', () => {
    const logp = tf.variable(tf.tensor([[-1, -2]]));
    const g = tf.grad((x: tf.Tensor) => grpoLoss(x, tf.tensor([[-1, -2]]), tf.tensor([[-1, -2]]), tf.ones([1, 2]), tf.tensor([3]), 0.2, 0.5).loss)(logp);
    const grad = g.dataSync();
    close(grad[0]!, -1.5);
    close(grad[1]!, -1.5);
  });
});

describe('UniRL stages use only self-generated images', () => {
  it('refuse a rendered image and accept the model\'s own', async () => {
    const model = MaskedModel.create(modelConfig('masked', { dim: 32, layers: 1, heads: 2, mlpRatio: 2 }));
    const meta = metadataFor({ tag: 'single_object', shape: 'ring' });
    const rendered = renderScene(sampleScene(meta, DEFAULT_WORLD, new Rng(1)), DEFAULT_WORLD);
    assert.throws(() => judgeImages(model, [meta], [rendered]), ExternalImageError);
    assert.throws(() => requireSelfGenerated([{ ...rendered }]), /only images the model generated itself/);
    const own = await selfGenerate(model, [meta.prompt, meta.prompt], { rng: new Rng(2), steps: 3 });
    const judgement = await judgeImages(model, [meta, meta], own.images);
    assert.equal(judgement.answers.length, 2);
    const gap = groundingGap(judgement);
    assert.ok(gap >= 0 && gap <= 1);
    model.params.dispose();
  });
});

describe('the self likelihood reward', () => {
  it("is the model's probability of the prompt's answer, times that of the object's name where the question leaves it out", async () => {
    const model = AutoregressiveModel.create(modelConfig('autoregressive', { dim: 16, layers: 1, heads: 2, mlpRatio: 2 }));
    const ring = metadataFor({ tag: 'single_object', shape: 'ring' });
    const yellowCross = metadataFor({ tag: 'colors', shape: 'cross', color: 'yellow' });
    const metas = [ring, yellowCross];
    const own = await selfGenerate(model, metas.map((m) => m.prompt), { rng: new Rng(3) });
    const judgement = await judgeImages(model, metas, own.images, { likelihood: true });
    const logp = (image: number, question: string, answer: string): number => {
      const t = model.answerLogprobs([own.images[image]!], [question], [answer]);
      const v = t.dataSync()[0]!;
      t.dispose();
      return v;
    };
    const likelihood = judgement.selfLikelihood!;
    close(Math.log(likelihood[0]!), logp(0, ring.question!, ring.answer!), 1e-4);
    // The colour question does not name the object: its class question is asked too.
    close(Math.log(likelihood[1]!), logp(1, yellowCross.question!, yellowCross.answer!) + logp(1, ring.question!, 'cross'), 1e-4);
    assert.deepEqual(rewardsOf(judgement, 'self_likelihood'), likelihood);
    assert.ok(likelihood.every((p) => p > 0 && p <= 1));
    // Without being asked, the judgement carries no likelihood and the reward says what is missing.
    const plain = await judgeImages(model, metas, own.images);
    assert.equal(plain.selfLikelihood, undefined);
    assert.throws(() => rewardsOf(plain, 'self_likelihood'), /likelihood: true/);
    model.params.dispose();
  });
});

describe('the self contrast reward', () => {
  it("is the prompt's share, among the prompts that contradict it, of the likelihood the generator gives the image's tokens", async () => {
    const model = AutoregressiveModel.create(modelConfig('autoregressive', { dim: 16, layers: 1, heads: 2, mlpRatio: 2 }));
    const three = metadataFor({ tag: 'counting', shape: 'ring', count: 3 });
    const blueCross = metadataFor({ tag: 'colors', shape: 'cross', color: 'blue' });
    const metas = [three, blueCross];
    const own = await selfGenerate(model, metas.map((m) => m.prompt), { rng: new Rng(5), cfg: 1 });
    const judgement = await judgeImages(model, metas, own.images, { contrast: true, likelihood: true });
    // By hand: log p(tokens | prompt) without guidance, for the prompt and each contrast, softmaxed.
    const logLikelihood = (i: number, prompt: string): number =>
      tf.tidy(() => tf.sum(model.imageLogprobs([prompt], { tokens: [own.tokens[i]!], commitStep: [own.commitStep[i]!] }, { temperature: 1, cfg: 0 }).logprobs).dataSync()[0]!);
    metas.forEach((m, i) => {
      const own_ = logLikelihood(i, m.prompt);
      const all = [own_, ...contrastPrompts(m).map((p) => logLikelihood(i, p))];
      const top = Math.max(...all);
      close(judgement.selfContrast![i]!, Math.exp(own_ - top) / all.reduce((a, l) => a + Math.exp(l - top), 0), 1e-4);
    });
    assert.equal(contrastPrompts(three).length, 3);
    assert.deepEqual(rewardsOf(judgement, 'self_contrast'), judgement.selfContrast);
    assert.deepEqual(rewardsOf(judgement, 'self_contrast_likelihood'), judgement.selfContrast!.map((c, i) => c * judgement.selfLikelihood![i]!));
    assert.deepEqual(judgeOptionsFor('self_contrast_likelihood'), { likelihood: true, count: false, countLikelihood: false, contrast: true });
    const plain = await judgeImages(model, metas, own.images);
    assert.equal(plain.selfContrast, undefined);
    assert.throws(() => rewardsOf(plain, 'self_contrast'), /contrast: true/);
    // A line that is none of the six templates has nothing to be told apart from: a clear error.
    const odd = { ...three, tag: 'two_object' as const, prompt: 'a photo of three rings and a ring' };
    const drawn = await selfGenerate(model, [odd.prompt], { rng: new Rng(6) });
    await assert.rejects(judgeImages(model, [odd], drawn.images, { contrast: true }), /no contrasts/);
    model.params.dispose();
  });
});

describe('the self count reward', () => {
  it("is the share of the prompt's groups the model counts as GenEval's rule asks, and a positioned pair's relation", async () => {
    // The committed base (not a random model), so that its answers hold number words to judge.
    const { model } = loadModel('models/shapes-ar-d192-base.safetensors');
    const three = metadataFor({ tag: 'counting', shape: 'ring', count: 3 });
    const placed = metadataFor({ tag: 'position', subject: 'circle', relation: 'above', target: 'square' });
    const colored = metadataFor({ tag: 'color_attr', first: 'cross', firstColor: 'red', second: 'diamond', secondColor: 'blue' });
    const metas = [three, placed, colored];
    const own = await selfGenerate(model, metas.map((m) => m.prompt), { rng: new Rng(4) });
    const judgement = await judgeImages(model, metas, own.images, { count: true, countLikelihood: true, likelihood: true });
    // The questions written out by hand, each with the counts it accepts.
    const asked: [number, string, (n: number) => boolean][] = [
      [0, 'How many rings in this image?', (n) => n === 3],
      [1, 'How many squares in this image?', (n) => n >= 1],
      [1, 'How many circles in this image?', (n) => n >= 1],
      [2, 'How many red crosses in this image?', (n) => n >= 1],
      [2, 'How many blue diamonds in this image?', (n) => n >= 1],
    ];
    const { answers } = await model.answer(asked.map(([i]) => own.images[i]!), asked.map(([, q]) => q));
    const right = [0, 0, 0];
    asked.forEach(([i, , accepts], k) => {
      const n = readCount(answers[k]!);
      if (n !== undefined && accepts(n)) right[i]!++;
    });
    right[1]! += Number(judgeAnswer(placed, judgement.answers[1]!).correct);
    assert.ok(answers.some((a) => readCount(a) !== undefined), answers.join(' | '));
    assert.deepEqual(judgement.selfCount, [right[0]! / 1, right[1]! / 3, right[2]! / 2]);
    assert.deepEqual(rewardsOf(judgement, 'self_count'), judgement.selfCount);
    // The soft form: the probability of the accepted count answers, summed per group, multiplied.
    const p = (image: number, question: string, answer: string): number => {
      const t = model.answerLogprobs([own.images[image]!], [question], [answer]);
      const v = Math.exp(t.dataSync()[0]!);
      t.dispose();
      return v;
    };
    const atLeastOne = (image: number, noun: string, plural: string): number =>
      p(image, `How many ${plural} in this image?`, `one ${noun}`) + ['two', 'three', 'four', 'five'].reduce((sum, n) => sum + p(image, `How many ${plural} in this image?`, `${n} ${plural}`), 0);
    const soft = judgement.selfCountLikelihood!;
    close(soft[0]!, p(0, 'How many rings in this image?', 'three rings'), 1e-5);
    close(soft[1]!, atLeastOne(1, 'square', 'squares') * atLeastOne(1, 'circle', 'circles') * p(1, placed.question!, placed.answer!), 1e-5);
    close(soft[2]!, atLeastOne(2, 'red cross', 'red crosses') * atLeastOne(2, 'blue diamond', 'blue diamonds'), 1e-5);
    assert.deepEqual(rewardsOf(judgement, 'self_count_likelihood'), soft);
    const plain = await judgeImages(model, metas, own.images);
    assert.equal(plain.selfCount, undefined);
    assert.throws(() => rewardsOf(plain, 'self_count'), /count: true/);
    assert.throws(() => rewardsOf(plain, 'self_count_likelihood'), /countLikelihood: true/);
    // The joint verdict: both questions' probabilities multiplied, image by image; both must be asked.
    assert.deepEqual(
      rewardsOf(judgement, 'self_joint_likelihood'),
      soft.map((c, i) => c * judgement.selfLikelihood![i]!),
    );
    assert.deepEqual(judgeOptionsFor('self_joint_likelihood'), { likelihood: true, count: false, countLikelihood: true, contrast: false });
    // Each is computed only when asked for: a GRPO step pays for the one its reward reads.
    const countOnly = await judgeImages(model, metas, own.images, { count: true });
    assert.deepEqual(countOnly.selfCount, judgement.selfCount);
    assert.equal(countOnly.selfCountLikelihood, undefined);
    assert.throws(() => rewardsOf(countOnly, 'self_joint_likelihood'), /likelihood: true, countLikelihood: true/);
    model.params.dispose();
  });
});

describe('UniRL-SFT straight-through Gumbel-softmax', () => {
  it('is one-hot forward and passes a non-zero gradient backward', () => {
    const soft = tf.tensor([[0.2, 0.5, 0.3]]);
    const hard = tf.tensor([[0, 1, 0]]);
    const y = tf.add(hard, straightThrough(soft));
    assert.deepEqual([...y.dataSync()], [0, 1, 0]);
    const g = tf.grad((s: tf.Tensor) => tf.sum(tf.mul(tf.add(hard, straightThrough(s)), tf.tensor([[1, 2, 3]]))))(soft);
    assert.deepEqual([...g.dataSync()], [1, 2, 3]);
  });

  it('carries the answer loss back to the generator: the image head gets a gradient', async () => {
    const model = MaskedModel.create(modelConfig('masked', { dim: 32, layers: 1, heads: 2, mlpRatio: 2 }));
    const meta = metadataFor({ tag: 'colors', shape: 'ring', color: 'blue' });
    const sampling = { temperature: 1, cfg: 1 };
    const generation = await selfGenerate(model, [meta.prompt, meta.prompt], { rng: new Rng(3), steps: 4, ...sampling });
    const grads = tf.variableGrads(
      () => model.endToEndAnswerLoss([meta.prompt, meta.prompt], generation, sampling, [meta.question!, meta.question!], ['blue', 'blue'], { tau: 1, steps: [3, 2], rng: new Rng(4) }),
      [model.params.get('img.mask_head'), model.params.get('img.color_head')],
    );
    for (const g of Object.values(grads.grads)) assert.ok(tf.sum(tf.abs(g)).dataSync()[0]! > 0, 'no gradient reached the generation head');
    // Forward equals the plain understanding loss on the generated image.
    const plain = model.understandingLoss(generation.images, [meta.question!, meta.question!], ['blue', 'blue']).dataSync()[0]!;
    close(grads.value.dataSync()[0]!, plain, 1e-4);
    model.params.dispose();
  });
});

describe('the detector control rewards', () => {
  it('give partial credit that is 1 exactly when GenEval judges the image correct', () => {
    const rng = new Rng(11);
    const lines = generatePromptSet({ seed: 3, split: 'train', counts: { single_object: 4, two_object: 6, counting: 8, colors: 6, position: 8, color_attr: 8 } });
    let partial = 0;
    for (const [i, meta] of lines.entries()) {
      const image = renderScene(sampleScene(meta, DEFAULT_WORLD, rng), DEFAULT_WORLD);
      // Its own prompt (a truth scene: correct) and the next line's of the same tag (mostly not).
      const other = lines.find((m, k) => k > i && m.tag === meta.tag) ?? meta;
      for (const judged of [meta, other]) {
        const kept = keepDetections(defaultDetector(image), judged.tag);
        const credit = detectorPartialCredit(kept, judged);
        const correct = evaluateDetections(kept, judged).correct;
        assert.ok(credit >= 0 && credit <= 1);
        assert.equal(credit === 1, correct, `${judged.prompt} on a scene of "${meta.prompt}": credit ${credit}, correct ${correct}`);
        if (!correct && credit > 0) partial++;
      }
    }
    assert.ok(partial > 5, `only ${partial} wrong images got partial credit`);
  });

  it('count found objects: two of three circles earn more than none', () => {
    const meta = metadataFor({ tag: 'counting', shape: 'circle', count: 3 });
    const det = (x: number): Detection => ({ class: 'circle', box: [x, 2, x + 5, 7], score: 1, color: 'red', area: 20 });
    const credit = (n: number): number => detectorPartialCredit(new Map([['circle', Array.from({ length: n }, (_, i) => det(i * 8))]]), meta);
    assert.equal(credit(3), 1);
    assert.ok(credit(0) < credit(2) && credit(2) < 1, `${credit(0)} ${credit(2)}`);
    assert.ok(credit(4) < 1, 'four circles are not "three circles"');
  });
});

describe('curriculum by measured pass rate', () => {
  it('estimates pass rates shrunk to the tag and draws prompts whose groups can disagree', () => {
    const always = metadataFor({ tag: 'colors', shape: 'ring', color: 'red' });
    const half = metadataFor({ tag: 'colors', shape: 'ring', color: 'blue' });
    const never = metadataFor({ tag: 'colors', shape: 'ring', color: 'green' });
    const rates = new PassRates(4);
    for (let i = 0; i < 20; i++) {
      rates.record(always, [1, 1, 1, 1, 1, 1, 1, 1]);
      rates.record(half, [1, 0, 1, 0, 1, 0, 1, 0]);
      rates.record(never, [0, 0, 0, 0, 0, 0, 0, 0]);
    }
    // An unseen prompt of the tag takes the tag's rate (here 1/2); seen ones their own, nearly.
    close(rates.estimate(metadataFor({ tag: 'colors', shape: 'cross', color: 'red' })), (240 + 1) / (480 + 2), 1e-9);
    assert.ok(rates.estimate(always) > 0.98 && rates.estimate(never) < 0.02);
    close(signalProbability(0.5, 8), 1 - 2 / 256, 1e-12);
    close(signalProbability(0, 8), 0, 1e-12);
    // Uniform candidates from the three; the pick in proportion to 1 - p^G - (1 - p)^G.
    const source = { draw: (r: Rng) => [always, half, never][Math.floor(r.float() * 3)]! };
    const rng = new Rng(5);
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const m = curriculumDraw(source, rates, 8, 4, rng);
      counts.set(m.prompt, (counts.get(m.prompt) ?? 0) + 1);
    }
    // Among 4 uniform candidates the half-right prompt is often there; then it is nearly always picked.
    const [h, a, n] = [half, always, never].map((m) => counts.get(m.prompt) ?? 0) as [number, number, number];
    assert.ok(h > 1800 && h > 3 * a && h > 3 * n, JSON.stringify([...counts]));
    // Persisted with the checkpoint: the same estimates after a round trip.
    const back = PassRates.fromJSON(JSON.stringify(rates), 4);
    close(back.estimate(half), rates.estimate(half), 1e-12);
  });
});

describe('a GRPO update', () => {
  it('raises the log-probs of images with positive advantage and lowers the others (both paradigms, guided)', async () => {
    for (const paradigm of ['masked', 'autoregressive'] as const) {
      const config = modelConfig(paradigm, { dim: 32, layers: 1, heads: 2, mlpRatio: 2 });
      const model = paradigm === 'masked' ? MaskedModel.create(config) : AutoregressiveModel.create(config);
      const sampling = DEFAULT_SAMPLING[paradigm];
      const texts = Array<string>(4).fill('a photo of three circles');
      const g = await model.generate(texts, { rng: new Rng(2), ...sampling });
      const old = tf.tensor(Float32Array.from(g.logprobs.flatMap((l) => [...l])), [4, 64]);
      const adv = tf.tensor([1, 1, -1, -1]);
      const seq = (): number[] => tf.tidy(() => Array.from(tf.sum(model.imageLogprobs(texts, g, sampling).logprobs, 1).dataSync()));
      const before = seq();
      const optimizer = new Adam({ lr: 1e-3 });
      const { value, grads } = valueAndGrads(model.params, () => {
        const { logprobs, weights } = model.imageLogprobs(texts, g, sampling);
        return grpoLoss(logprobs, old, old, weights, adv, 0.2, 0).loss;
      });
      optimizer.apply(model.params, grads);
      const after = seq();
      assert.ok(after[0]! > before[0]! && after[1]! > before[1]!, `${paradigm}: ${before.join()} -> ${after.join()}`);
      assert.ok(after[2]! < before[2]! && after[3]! < before[3]!, `${paradigm}: ${before.join()} -> ${after.join()}`);
      tf.dispose([value, ...grads.values(), old, adv]);
      optimizer.dispose();
      model.params.dispose();
    }
  });

  it('learns an exact reward on a bandit: group advantages, the clipped objective and Adam climb', () => {
    // A policy over 6 "images"; the reward is 1 for image 4 only. G = 8 draws a step.
    const logits = tf.variable(tf.zeros([6]));
    const rng = new Rng(9);
    const optimizer = new Adam({ lr: 0.05 });
    const params = { entries: () => [['logits', logits]] as [string, tf.Variable][], get: () => logits } as unknown as Parameters;
    const pass = (): number => tf.tidy(() => tf.softmax(logits).dataSync()[4]!);
    const start = pass();
    for (let step = 0; step < 60; step++) {
      const probs = tf.tidy(() => tf.softmax(logits).dataSync());
      const picks = Array.from({ length: 8 }, () => {
        let u = rng.float();
        for (let k = 0; k < 6; k++) if ((u -= probs[k]!) <= 0) return k;
        return 5;
      });
      const { advantages, std } = groupAdvantages(picks.map((k) => Number(k === 4)), 8);
      if (std[0] === 0) continue;
      const old = tf.tensor(picks.map((k) => [Math.log(probs[k]!)]));
      const { value, grads } = valueAndGrads(params, () => {
        const lp = tf.sum(tf.mul(tf.oneHot(tf.tensor1d(picks, 'int32'), 6), tf.logSoftmax(logits)), 1).reshape([8, 1]);
        return grpoLoss(lp, old, old, tf.onesLike(lp), tf.tensor(advantages), 0.2, 0).loss;
      });
      optimizer.apply(params, grads);
      tf.dispose([value, ...grads.values(), old]);
    }
    assert.ok(pass() > 0.9, `pass rate ${start} -> ${pass()}`);
    logits.dispose();
    optimizer.dispose();
  });
});

describe('masked policy steps', () => {
  it('give each update of a batch the next steps of one shuffle: disjoint until every step is used, then round again', () => {
    const three = chooseSteps(6, 2, 3, new Rng(5));
    assert.deepEqual(three.flat().sort(), [0, 1, 2, 3, 4, 5]);
    // One update takes the same steps as the first of several (the same draw from the same seed).
    assert.deepEqual(chooseSteps(6, 2, 1, new Rng(5)), [three[0]]);
    const wrapped = chooseSteps(5, 2, 4, new Rng(5));
    assert.deepEqual(wrapped.slice(0, 2).flat().concat(wrapped[2]![0]!).sort(), [0, 1, 2, 3, 4]);
    assert.deepEqual(wrapped[2]![1], wrapped[0]![0]);
    // As many as there are steps: every step in every update, no draw.
    assert.deepEqual(chooseSteps(3, 3, 2, new Rng(5)), [[0, 1, 2], [0, 1, 2]]);
  });

  it('a masked run with two updates a batch trains off-policy on its second (the clip ratio is measured over both)', async () => {
    const dir = scratchDir('grpo-masked');
    const model = MaskedModel.create(modelConfig('masked', { dim: 16, layers: 1, heads: 2, mlpRatio: 2 }));
    const base = join(dir, 'base.safetensors');
    await saveCheckpoint(base, model.params, { config: model.config, step: 0 });
    model.params.dispose();
    const meta = metadataFor({ tag: 'colors', shape: 'ring', color: 'red' });
    const clipRatios = async (updatesPerBatch: number): Promise<number[]> => {
      const metrics: UnirlMetrics[] = [];
      const config = { ...defaultGrpo('masked'), steps: 2, promptsPerStep: 1, groupSize: 4, lr: 5e-2, beta: 0.2, updatesPerBatch, policySteps: 2, trainUnderstanding: false, reward: 'detector' as const, sampling: { steps: 4, temperature: 1, cfg: 1 } };
      await grpo(config, base, join(dir, `u${updatesPerBatch}.safetensors`), { prompts: { draw: () => meta }, reward: (metas) => metas.map((_, i) => i % 2), onMetrics: (m) => metrics.push(m) });
      return metrics.map((m) => m['grpo/clip_ratio'] as number);
    };
    // On-policy the ratio is 1 and nothing is clipped; after a large first update the second is clipped.
    assert.deepEqual(await clipRatios(1), [0, 0]);
    assert.ok((await clipRatios(2)).every((c) => c > 0), 'the second update should see a moved policy');
  });
});

describe('the GRPO loop', () => {
  const tinyBase = async (): Promise<string> => {
    const dir = scratchDir('grpo');
    const model = AutoregressiveModel.create(modelConfig('autoregressive', { dim: 16, layers: 1, heads: 2, mlpRatio: 2 }));
    const file = join(dir, 'base.safetensors');
    await saveCheckpoint(file, model.params, { config: model.config, step: 0 });
    model.params.dispose();
    return file;
  };
  const paramsOf = (file: string): Float32Array[] => {
    const { model } = loadModel(file);
    const values = model.params.entries().map(([, v]) => v.dataSync() as Float32Array);
    model.params.dispose();
    return values;
  };
  const run = async (base: string, reward: (i: number) => number, beta: number) => {
    const out = join(scratchDir('grpo-out'), 'model.safetensors');
    const metrics: UnirlMetrics[] = [];
    const meta = metadataFor({ tag: 'colors', shape: 'ring', color: 'red' });
    await grpo(
      { ...defaultGrpo('autoregressive'), steps: 2, promptsPerStep: 2, groupSize: 2, beta, trainUnderstanding: false, reward: 'detector', sampling: { steps: 64, temperature: 1, cfg: 1 } },
      base,
      out,
      { prompts: { draw: () => meta }, reward: (metas) => metas.map((_, i) => reward(i)), onMetrics: (m) => metrics.push(m) },
    );
    return { metrics, params: paramsOf(out) };
  };

  it('leaves the model untouched when every group is all-equal (group filtering), and updates it otherwise', async () => {
    const base = await tinyBase();
    const before = paramsOf(base);
    const same = await run(base, () => 1, 0.2);
    assert.deepEqual(same.metrics.map((m) => m['grpo/frac_reward_zero_std']), [1, 1]);
    assert.deepEqual(same.metrics.map((m) => m['grpo/grad_norm']), [null, null]);
    same.params.forEach((p, k) => assert.deepEqual(p, before[k]));
    // One group split, one all-equal: only the split one is learned from.
    const mixed = await run(base, (i) => (i === 0 ? 1 : 0), 0.2);
    assert.deepEqual(mixed.metrics.map((m) => m['grpo/frac_reward_zero_std']), [0.5, 0.5]);
    assert.ok(mixed.metrics.every((m) => typeof m['grpo/grad_norm'] === 'number' && m['grpo/grad_norm'] > 0));
    assert.ok(mixed.params.some((p, k) => p.some((x, j) => x !== before[k]![j])));
    // Without a KL penalty there is no reference model and no KL to log.
    const free = await run(base, (i) => (i === 0 ? 1 : 0), 0);
    assert.deepEqual(free.metrics.map((m) => m['grpo/kl']), [null, null]);
  });

  it('rewardTags: the reward of a tag it does not judge never reaches the update; those groups stay in it for the KL term alone', async () => {
    const base = await tinyBase();
    const meta = metadataFor({ tag: 'colors', shape: 'ring', color: 'red' });
    const runTags = async (reward: (i: number) => number, rewardTags?: Tag[]) => {
      const out = join(scratchDir('grpo-tags'), 'model.safetensors');
      const metrics: UnirlMetrics[] = [];
      const config = { ...defaultGrpo('autoregressive'), steps: 2, promptsPerStep: 2, groupSize: 2, beta: 0.2, trainUnderstanding: false, reward: 'detector' as const, sampling: { steps: 64, temperature: 1, cfg: 1 }, ...(rewardTags ? { rewardTags } : {}) };
      await grpo(config, base, out, { prompts: { draw: () => meta }, reward: (metas) => metas.map((_, i) => reward(i)), onMetrics: (m) => metrics.push(m) });
      return { metrics, params: paramsOf(out) };
    };
    const split = await runTags((i) => i % 2, ['single_object']);
    const equal = await runTags(() => 1, ['single_object']);
    split.params.forEach((p, k) => assert.deepEqual(p, equal.params[k]));
    // Held, not dropped: the groups were in the update (a gradient norm was measured).
    assert.ok(split.metrics.every((m) => typeof m['grpo/grad_norm'] === 'number'));
    // Judged, the same reward moves the model elsewhere.
    const judged = await runTags((i) => i % 2, ['colors']);
    assert.ok(judged.params.some((p, k) => p.some((x, j) => x !== split.params[k]![j])));
  });

  it('unjudgedBeta: the unjudged tags\' prompts keep the starting model as their KL anchor while the reference moves', async () => {
    const base = await tinyBase();
    const judgedMeta = metadataFor({ tag: 'colors', shape: 'ring', color: 'red' });
    const heldMeta = metadataFor({ tag: 'single_object', shape: 'cross' });
    const runHeld = async (unjudgedBeta?: number) => {
      const out = join(scratchDir('grpo-held'), 'model.safetensors');
      const metrics: UnirlMetrics[] = [];
      let draws = 0;
      // The reference becomes the policy before every step: only a fixed anchor can see a drift.
      const config = { ...defaultGrpo('autoregressive'), steps: 3, promptsPerStep: 2, groupSize: 2, lr: 1e-2, beta: 0.2, refModelSyncSteps: 1, refModelMixupAlpha: 1, trainUnderstanding: false, reward: 'detector' as const, rewardTags: ['colors' as Tag], sampling: { steps: 64, temperature: 1, cfg: 1 }, ...(unjudgedBeta === undefined ? {} : { unjudgedBeta }) };
      await grpo(config, base, out, { prompts: { draw: () => (draws++ % 2 ? heldMeta : judgedMeta) }, reward: (metas) => metas.map((_, i) => i % 2), onMetrics: (m) => metrics.push(m) });
      return { kl: metrics.map((m) => m['grpo/kl'] as number), params: paramsOf(out) };
    };
    const moving = await runHeld();
    const held = await runHeld(1);
    // Against a reference that is the policy itself the KL is 0 on every step after the first move...
    assert.deepEqual(moving.kl.slice(1), [0, 0]);
    // ...and the held prompts, judged against the start, see how far the policy has gone.
    assert.ok(held.kl.slice(1).every((k) => k > 0), `held KL ${held.kl.join(', ')}`);
    assert.ok(held.params.some((p, k) => p.some((x, j) => x !== moving.params[k]![j])));
  });

  it('understandingMinReward: understanding learns the prompt\'s answer about the own images the reward passes, and nothing from the others', async () => {
    const base = await tinyBase();
    const meta = metadataFor({ tag: 'colors', shape: 'ring', color: 'red' });
    const run = async (reward: number) => {
      const out = join(scratchDir('grpo-confident'), 'model.safetensors');
      const metrics: UnirlMetrics[] = [];
      const images: RgbImage[] = [];
      // Every group all-equal: generation has no advantage to learn from, so only understanding can move the weights.
      const config = { ...defaultGrpo('autoregressive'), steps: 3, promptsPerStep: 2, groupSize: 2, lr: 1e-2, trainUnderstanding: true, understandingMinReward: 0.5, reward: 'detector' as const, sampling: { steps: 64, temperature: 1, cfg: 1 } };
      await grpo(config, base, out, {
        prompts: { draw: () => meta },
        reward: (metas, drawn) => {
          if (!images.length) images.push(...drawn);
          return metas.map(() => reward);
        },
        onMetrics: (m) => metrics.push(m),
      });
      const answerLoss = (file: string): number => {
        const { model } = loadModel(file);
        const loss = tf.tidy(() => model.understandingLoss(images, images.map(() => meta.question!), images.map(() => meta.answer!)).dataSync()[0]!);
        model.params.dispose();
        return loss;
      };
      return { kept: metrics.map((m) => m['grpo/understanding_kept']), before: answerLoss(base), after: answerLoss(out), params: paramsOf(out) };
    };
    const passed = await run(1);
    const rejected = await run(0);
    assert.deepEqual(passed.kept, [1, 1, 1]);
    assert.deepEqual(rejected.kept, [0, 0, 0]);
    // Passed: the answer about the first step's images became likelier; rejected: no weight moved.
    assert.ok(passed.after < passed.before - 0.05, `answer loss ${passed.before} -> ${passed.after}`);
    assert.deepEqual(rejected.params, paramsOf(base));
  });

  /** How far the reader moves in 4 steps at lr 3e-3: KL(policy || base) of its answers about the first step's images, by sampling (k1, 16 answers an image). */
  const readerDrift = async (hold: { understandingAnchor?: number; understandingDistill?: number }) => {
    const base = await tinyBase();
    const meta = metadataFor({ tag: 'colors', shape: 'ring', color: 'red' });
    const out = join(scratchDir('grpo-reader-hold'), 'model.safetensors');
    const metrics: UnirlMetrics[] = [];
    const images: RgbImage[] = [];
    const config = { ...defaultGrpo('autoregressive'), steps: 4, promptsPerStep: 2, groupSize: 2, lr: 3e-3, beta: 0, trainUnderstanding: false, reward: 'detector' as const, sampling: { steps: 64, temperature: 1, cfg: 1 }, ...hold };
    await grpo(config, base, out, {
      prompts: { draw: () => meta },
      reward: (metas, drawn) => {
        if (!images.length) images.push(...drawn);
        return metas.map((_, i) => i % 2);
      },
      onMetrics: (m) => metrics.push(m),
    });
    const { model: policy } = loadModel(out);
    const { model: start } = loadModel(base);
    const asked = Array.from({ length: 16 }, () => images).flat();
    const questions = asked.map(() => meta.question!);
    const { answers } = await policy.answer(asked, questions, { rng: new Rng(1), temperature: 1 });
    const drift = tf.tidy(() => tf.mean(tf.sub(policy.answerLogprobs(asked, questions, answers), start.answerLogprobs(asked, questions, answers))).dataSync()[0]!);
    policy.params.dispose();
    start.params.dispose();
    return { kl: metrics.map((m) => m['grpo/understanding_kl']), distill: metrics.map((m) => m['grpo/understanding_distill_kl']), drift };
  };

  // The reader left free, once for both tests below.
  let freeRun: ReturnType<typeof readerDrift> | undefined;
  const freeDrift = () => (freeRun ??= readerDrift({}));

  it('understandingAnchor: the policy\'s answers about its own images are held to the frozen base\'s', async () => {
    const free = await freeDrift();
    const held = await readerDrift({ understandingAnchor: 5 });
    assert.deepEqual(free.kl, [null, null, null, null]);
    // The first step's policy is the base: nothing to hold; after it moves, the anchor sees the difference.
    assert.equal(held.kl[0], 0);
    assert.ok(held.kl.slice(1).every((k) => (k as number) > 0), `reader KL ${held.kl.join(', ')}`);
    assert.ok(held.drift < 0.5 * free.drift, `reader drift ${free.drift} free, ${held.drift} held`);
  });

  it('understandingDistill: the policy\'s reading of its own images is held to the frozen base\'s, token by token', async () => {
    const free = await freeDrift();
    const held = await readerDrift({ understandingDistill: 5 });
    assert.deepEqual(free.distill, [null, null, null, null]);
    // The first step's policy is the base: the KL is exactly zero; after it moves, the term sees the difference.
    assert.equal(held.distill[0], 0);
    assert.ok(held.distill.slice(1).every((d) => (d as number) > 0), `distillation KL ${held.distill.join(', ')}`);
    assert.ok(held.drift < 0.5 * free.drift, `reader drift ${free.drift} free, ${held.drift} held`);
  });

  const generationOnlyKinds = [
    { name: 'generationAdapter and generationAttentionAdapter', settings: { generationAdapter: 4, generationAttentionAdapter: 2 }, trained: ['blocks.0.gen.w2', 'blocks.0.gen.qkv_b', 'blocks.0.gen.wo_b'] },
    { name: 'generationExpert', settings: { generationExpert: true }, trained: ['blocks.0.img.attn.wqkv', 'blocks.0.img.mlp.w2', 'blocks.0.img.ln2.gamma'] },
    { name: 'generationExpert with generationExpertPrompt', settings: { generationExpert: true, generationExpertPrompt: true }, trained: ['blocks.0.img.attn.wqkv', 'blocks.0.img.mlp.w2', 'blocks.0.img.ln2.gamma'] },
  ];
  for (const kind of generationOnlyKinds) {
    it(`${kind.name}: the drawing moves, the reader stays exactly the base's, through KL syncs and a resume`, async () => {
      const base = await tinyBase();
      const meta = metadataFor({ tag: 'colors', shape: 'ring', color: 'red' });
      const config = { ...defaultGrpo('autoregressive'), steps: 4, promptsPerStep: 2, groupSize: 2, lr: 3e-3, beta: 0.2, refModelSyncSteps: 2, checkpointEvery: 1, ...kind.settings, trainUnderstanding: false, reward: 'detector' as const, sampling: { steps: 64, temperature: 1, cfg: 1 } };
      const images: RgbImage[] = [];
      const hooks = (stopAt = Infinity) => {
        const signal = { aborted: false };
        return {
          signal,
          prompts: { draw: () => meta },
          reward: (metas: readonly unknown[], drawn: readonly RgbImage[]) => {
            if (!images.length) images.push(...drawn);
            return metas.map((_, i) => i % 2);
          },
          onCheckpoint: (_file: string, step: number) => {
            if (step >= stopAt) signal.aborted = true;
          },
        };
      };
      const out = join(scratchDir('grpo-generation-only'), 'model.safetensors');
      await grpo(config, base, out, hooks(2));
      await grpo(config, base, out, hooks());
      const { model: policy, info } = loadModel(out);
      const { model: start } = loadModel(base);
      assert.equal(info.step, 4);
      for (const [key, value] of Object.entries(kind.settings)) assert.equal(policy.config[key as keyof typeof kind.settings], value);
      // Every weight the base has, except the image-token embeddings and heads, is bit for bit the base's.
      const generationOnly = new Set(generationOnlyParameters(policy.config));
      for (const [name, value] of start.params.entries()) {
        const same = tf.util.arraysEqual(value.dataSync(), policy.params.get(name).dataSync());
        assert.equal(same, !generationOnly.has(name), `${name}: ${same ? 'unchanged' : 'moved'}`);
      }
      // Trained away from where it started: an expert weight from the shared weight it copied, an adapter's second factor from zero.
      for (const trained of kind.trained) {
        const startedAs = (): tf.Tensor => (trained.includes('.img.') ? start.params.get(trained.replace('.img.', '.')) : tf.zerosLike(policy.params.get(trained)));
        const moved = tf.tidy(() => tf.max(tf.abs(tf.sub(policy.params.get(trained), startedAs()))).dataSync()[0]!);
        assert.ok(moved > 0, `${trained} trained`);
      }
      // So its answers' log-probabilities are the base's exactly, while its images' are not.
      const questions = images.map(() => meta.question!);
      const { answers } = await policy.answer(images, questions, { rng: new Rng(1), temperature: 1 });
      const readerChange = tf.tidy(() => tf.max(tf.abs(tf.sub(policy.answerLogprobs(images, questions, answers), start.answerLogprobs(images, questions, answers)))).dataSync()[0]!);
      assert.equal(readerChange, 0);
      const texts = images.map(() => meta.prompt);
      const drawn = await start.generate(texts, { rng: new Rng(2), steps: 64, temperature: 1, cfg: 1 });
      const drawingChange = tf.tidy(() => tf.max(tf.abs(tf.sub(policy.imageLogprobs(texts, drawn, config.sampling).logprobs, start.imageLogprobs(texts, drawn, config.sampling).logprobs))).dataSync()[0]!);
      assert.ok(drawingChange > 1e-4, `image log-prob change ${drawingChange}`);
      // The trained policy's cached sampler (prefix with the shared weights, then one image token at
      // a time) gives the log-probabilities its full forward recomputes.
      const own = await policy.generate(texts, { rng: new Rng(3), steps: 64, temperature: 1, cfg: 1 });
      const recomputed = tf.tidy(() => policy.imageLogprobs(texts, own, config.sampling).logprobs.arraySync() as number[][]);
      own.logprobs.forEach((row, b) => row.forEach((lp, j) => assert.ok(Math.abs(lp - recomputed[b]![j]!) < 1e-4, `image ${b} token ${j}: sampled ${lp}, recomputed ${recomputed[b]![j]}`)));
      // A base given the settings afresh (adapters at zero, an expert copying the shared weights) is the same function as the base:
      // equal up to rounding, since an expert on the image positions alone multiplies fewer rows at a
      // time, and OpenBLAS may block (and so round) a product differently with its row count (on some CPUs 1e-6 here).
      const { model: fresh } = loadModel(base, kind.settings);
      const freshChange = tf.tidy(() => tf.max(tf.abs(tf.sub(fresh.imageLogprobs(texts, drawn, config.sampling).logprobs, start.imageLogprobs(texts, drawn, config.sampling).logprobs))).dataSync()[0]!);
      assert.ok(freshChange < 1e-5, `${JSON.stringify(kind.settings)}: a fresh copy's image log-probs differ by ${freshChange}`);
      // The expert's reach is what the setting says: the same weights with generationExpertPrompt flipped draw differently.
      const flipped = policy.config.generationExpert ? loadModel(out, { generationExpertPrompt: !policy.config.generationExpertPrompt }).model : undefined;
      if (flipped) {
        const reachChange = tf.tidy(() => tf.max(tf.abs(tf.sub(flipped.imageLogprobs(texts, drawn, config.sampling).logprobs, policy.imageLogprobs(texts, drawn, config.sampling).logprobs))).dataSync()[0]!);
        assert.ok(reachChange > 1e-5, `generationExpertPrompt flipped: image log-prob change ${reachChange}`);
      }
      [policy, start, fresh, ...(flipped ? [flipped] : [])].forEach((m) => m.params.dispose());
      // Options that train the reader are refused with it.
      await assert.rejects(grpo({ ...config, understandingDistill: 1 }, base, join(scratchDir('grpo-generation-only'), 'model.safetensors'), hooks()), /keeps the reader's weights frozen, so understandingDistill would train nothing/);
    });
  }

  it('generation-only settings: the masked model has none, and the expert replaces the adapters', () => {
    for (const key of ['generationAdapter', 'generationAttentionAdapter'] as const) assert.throws(() => modelConfig('masked', { [key]: 4 }), new RegExp(`${key} is an autoregressive setting`));
    assert.throws(() => modelConfig('masked', { generationExpert: true }), /generationExpert is an autoregressive setting/);
    assert.throws(() => modelConfig('autoregressive', { generationExpert: true, generationAdapter: 4 }), /generation adapters would add nothing it cannot learn: choose one/);
    assert.throws(() => modelConfig('autoregressive', { generationExpertPrompt: true }), /generationExpertPrompt sends the prompt through the image expert, but generationExpert is off/);
  });

  it('judgedShare: the first round(share x promptsPerStep) prompts of each step come from the judged tags, the rest from the others', async () => {
    const base = await tinyBase();
    // A prompt source that cycles through four tags, one judged: uniform draws mix them.
    const cycle = [metadataFor({ tag: 'single_object', shape: 'cross' }), metadataFor({ tag: 'colors', shape: 'ring', color: 'red' }), metadataFor({ tag: 'counting', shape: 'square', count: 2 }), metadataFor({ tag: 'two_object', first: 'circle', second: 'ring' })];
    const stepTags = async (judgedShare?: number): Promise<string[][]> => {
      const out = join(scratchDir('grpo-share'), 'model.safetensors');
      const seen: string[][] = [];
      let draws = 0;
      const config = { ...defaultGrpo('autoregressive'), steps: 2, promptsPerStep: 4, groupSize: 2, trainUnderstanding: false, reward: 'detector' as const, rewardTags: ['colors' as Tag], sampling: { steps: 64, temperature: 1, cfg: 1 }, ...(judgedShare === undefined ? {} : { judgedShare }) };
      await grpo(config, base, out, {
        prompts: { draw: () => cycle[draws++ % cycle.length]! },
        reward: (metas) => {
          seen.push(metas.filter((_, i) => i % 2 === 0).map((m) => m.tag));
          return metas.map((_, i) => i % 2);
        },
      });
      return seen;
    };
    assert.deepEqual(await stepTags(0.75), [['colors', 'colors', 'colors', 'counting'], ['colors', 'colors', 'colors', 'counting']]);
    // Without it, one prompt in four is judged: the draws in their order.
    assert.deepEqual(await stepTags(), [['single_object', 'colors', 'counting', 'two_object'], ['single_object', 'colors', 'counting', 'two_object']]);
  });

  it('moves the KL anchor to the policy every refModelSyncSteps, and a resumed run keeps the anchor it had', async () => {
    const base = await tinyBase();
    const meta = metadataFor({ tag: 'colors', shape: 'ring', color: 'red' });
    const config = { ...defaultGrpo('autoregressive'), steps: 5, promptsPerStep: 2, groupSize: 2, beta: 0.2, refModelSyncSteps: 2, checkpointEvery: 1, trainUnderstanding: false, reward: 'detector' as const, sampling: { steps: 64, temperature: 1, cfg: 1 } };
    const hooks = (metrics: UnirlMetrics[], snapshots: Map<number, Float32Array[]>, stopAt = Infinity) => {
      const signal = { aborted: false };
      return {
        signal,
        prompts: { draw: () => meta },
        reward: (metas: readonly unknown[]) => metas.map((_, i) => i % 2),
        onMetrics: (m: UnirlMetrics) => metrics.push(m),
        onCheckpoint: (file: string, step: number) => {
          snapshots.set(step, paramsOf(file));
          if (step >= stopAt) signal.aborted = true;
        },
      };
    };
    const whole = join(scratchDir('grpo-sync'), 'model.safetensors');
    const wholeMetrics: UnirlMetrics[] = [];
    const wholeSnapshots = new Map<number, Float32Array[]>();
    await grpo(config, base, whole, hooks(wholeMetrics, wholeSnapshots));
    // At step 4 the reference is the policy after 4 updates; the step-2 anchor is gone from disk.
    assert.deepEqual(paramsOf(referenceFile(whole, 4)), wholeSnapshots.get(4));
    assert.ok(!existsSync(referenceFile(whole, 2)));
    // The KL to a reference that was just set to the policy is 0 on the step after the move.
    assert.equal(wholeMetrics[2]!['grpo/kl'], 0);
    assert.ok((wholeMetrics[1]!['grpo/kl'] as number) > 0);

    // Stopped after step 3 and resumed: the same weights and KL as the uninterrupted run.
    const split = join(scratchDir('grpo-sync'), 'model.safetensors');
    const splitMetrics: UnirlMetrics[] = [];
    await grpo(config, base, split, hooks(splitMetrics, new Map(), 3));
    assert.equal(splitMetrics.length, 3);
    await grpo(config, base, split, hooks(splitMetrics, new Map()));
    assert.deepEqual(splitMetrics.map((m) => m['grpo/kl']), wholeMetrics.map((m) => m['grpo/kl']));
    assert.deepEqual(paramsOf(split), paramsOf(whole));
  });

  it('judge "base" rewards every image by the frozen starting model, while "policy" judges by the moving one', async () => {
    const base = await tinyBase();
    const meta = metadataFor({ tag: 'colors', shape: 'ring', color: 'red' });
    // A large rate and understanding trained too: the policy's own judgement moves at once.
    const config = { ...defaultGrpo('autoregressive'), steps: 3, promptsPerStep: 1, groupSize: 4, lr: 3e-2, beta: 0, trainUnderstanding: true, reward: 'self_likelihood' as const, samplesEvery: 1, sampling: { steps: 64, temperature: 1, cfg: 1 } };
    const frozen = loadModel(base).model;
    const gapToBase = async (judge: 'policy' | 'base'): Promise<number[]> => {
      const samples: UnirlSample[] = [];
      const out = join(scratchDir('grpo-judge'), 'model.safetensors');
      await grpo({ ...config, judge }, base, out, { prompts: { draw: () => meta }, onSample: (s) => samples.push(s) });
      const byBase = (await judgeImages(frozen, samples.map(() => meta), samples.map((x) => x.image), { likelihood: true })).selfLikelihood!;
      // The last step's images, judged after the policy's updates so far.
      const last = Math.max(...samples.map((x) => x.step));
      assert.ok(last > 1, `samples were shown at step ${last} only`);
      return samples.flatMap((x, i) => (x.step === last ? [Math.abs(x.reward / byBase[i]! - 1)] : []));
    };
    // Relative gaps: an untrained model's probabilities of the facts are tiny.
    (await gapToBase('base')).forEach((gap) => close(gap, 0, 1e-3));
    assert.ok((await gapToBase('policy')).some((gap) => gap > 0.05), 'the policy judge should have moved away from the base');
    frozen.params.dispose();
  });
});
