import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { defaultDetector, keepDetections } from '../../daemon/geneval';
import { createImageTokenizer, createTextTokenizer } from '../../daemon/tokenizers';
import { BatchMaker } from '../../daemon/train/batches';
import { BREAKS, breakObject, drawColorRelationExamples, drawCountExamples, drawVariedCountExamples, paintScrawl, TrainingPrompts } from '../../daemon/train/data';
import { Rng } from '../../daemon/util/random';
import { CLASSES, combinationOf, countAnswer, DEFAULT_WORLD, metadataFor, objectBox, QUESTIONS, readCount, relationsBetween, renderScene, sampleScene, touchesHeldOut } from '../../daemon/world';

const tokenizer = createImageTokenizer(DEFAULT_WORLD);

/** UniRL's counting question and a count answer about the example's class: the count and the class. */
function readVariedExample(e: { question: string; answer: string; meta: { include: readonly { class: (typeof CLASSES)[number] }[] } }): { n: number; shape: (typeof CLASSES)[number] } {
  assert.equal(e.question, 'How many items in this image?');
  const n = readCount(e.answer)!;
  const shape = e.meta.include[0]!.class;
  assert.equal(e.answer, countAnswer(n, shape));
  return { n, shape };
}

/** drawVariedCountExamples(counting prompts, DEFAULT_WORLD, new Rng(5), 20) before variedCountBroken existed. */
const FIRST_FORM_ANSWERS = 'five diamonds|five squares|two diamonds|one diamond|one ring|three squares|four diamonds|five triangles|five circles|four circles|one cross|two rings|four circles|four rings|two rings|one ring|five triangles|five diamonds|three squares|three triangles';

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

  for (const kind of BREAKS) {
    it(`break an object (${kind}) so that the detector no longer finds its class`, () => {
      const rng = new Rng(12);
      let found = 0;
      for (let i = 0; i < 200; i++) {
        const shape = rng.pick(CLASSES);
        const scene = sampleScene(metadataFor({ tag: 'single_object', shape }), DEFAULT_WORLD, rng);
        const obj = scene.objects[0]!;
        const image = renderScene(kind === 'scrawl' ? { objects: [] } : scene, DEFAULT_WORLD);
        if (kind === 'scrawl') paintScrawl(image, obj, rng);
        const tokens = tokenizer.encode(image);
        const before = tokenizer.encode(renderScene(scene, DEFAULT_WORLD));
        if (kind === 'scramble') breakObject(tokens, obj, DEFAULT_WORLD, tokenizer, rng);
        // Changed in at least a third of its patches, and nothing drawn outside its box.
        const changed = tokens.filter((t, k) => t !== before[k]).length;
        assert.ok(changed >= before.filter((t) => t !== 0).length / 3 - 1, `${changed} patches changed`);
        const [x0, y0, x1, y1] = objectBox(obj);
        const broken = tokenizer.decode(tokens);
        for (let y = 0; y < 32; y++) {
          for (let x = 0; x < 32; x++) {
            if (x >= x0 - 3 && x < x1 + 3 && y >= y0 - 3 && y < y1 + 3) continue;
            assert.deepEqual([...broken.data.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3)], [128, 128, 128], `pixel ${x},${y} outside the box`);
          }
        }
        if (keepDetections(defaultDetector(broken), 'single_object').has(shape)) found++;
      }
      assert.ok(found < 30, `${found} of 200 broken objects are still found as their class`);
    });
  }

  it('varied counts: UniRL\'s counting question over one to five objects, answered with the count the detector finds', () => {
    const rng = new Rng(11);
    const examples = drawVariedCountExamples(new TrainingPrompts([], ['counting']), DEFAULT_WORLD, rng, 200);
    const seen = new Set<number>();
    for (const e of examples) {
      const { n, shape } = readVariedExample(e);
      seen.add(n);
      assert.equal(e.meta.prompt, `a photo of ${e.answer}`);
      const found = keepDetections(defaultDetector(e.image), 'counting');
      assert.equal(found.get(shape)?.length ?? 0, n, `"${e.answer}": the detector finds ${found.get(shape)?.length ?? 0}`);
      assert.equal([...found.keys()].filter((k) => k !== shape).length, 0, 'only the asked class is drawn');
    }
    assert.deepEqual([...seen].sort(), [1, 2, 3, 4, 5]);
    assert.throws(() => drawVariedCountExamples(new TrainingPrompts([], ['colors']), DEFAULT_WORLD, rng, 1), /counting prompts/);
    // In a batch they take their share of the understanding examples (the same step without them asks fewer).
    const spec = { seed: 3, canvas: 32, patch: 4, generation: 2, understanding: 8, countShare: 0, variedCountShare: 0.5, heldOut: [] };
    const counting = (share: number): number => new BatchMaker({ ...spec, variedCountShare: share }).make(7).understanding.questions.filter((q) => q === 'How many items in this image?').length;
    assert.ok(counting(0.5) >= 4, `${counting(0.5)} counting questions of 8`);
    assert.ok(counting(0) < 4, `${counting(0)} counting questions of 8 without varied counts`);
  });

  it('varied counts with broken objects: the answer counts the whole objects only, and at 0 the examples are the first form\'s', () => {
    const prompts = new TrainingPrompts([], ['counting']);
    const examples = drawVariedCountExamples(prompts, DEFAULT_WORLD, new Rng(5), 300, 0.35, tokenizer);
    const seen = new Set<number>();
    let agree = 0;
    for (const e of examples) {
      const { n, shape } = readVariedExample(e);
      seen.add(n);
      if ((keepDetections(defaultDetector(e.image), 'counting').get(shape)?.length ?? 0) === n) agree++;
    }
    // A broken object is sometimes still found as its class (the test above: under 15%), so most, not all, agree.
    assert.ok(agree >= 0.8 * examples.length, `the detector finds the answer's count in ${agree} of ${examples.length}`);
    assert.ok(seen.has(0) && seen.has(5), `counts seen: ${[...seen].sort().join(", ")}`);
    // Fewer whole objects than drawn: the answers' mean count is lower than without breaks (3 for one to five).
    const mean = examples.reduce((s, e) => s + readCount(e.answer)!, 0) / examples.length;
    assert.ok(mean < 2.5, `mean answered count ${mean.toFixed(2)}`);
    // At 0 the option's first form, so runs recorded before it draw the same data: the answers and
    // images of the first 20 examples from Rng(5), recorded with the code before the option (0738a20).
    const zero = drawVariedCountExamples(prompts, DEFAULT_WORLD, new Rng(5), 20, 0, tokenizer);
    const digest = createHash('sha256');
    for (const e of zero) digest.update(e.answer).update(e.image.data);
    assert.equal(zero.map((e) => e.answer).join('|'), FIRST_FORM_ANSWERS);
    assert.equal(digest.digest('hex'), '4b2f974fdbfc4f9df625847a10100028bf5bd1694ef8747e3306d0e4eace93f1');
    assert.throws(() => drawVariedCountExamples(prompts, DEFAULT_WORLD, new Rng(5), 1, 0.5), /tokenizer/);
    assert.throws(() => drawVariedCountExamples(prompts, DEFAULT_WORLD, new Rng(5), 1, 1.5, tokenizer), /from 0 to 1/);
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

describe('training prompts', () => {
  it('draw every tag by default, only the given tags when asked, and refuse an empty list', () => {
    const drawnTags = (prompts: TrainingPrompts): Set<string> => {
      const rng = new Rng(3);
      return new Set(Array.from({ length: 300 }, () => prompts.draw(rng).tag));
    };
    assert.equal(drawnTags(new TrainingPrompts()).size, 6);
    assert.deepEqual([...drawnTags(new TrainingPrompts([], ['counting', 'color_attr']))].sort(), ['color_attr', 'counting']);
    assert.throws(() => new TrainingPrompts([], []), /no tags/);
  });
});

describe('colour relation examples', () => {
  it('draw two objects of one class whose colours stand where the words put them, never a held-out combination', () => {
    const examples = drawColorRelationExamples(DEFAULT_WORLD, new Rng(5), 200);
    const text = createTextTokenizer();
    const relations = new Set<string>();
    for (const e of examples) {
      assert.ok(!touchesHeldOut(e.meta));
      text.encode(e.meta.prompt);
      const combo = combinationOf(e.meta);
      assert.ok(combo?.tag === 'position' && combo.subject === combo.target, `"${e.meta.prompt}" is a same-class position line`);
      relations.add(combo.relation);
      const [, subjectColor, targetColor] = /^a photo of an? (\w+) \w+ [a-z ]+ an? (\w+) \w+$/.exec(e.meta.prompt)!;
      // The detector judges the picture as GenEval would: the prompt's relation holds between the two named colours.
      const found = keepDetections(defaultDetector(e.image), 'position').get(combo.subject) ?? [];
      const subject = found.find((d) => d.color === subjectColor);
      const target = found.find((d) => d.color === targetColor);
      assert.ok(subject && target && found.length === 2, `"${e.meta.prompt}": found ${found.map((d) => d.color).join(', ')}`);
      assert.ok(relationsBetween(subject.box, target.box).has(combo.relation), `"${e.meta.prompt}": the ${subjectColor} object is not ${combo.relation} the ${targetColor} one`);
    }
    assert.equal(relations.size, 4);
  });

  it("take the spec's share of a step's generation batch, and none by default (the batch unchanged)", () => {
    const spec = { seed: 3, canvas: 32, patch: 4, generation: 8, understanding: 2, countShare: 0, heldOut: [] };
    const sameClassRelations = (share: number | undefined): number =>
      new BatchMaker(share === undefined ? spec : { ...spec, colorRelationShare: share }).make(7).generation.prompts.filter((p) => /^a photo of an? \w+ (\w+) (left of|right of|above|below) an? \w+ \1$/.test(p)).length;
    assert.equal(sameClassRelations(0.5), 4);
    assert.equal(sameClassRelations(undefined), 0);
    assert.deepEqual(new BatchMaker({ ...spec, colorRelationShare: 0 }).make(7).generation.prompts, new BatchMaker(spec).make(7).generation.prompts);
  });

  it("take the spec's share of a step's understanding batch, asked the position question, and none by default", () => {
    const spec = { seed: 5, canvas: 32, patch: 4, generation: 2, understanding: 8, countShare: 0.25, heldOut: [] };
    const und = (share: number | undefined) => new BatchMaker(share === undefined ? spec : { ...spec, colorRelationUnderstandingShare: share }).make(3).understanding;
    const sameClass = /^The (\w+) (\w+) is (left of|right of|above|below) the (\w+) \2$/;
    const withShare = und(0.5);
    const related = withShare.answers.filter((a) => sameClass.test(a));
    assert.equal(related.length, 4);
    assert.ok(withShare.answers.every((a, i) => !sameClass.test(a) || withShare.questions[i] === QUESTIONS.position));
    // The count share keeps its part: two count questions beside the four relations.
    assert.equal(withShare.questions.filter((q) => /^How many /.test(q) && q !== QUESTIONS.counting).length, 2);
    assert.equal(und(undefined).answers.filter((a) => sameClass.test(a)).length, 0);
    assert.deepEqual(und(0), und(undefined));
  });
});
