import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { initCompute } from '../../daemon/compute';
import { summarize, scoreImageFolder, writeTruthImages } from '../../daemon/geneval';
import { MaskedModel, modelConfig } from '../../daemon/models';
import { imbalance, understandingOnTruth } from '../../daemon/train';
import { decodePng } from '../../daemon/util/png';
import { checkMetadata, DEFAULT_WORLD, generatePromptSet, judgeAnswer, questionAnswer } from '../../daemon/world';
import { scratchDir } from '../scratch';

before(async () => {
  await initCompute({ backend: 'wasm' });
});

describe('imbalance of generation and understanding', () => {
  it('counts, on the very images GenEval scored, the model verdicts that disagree with the detector', async () => {
    const prompts = generatePromptSet({ seed: 4, split: 'heldout', counts: { single_object: 2, two_object: 2, counting: 2, colors: 2, position: 2, color_attr: 2 } });
    const out = join(scratchDir('imbalance'), 'images');
    await writeTruthImages({ metadata: prompts, outDir: out, imagesPerPrompt: 2, seed: 1, world: DEFAULT_WORLD });
    const { rows, summary } = scoreImageFolder(out);
    const model = MaskedModel.create(modelConfig('masked', { dim: 32, layers: 2, heads: 2, mlpRatio: 2 }));
    const understanding = await understandingOnTruth(model, prompts, 1, 0);

    // Truth renders: the detector accepts every image, so every disagreement is "gen right, und wrong".
    const accepted = await imbalance(model, rows, summary, understanding);
    assert.equal(accepted.images, rows.length);
    assert.equal(accepted.genWrongUndRight, 0);
    assert.equal(accepted.groundingGap, accepted.genRightUndWrong / rows.length);
    for (const t of accepted.tags) {
      assert.equal(t.generation, 1);
      const u = understanding.tags.find((x) => x.tag === t.tag)!.accuracy;
      assert.equal(t.gap, Math.abs(1 - u));
    }

    // The same images marked rejected: the disagreements flip to "gen wrong, und right", same total.
    const rejected = rows.map((r) => ({ ...r, correct: false }));
    const flipped = await imbalance(model, rejected, summarize(rejected), understanding);
    assert.equal(flipped.genRightUndWrong, 0);
    assert.equal(flipped.genWrongUndRight, rows.length - accepted.genRightUndWrong);
    for (const t of flipped.tags) assert.equal(t.generation, 0);

    // The counts agree with judging the model's answers one image at a time.
    const metas = rows.map((r) => checkMetadata(JSON.parse(r.metadata), r.filename));
    const images = rows.map((r) => decodePng(readFileSync(r.filename), r.filename));
    const { answers } = await model.answer(images, metas.map((m) => questionAnswer(m)!.question));
    const wrong = metas.filter((m, i) => !judgeAnswer(m, answers[i]!).correct).length;
    assert.equal(accepted.genRightUndWrong, wrong);
  });
});
