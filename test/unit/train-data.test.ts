import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultDetector, keepDetections } from '../../daemon/geneval';
import { createImageTokenizer, createTextTokenizer } from '../../daemon/tokenizers';
import { BatchMaker } from '../../daemon/train/batches';
import { breakObject, drawCountExamples, TrainingPrompts } from '../../daemon/train/data';
import { Rng } from '../../daemon/util/random';
import { CLASSES, DEFAULT_WORLD, metadataFor, readCount, renderScene, sampleScene, touchesHeldOut } from '../../daemon/world';

const tokenizer = createImageTokenizer(DEFAULT_WORLD);

/** The class and colour a count question asks about, read back from its words. */
function asked(question: string): { shape: string; color: string | undefined } {
  const words = question.toLowerCase().replace('?', '').split(' ');
  const shape = CLASSES.find((c) => words.includes(c) || words.some((w) => w.startsWith(c.slice(0, 4))))!;
  const color = words.length === 7 ? words[2] : undefined;
  return { shape, color };
}

describe('count examples', () => {
  it('count the whole objects of a class and answer "zero" for broken and absent ones, as the detector sees them', () => {
    const examples = drawCountExamples(new TrainingPrompts(), DEFAULT_WORLD, tokenizer, new Rng(11), 300);
    const text = createTextTokenizer();
    let agree = 0;
    let zeros = 0;
    for (const e of examples) {
      assert.ok(!touchesHeldOut(e.meta));
      text.encode(e.question);
      text.encode(e.answer);
      const n = readCount(e.answer)!;
      if (n === 0) zeros++;
      const { shape, color } = asked(e.question);
      // The detector, as a person's stand-in: broken objects are not shapes to it either.
      const found = (keepDetections(defaultDetector(e.image), 'single_object').get(shape as (typeof CLASSES)[number]) ?? []).filter((d) => color === undefined || d.color === color);
      if (found.length === n) agree++;
    }
    assert.ok(zeros > 60 && zeros < 240, `${zeros} of 300 answers are "zero"`);
    assert.ok(agree / examples.length > 0.95, `the detector counts the answer's number on ${agree} of 300`);
  });

  it('break an object so that the detector no longer finds its class', () => {
    const rng = new Rng(12);
    let found = 0;
    for (let i = 0; i < 200; i++) {
      const shape = rng.pick(CLASSES);
      const scene = sampleScene(metadataFor({ tag: 'single_object', shape }), DEFAULT_WORLD, rng);
      const tokens = tokenizer.encode(renderScene(scene, DEFAULT_WORLD));
      const before = [...tokens];
      breakObject(tokens, scene.objects[0]!, DEFAULT_WORLD, tokenizer, rng);
      const changed = tokens.filter((t, k) => t !== before[k]).length;
      assert.ok(changed >= before.filter((t) => t !== 0).length / 2 - 1, 'at least half its patches change');
      if (keepDetections(defaultDetector(tokenizer.decode(tokens)), 'single_object').has(shape)) found++;
    }
    assert.ok(found < 30, `${found} of 200 broken objects are still found as their class`);
  });

  it("take the spec's share of a step's understanding batch, the same on every call", () => {
    const spec = { seed: 3, canvas: 32, patch: 4, generation: 2, understanding: 8, countShare: 0.5, heldOut: [] };
    const a = new BatchMaker(spec).make(7);
    const b = new BatchMaker(spec).make(7);
    assert.deepEqual(a.understanding.questions, b.understanding.questions);
    assert.deepEqual(a.understanding.answers, b.understanding.answers);
    assert.equal(a.understanding.questions.filter((q) => /^How many \w+ (\w+ )?in this image\?$/.test(q) && !q.includes('items')).length, 4);
    const none = new BatchMaker({ ...spec, countShare: 0 }).make(7);
    assert.ok(none.understanding.questions.every((q) => !/^How many \w+ (\w+ )?in this image/.test(q) || q.includes('items')));
  });
});
