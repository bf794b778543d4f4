/**
 * How a rescore's scores go into a checkpoint's card (bench/rescore.ts --cards): each card score
 * keeps one learned-detector measurement, found by the template number its images reproduce, and a
 * measurement replaced by other weights keeps the old scores beside the new ones.
 */
import { basename } from 'node:path';
import { TAGS } from '../daemon/world';

/** One folder scored by both detectors. */
export interface Rescored {
  source: string;
  images: number;
  template: { overall: number; tags: Record<string, number> };
  detector: { overall: number; tags: Record<string, number> };
}

/** Which card score a rescore measures: the same prompt file, images a prompt and seed (and the template score: measureIntoCard). */
export interface MeasurementKey {
  promptFile: string;
  imagesPerPrompt: number;
  seed: number;
}

interface CardMeasurement {
  set: string;
  imagesPerPrompt: number;
  evalSeed: number;
  images: number;
  template: Rescored['template'];
  learned: Rescored['detector'];
  /** The classifier the learned scores came from (its format and how it reads a region). */
  learnedWeights?: string;
  learnedBefore?: Rescored['detector'] & { weights: string };
  change: Record<string, number>;
}

const round = (x: number): number => Math.round(x * 10000) / 10000;
const rounded = (s: Rescored['detector']): Rescored['detector'] => ({ overall: round(s.overall), tags: Object.fromEntries(Object.entries(s.tags).map(([t, v]) => [t, round(v)])) });

/** Template scores this close are of the same images (older measurements kept three decimals). */
const SAME_TEMPLATE_SCORE = 5e-4;

/**
 * Writes a rescore's learned-detector scores (of the weights `weightsLabel` names) into the card's
 * measurement of the score these images reproduce (the same prompt file, images a prompt and seed,
 * and the template detector's overall: a card may hold one prompt file at two guidance scales), or
 * of the measurement already on the card whose template number they reproduce; the scores replaced
 * are kept as `learnedBefore` with the weights they came from. Images that reproduce neither are
 * refused, naming the card's scores.
 */
export function measureIntoCard(card: Card, r: Rescored, key: MeasurementKey, weightsLabel: string, cardName: string): void {
  const promptName = basename(key.promptFile);
  const sameKey = (x: { imagesPerPrompt?: number; evalSeed?: number; command?: string }): boolean => x.imagesPerPrompt === key.imagesPerPrompt && evalSeedOf(x) === key.seed;
  const reproduces = (overall: number): boolean => Math.abs(overall - r.template.overall) <= SAME_TEMPLATE_SCORE;
  const candidates = (card.scores ?? []).filter((x) => x.promptFile !== undefined && basename(x.promptFile) === promptName && sameKey(x) && x.geneval !== undefined);
  const score = candidates.find((x) => reproduces(x.geneval!.overall));
  // A measurement already on the card is of the images its template number names, even where no
  // card score holds them (the full set at a guidance the card scored only the quick set at).
  const earlier = card.genevalByDetector?.measurements?.find((x) => x.set.includes(promptName) && sameKey(x) && reproduces(x.template.overall));
  if (!score && !earlier) {
    const theirs = candidates.map((x) => x.geneval!.overall.toFixed(4)).join(', ') || 'none';
    throw new Error(`${cardName}: the template detector gives ${r.template.overall.toFixed(4)} on these images; the card's scores of ${promptName}, ${key.imagesPerPrompt} images a prompt, seed ${key.seed}: ${theirs}: not the card's images`);
  }
  const m = earlier ?? firstMeasurement(card, score!, key);
  if (!earlier) m.template = rounded(r.template);
  else if (m.learnedWeights !== weightsLabel) m.learnedBefore = { ...m.learned, weights: m.learnedWeights ?? 'unirl-shape-classifier/2: the five networks of sessions 9-19, which read a region from its half-covered pixels' };
  m.learnedWeights = weightsLabel;
  m.learned = rounded(r.detector);
  m.change = { ...Object.fromEntries(TAGS.map((t) => [t, round((r.detector.tags[t] ?? NaN) - (r.template.tags[t] ?? NaN))])), overall: round(r.detector.overall - r.template.overall) };
  m.images = r.images;
}

/**
 * The evaluation seed of a card score or measurement: its `evalSeed`, or for scores written before
 * cards recorded it, the `--seed` of the command that measured it (none when neither says).
 */
function evalSeedOf(x: { evalSeed?: number; command?: string }): number | undefined {
  if (x.evalSeed !== undefined) return x.evalSeed;
  const m = /(?:^|\s)--seed[ =](\d+)(?:\s|$)/.exec(x.command ?? '');
  return m ? Number(m[1]) : undefined;
}

/** What rescoring reads and writes of a checkpoint's card. */
export interface Card {
  scores?: CardScore[];
  genevalByDetector?: { note?: string; measurements?: CardMeasurement[] };
}

interface CardScore {
  /** Older cards name the set by its prompt file alone. */
  set?: string;
  promptFile?: string;
  imagesPerPrompt?: number;
  evalSeed?: number;
  /** The command that measured it (older scores say their seed only here). */
  command?: string;
  geneval?: { overall: number };
}

/** A card score never measured with the learned detector gets its first measurement. */
function firstMeasurement(card: Card, score: CardScore, key: MeasurementKey): CardMeasurement {
  const m: CardMeasurement = { set: score.set ?? key.promptFile, imagesPerPrompt: key.imagesPerPrompt, evalSeed: key.seed, images: 0, template: { overall: score.geneval!.overall, tags: {} }, learned: { overall: 0, tags: {} }, change: {} };
  // A card without measurements (none yet, or an older note that said so) gets this note.
  const measurements = card.genevalByDetector?.measurements ?? [];
  if (!card.genevalByDetector?.measurements) {
    card.genevalByDetector = {
      ...card.genevalByDetector,
      note: 'The GenEval numbers in "scores" were measured with the template detector (the default judge). Re-scored on the same images with the learned detector (daemon/geneval/detector.ts; learnedWeights names its weights): bench/rescore.ts --cards.',
      measurements,
    };
  }
  measurements.push(m);
  return m;
}
