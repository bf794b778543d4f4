import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTextTokenizer } from '../../daemon/tokenizers';
import { drawColorRelationExamples } from '../../daemon/train/data';
import { Rng } from '../../daemon/util/random';
import { CLASSES, COLORS, countAccepted, countAnswer, countFacts, countQuestion, DEFAULT_WORLD, judgeAnswer, MAX_COUNT_ANSWER, metadataFor, MIRROR, readCount, type Relation } from '../../daemon/world';

describe('answer judge', () => {
  it('accepts equivalent phrasings and refuses wrong facts', () => {
    const two = metadataFor({ tag: 'two_object', first: 'circle', second: 'square' });
    assert.deepEqual(judgeAnswer(two, 'There is a square and a circle'), { correct: true, graded: 1 });
    assert.deepEqual(judgeAnswer(two, 'There is a square and a ring'), { correct: false, graded: 0.5 });
    const pos = metadataFor({ tag: 'position', subject: 'ring', relation: 'left of', target: 'cross' });
    assert.equal(judgeAnswer(pos, 'The ring is left of the cross').correct, true);
    assert.equal(judgeAnswer(pos, 'The cross is right of the ring.').correct, true);
    assert.deepEqual(judgeAnswer(pos, 'The cross is left of the ring'), { correct: false, graded: 0.5 });
    // Two objects of one class told apart by colour: the colours say which is which.
    const [colourRelation] = drawColorRelationExamples(DEFAULT_WORLD, new Rng(1), 1);
    const [, first, shape, relation, second] = /^The (\w+) (\w+) is (.+) the (\w+) \w+$/.exec(colourRelation!.answer)!;
    const mirror = MIRROR[relation as Relation];
    assert.equal(judgeAnswer(colourRelation!.meta, colourRelation!.answer).correct, true);
    assert.equal(judgeAnswer(colourRelation!.meta, `The ${second} ${shape} is ${mirror} the ${first} ${shape}`).correct, true);
    assert.deepEqual(judgeAnswer(colourRelation!.meta, `The ${second} ${shape} is ${relation} the ${first} ${shape}`), { correct: false, graded: 0.5 });
    assert.deepEqual(judgeAnswer(colourRelation!.meta, `The ${first} ${shape} is ${relation} the ${shape}`), { correct: false, graded: 0.5 });
    const count = metadataFor({ tag: 'counting', shape: 'triangle', count: 3 });
    assert.equal(judgeAnswer(count, 'three triangles').correct, true);
    assert.deepEqual(judgeAnswer(count, 'two triangles'), { correct: false, graded: 0.5 });
    const attr = metadataFor({ tag: 'color_attr', first: 'ring', firstColor: 'purple', second: 'diamond', secondColor: 'orange' });
    assert.equal(judgeAnswer(attr, 'The diamond is orange and the ring is purple').correct, true);
    assert.deepEqual(judgeAnswer(attr, 'The diamond is purple and the ring is orange'), { correct: false, graded: 0.5 });
    assert.equal(judgeAnswer(metadataFor({ tag: 'colors', shape: 'cross', color: 'pink' }), 'pink').correct, true);
    assert.equal(judgeAnswer(metadataFor({ tag: 'single_object', shape: 'cross' }), 'circle').correct, false);
  });
});

describe('count questions', () => {
  it("hold each group of a prompt to GenEval's rule for it", () => {
    const facts = (c: Parameters<typeof metadataFor>[0]): string[] =>
      countFacts(metadataFor(c)).map((f) => `${countQuestion(f.shape, f.color)} ${f.min}-${f.max}`);
    // Counting lines exclude one more than the count: exactly three.
    assert.deepEqual(facts({ tag: 'counting', shape: 'ring', count: 3 }), ['How many rings in this image? 3-3']);
    assert.deepEqual(facts({ tag: 'single_object', shape: 'cross' }), ['How many crosses in this image? 1-Infinity']);
    assert.deepEqual(facts({ tag: 'colors', shape: 'diamond', color: 'orange' }), ['How many orange diamonds in this image? 1-Infinity']);
    assert.deepEqual(facts({ tag: 'position', subject: 'circle', relation: 'above', target: 'square' }), [
      'How many squares in this image? 1-Infinity',
      'How many circles in this image? 1-Infinity',
    ]);
    assert.deepEqual(facts({ tag: 'color_attr', first: 'ring', firstColor: 'red', second: 'triangle', secondColor: 'blue' }), [
      'How many red rings in this image? 1-Infinity',
      'How many blue triangles in this image? 1-Infinity',
    ]);
    // An exclude on a class no include names is a fact of its own.
    const line = { tag: 'counting' as const, include: [{ class: 'ring' as const, count: 2, color: 'red' as const }], exclude: [{ class: 'ring' as const, count: 4 }], prompt: 'a photo of two red rings' };
    assert.deepEqual(countFacts(line), [{ shape: 'ring', color: 'red', min: 2, max: Infinity }, { shape: 'ring', min: 0, max: 3 }]);
  });

  it('are answered with a number word, "zero" included, and judged by it', () => {
    assert.equal(countAnswer(0, 'ring'), 'zero rings');
    assert.equal(countAnswer(1, 'cross', 'pink'), 'one pink cross');
    assert.equal(countAnswer(4, 'cross'), 'four crosses');
    assert.throws(() => countAnswer(6, 'ring'), /from 0 to 5/);
    assert.equal(readCount('There are three rings.'), 3);
    assert.equal(readCount('zero rings'), 0);
    assert.equal(readCount('rings'), undefined);
    const exactlyTwo = { shape: 'ring' as const, min: 2, max: 2 };
    assert.ok(countAccepted(exactlyTwo, 'two rings'));
    assert.ok(!countAccepted(exactlyTwo, 'three rings'));
    assert.ok(!countAccepted({ shape: 'ring', min: 1, max: Infinity }, 'zero rings'));
    assert.ok(!countAccepted({ shape: 'ring', min: 1, max: Infinity }, 'a ring'));
  });

  it("use only the world's words", () => {
    const text = createTextTokenizer();
    for (const shape of CLASSES) {
      for (const color of [undefined, ...COLORS]) {
        text.encode(countQuestion(shape, color));
        for (let n = 0; n <= MAX_COUNT_ANSWER; n++) text.encode(countAnswer(n, shape, color));
      }
    }
  });
});
