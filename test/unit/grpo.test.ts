import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { initCompute } from '../../daemon/compute';
import { MaskedModel, modelConfig, straightThrough } from '../../daemon/models';
import { ExternalImageError, groundingGap, groupAdvantages, grpoLoss, judgeImages, requireSelfGenerated, selfGenerate } from '../../daemon/train';
import { Rng } from '../../daemon/util/random';
import { DEFAULT_WORLD, metadataFor, renderScene, sampleScene } from '../../daemon/world';

before(async () => {
  await initCompute({ backend: 'wasm' });
});

const close = (a: number, b: number, tol = 1e-5): void => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

describe('group advantages', () => {
  it('normalise within each group by its sample standard deviation', () => {
    const { advantages, std } = groupAdvantages([1, 0, 0, 1, 1, 1], 3, 0);
    // Group 1: mean 1/3, sample std sqrt(1/3); group 2: all equal, std 0 -> advantages 0.
    const s = Math.sqrt(1 / 3);
    close(std[0]!, s);
    close(advantages[0]!, (1 - 1 / 3) / s);
    close(advantages[1]!, -1 / 3 / s);
    assert.deepEqual(advantages.slice(3), [0, 0, 0]);
    assert.equal(std[1], 0);
    assert.throws(() => groupAdvantages([1, 0, 1], 1), /group size/);
    assert.throws(() => groupAdvantages([1, 0, 1], 2), /divide/);
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
  it('refuse a rendered image and accept the model\'s own', () => {
    const model = MaskedModel.create(modelConfig('masked', { dim: 32, layers: 1, heads: 2, mlpRatio: 2 }));
    const meta = metadataFor({ tag: 'single_object', shape: 'ring' });
    const rendered = renderScene(sampleScene(meta, DEFAULT_WORLD, new Rng(1)), DEFAULT_WORLD);
    assert.throws(() => judgeImages(model, [meta], [rendered]), ExternalImageError);
    assert.throws(() => requireSelfGenerated([{ ...rendered }]), /only images the model generated itself/);
    const own = selfGenerate(model, [meta.prompt, meta.prompt], { rng: new Rng(2), steps: 3 });
    const judgement = judgeImages(model, [meta, meta], own.images);
    assert.equal(judgement.answers.length, 2);
    const gap = groundingGap(judgement);
    assert.ok(gap >= 0 && gap <= 1);
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

  it('carries the answer loss back to the generator: the image head gets a gradient', () => {
    const model = MaskedModel.create(modelConfig('masked', { dim: 32, layers: 1, heads: 2, mlpRatio: 2 }));
    const meta = metadataFor({ tag: 'colors', shape: 'ring', color: 'blue' });
    const sampling = { temperature: 1, cfg: 1 };
    const generation = selfGenerate(model, [meta.prompt, meta.prompt], { rng: new Rng(3), steps: 4, ...sampling });
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
