import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { initCompute } from '../../daemon/compute';
import { loadModel } from '../../daemon/models';
import { Rng } from '../../daemon/util/random';
import { COLORS, DEFAULT_WORLD, judgeAnswer, metadataFor, renderScene, sampleScene } from '../../daemon/world';

const MODELS = join(import.meta.dirname, '../../models');

before(async () => {
  await initCompute({ backend: 'wasm' });
});

type Card = { sha256: string; paradigm: string; step: number; config: Record<string, unknown>; file: string };
const cardOf = (name: string): Card => JSON.parse(readFileSync(join(MODELS, `${name}.json`), 'utf8')) as Card;

describe('every committed checkpoint', () => {
  for (const name of readdirSync(MODELS).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length))) {
    it(`${name} is the file its card describes`, () => {
      const card = cardOf(name);
      const file = join(MODELS, card.file);
      assert.equal(card.file, `${name}.safetensors`);
      assert.equal(createHash('sha256').update(readFileSync(file)).digest('hex'), card.sha256);
      const { model, info } = loadModel(file);
      assert.equal(model.paradigm, card.paradigm);
      assert.equal(info.step, card.step);
      assert.deepEqual({ ...model.config }, card.config);
      model.params.dispose();
    });
  }
});

for (const name of ['shapes-masked-base', 'shapes-ar-base', 'shapes-ar-d192-base']) {
  describe(`committed base ${name}`, () => {
    const file = join(MODELS, `${name}.safetensors`);

    it('names the colour of a single object on truth scenes it never saw', async () => {
      const { model } = loadModel(file);
      const rng = new Rng(77);
      const metas = COLORS.map((color, i) => metadataFor({ tag: 'colors', shape: (['circle', 'square', 'triangle', 'ring', 'diamond', 'cross'] as const)[i % 6]!, color }));
      const images = metas.map((m) => renderScene(sampleScene(m, DEFAULT_WORLD, rng), DEFAULT_WORLD));
      const { answers } = await model.answer(images, metas.map((m) => m.question!));
      const right = metas.filter((m, i) => judgeAnswer(m, answers[i]!).correct).length;
      assert.ok(right >= 9, `${right} / 10 colours named: ${answers.join(', ')}`);
      model.params.dispose();
    });

    it('draws the same image for the same seed', async () => {
      const { model } = loadModel(file);
      const prompts = ['a photo of a red circle', 'a photo of a blue square'];
      const a = await model.generate(prompts, { rng: new Rng(5), cfg: 2, steps: 12, temperature: 1 });
      const b = await model.generate(prompts, { rng: new Rng(5), cfg: 2, steps: 12, temperature: 1 });
      assert.deepEqual(a.tokens.map((t) => [...t]), b.tokens.map((t) => [...t]));
      for (const img of a.images) assert.equal(img.width, DEFAULT_WORLD.canvas);
      model.params.dispose();
    });
  });
}
