import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeAnswer, metadataFor } from '../../daemon/world';

describe('answer judge', () => {
  it('accepts equivalent phrasings and refuses wrong facts', () => {
    const two = metadataFor({ tag: 'two_object', first: 'circle', second: 'square' });
    assert.deepEqual(judgeAnswer(two, 'There is a square and a circle'), { correct: true, graded: 1 });
    assert.deepEqual(judgeAnswer(two, 'There is a square and a ring'), { correct: false, graded: 0.5 });
    const pos = metadataFor({ tag: 'position', subject: 'ring', relation: 'left of', target: 'cross' });
    assert.equal(judgeAnswer(pos, 'The ring is left of the cross').correct, true);
    assert.equal(judgeAnswer(pos, 'The cross is right of the ring.').correct, true);
    assert.deepEqual(judgeAnswer(pos, 'The cross is left of the ring'), { correct: false, graded: 0.5 });
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
