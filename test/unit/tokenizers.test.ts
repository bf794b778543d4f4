import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultDetector } from '../../daemon/geneval';
import { BACKGROUND_TOKEN, createImageTokenizer, createTextTokenizer, maskAndColorOf, normalizeAnswer, tokenOf } from '../../daemon/tokenizers';
import { Rng } from '../../daemon/util/random';
import { blankImage, DEFAULT_WORLD, generatePromptSet, QUESTIONS, renderScene, sampleScene } from '../../daemon/world';

describe('image tokenizer', () => {
  const tokenizer = createImageTokenizer(DEFAULT_WORLD);

  it('round-trips truth renders pixel for pixel', () => {
    const rng = new Rng(21);
    for (const meta of generatePromptSet({ seed: 8, split: 'all' })) {
      const image = renderScene(sampleScene(meta, DEFAULT_WORLD, rng), DEFAULT_WORLD);
      const tokens = tokenizer.encode(image);
      assert.equal(tokens.length, 64);
      assert.ok(tokens.every((t) => t >= 0 && t < tokenizer.vocabSize));
      assert.deepEqual(tokenizer.decode(tokens).data, image.data, meta.prompt);
    }
  });

  it('encodes background as the background token and factorises the rest', () => {
    assert.ok(tokenizer.encode(blankImage(32, 32)).every((t) => t === BACKGROUND_TOKEN));
    const token = tokenOf(5, 7);
    assert.deepEqual(maskAndColorOf(token), { mask: 5, color: 7 });
    assert.equal(maskAndColorOf(BACKGROUND_TOKEN), undefined);
  });

  it('maps a noisy image to the nearest codes, so the detector still reads it', () => {
    const rng = new Rng(2);
    const scene = sampleScene(generatePromptSet({ seed: 1, split: 'all' })[150]!, DEFAULT_WORLD, rng);
    const image = renderScene(scene, DEFAULT_WORLD);
    const noisy = { ...image, data: image.data.map((v) => Math.max(0, Math.min(255, v + Math.round(20 * rng.normal())))) };
    const read = (img: typeof image): string[] => defaultDetector(img).map((d) => `${d.class}/${d.color}`).sort();
    assert.deepEqual(read(tokenizer.decode(tokenizer.encode(noisy))), read(image));
  });

  it('refuses images of the wrong size and tokens outside the vocabulary', () => {
    assert.throws(() => tokenizer.encode(blankImage(16, 16)), /16 x 16/);
    assert.throws(() => tokenizer.decode(new Int32Array(64).fill(tokenizer.vocabSize)), /outside the vocabulary/);
    assert.throws(() => tokenizer.decode(new Int32Array(10)), /expected 64 image tokens/);
  });
});

describe('text tokenizer', () => {
  const text = createTextTokenizer();
  it("round-trips every prompt, question and answer of the world's language", () => {
    for (const meta of generatePromptSet({ seed: 3, split: 'all' })) {
      for (const sentence of [meta.prompt, meta.question!, meta.answer!]) {
        assert.equal(text.decode(text.encode(sentence)), normalizeAnswer(sentence) + (/[?.]$/.test(sentence) ? sentence.slice(-1) : ''));
      }
    }
    assert.equal(text.decode(text.encode(QUESTIONS.position)), QUESTIONS.position.toLowerCase());
  });
  it('refuses unknown words by name and stops decoding at <eos>', () => {
    assert.throws(() => text.encode('a photo of a bench'), /"bench"/);
    assert.equal(text.decode([...text.encode('two rings'), text.eos, ...text.encode('circle')]), 'two rings');
  });
  it('normalises answers for exact matching', () => {
    assert.equal(normalizeAnswer('The Circle is  left of the square.'), 'the circle is left of the square');
  });
});
