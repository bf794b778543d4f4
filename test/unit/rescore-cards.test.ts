/**
 * How bench/rescore.ts writes learned-detector scores into a checkpoint's card: the measurement
 * belongs to the card score whose template number the images reproduce, a second guidance scale of
 * the same prompt file gets its own, a measurement replaced by other weights keeps the old scores,
 * and images that reproduce none of the card's scores are refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { measureIntoCard, type Card, type Rescored } from '../../bench/rescore-cards';

const TAG_NAMES = ['single_object', 'two_object', 'counting', 'colors', 'position', 'color_attr'];
const tags = (value: number): Record<string, number> => Object.fromEntries(TAG_NAMES.map((t) => [t, value]));
const rescored = (template: number, learned: number): Rescored => ({ source: 'folder', images: 2212, template: { overall: template, tags: tags(template) }, detector: { overall: learned, tags: tags(learned) } });
const key = { promptFile: 'examples/prompts/shapes-geneval.jsonl', imagesPerPrompt: 4, seed: 0 };

/** A card with the same prompt file scored at two guidance scales, the first already measured. */
function twoScaleCard(): Card {
  const score = (overall: number): NonNullable<Card['scores']>[number] => ({ set: 'full (examples/prompts/shapes-geneval.jsonl, 553 prompts)', promptFile: 'examples/prompts/shapes-geneval.jsonl', imagesPerPrompt: 4, evalSeed: 0, geneval: { overall } });
  return {
    scores: [score(0.3915), score(0.56)],
    genevalByDetector: {
      note: 'measured',
      measurements: [{ set: 'full (examples/prompts/shapes-geneval.jsonl, 553 prompts)', imagesPerPrompt: 4, evalSeed: 0, images: 2212, template: { overall: 0.392, tags: tags(0.392) }, learned: { overall: 0.368, tags: tags(0.368) }, learnedWeights: 'weights A', change: {} }],
    },
  };
}

describe('writing rescores into cards', () => {
  it('gives the second guidance scale its own measurement and leaves the first alone', () => {
    const card = twoScaleCard();
    measureIntoCard(card, rescored(0.56, 0.5549), key, 'weights A', 'card.json');
    const [first, second] = card.genevalByDetector!.measurements!;
    assert.equal(card.genevalByDetector!.measurements!.length, 2);
    assert.equal(first!.learned.overall, 0.368);
    assert.equal(second!.template.overall, 0.56);
    assert.equal(second!.learned.overall, 0.5549);
    assert.equal(second!.change['overall'], -0.0051);
    assert.equal(second!.learnedWeights, 'weights A');
  });

  it('keeps the scores other weights gave when it measures the same images again', () => {
    const card = twoScaleCard();
    measureIntoCard(card, rescored(0.3917, 0.371), key, 'weights B', 'card.json');
    const [first] = card.genevalByDetector!.measurements!;
    assert.equal(card.genevalByDetector!.measurements!.length, 1, 'the older three-decimal measurement is the same score');
    assert.equal(first!.learned.overall, 0.371);
    assert.equal(first!.learnedWeights, 'weights B');
    assert.equal(first!.learnedBefore?.overall, 0.368);
    assert.equal(first!.learnedBefore?.weights, 'weights A');
  });

  it('refuses images that reproduce none of the card scores, naming them', () => {
    const card = twoScaleCard();
    const before = JSON.stringify(card);
    assert.throws(() => measureIntoCard(card, rescored(0.5707, 0.56), key, 'weights A', 'card.json'), /card\.json: the template detector gives 0\.5707 on these images; .*0\.3915, 0\.5600: not the card's images/);
    assert.throws(() => measureIntoCard(card, rescored(0.56, 0.55), { ...key, seed: 1 }, 'weights A', 'card.json'), /seed 1: none: not the card's images/);
    assert.equal(JSON.stringify(card), before, 'a refused rescore leaves the card as it was');
  });

  it("reads the seed of a score written before cards recorded it from the score's command", () => {
    // Cards with no measurement yet, so only the score itself can say whose images these are.
    const { evalSeed: _, ...older } = twoScaleCard().scores![0]!;
    const card: Card = { scores: [{ ...older, command: 'unirl eval --checkpoint models/x.safetensors --n 4 --seed 0 --cfg 3' }] };
    measureIntoCard(card, rescored(0.3915, 0.37), key, 'weights B', 'card.json');
    assert.equal(card.genevalByDetector!.measurements!.length, 1);
    assert.equal(card.genevalByDetector!.measurements![0]!.learned.overall, 0.37);
    // Without a seed in either place the score is no key's: refused.
    const bare: Card = { scores: [{ ...older, command: 'unirl eval --checkpoint models/x.safetensors --n 4' }] };
    assert.throws(() => measureIntoCard(bare, rescored(0.3915, 0.36), key, 'weights C', 'card.json'), /seed 0: none: not the card's images/);
  });

  it('re-measures images no card score holds when a measurement on the card names their template number', () => {
    const card = twoScaleCard();
    card.scores = card.scores!.slice(1);
    measureIntoCard(card, rescored(0.3917, 0.372), key, 'weights B', 'card.json');
    const [first] = card.genevalByDetector!.measurements!;
    assert.equal(first!.learned.overall, 0.372);
    assert.equal(first!.learnedBefore?.weights, 'weights A');
    assert.throws(() => measureIntoCard(card, rescored(0.4, 0.38), key, 'weights B', 'card.json'), /gives 0\.4000 on these images; .*: 0\.5600: not the card's images/);
  });

  it('starts the measurements of a card whose note said it was never re-scored', () => {
    const card: Card = { scores: [{ set: 'full', promptFile: 'examples/prompts/shapes-geneval.jsonl', imagesPerPrompt: 4, evalSeed: 0, geneval: { overall: 0.1606 } }], genevalByDetector: { note: 'Not re-scored with the learned detector.' } };
    measureIntoCard(card, rescored(0.161, 0.1152), key, 'weights A', 'card.json');
    assert.equal(card.genevalByDetector!.measurements!.length, 1);
    assert.match(card.genevalByDetector!.note!, /Re-scored on the same images with the learned detector/);
    assert.equal(card.genevalByDetector!.measurements![0]!.set, 'full');
  });
});
