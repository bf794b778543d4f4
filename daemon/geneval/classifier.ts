/**
 * The shape classifier: a small two-layer network over a region's descriptors (descriptors.ts)
 * that gives the probability of each class and of "none" (a blob, a fragment, two objects merged,
 * noise). Its weights are learned by bench/train-detector.ts from procedural renderings in a
 * family of drawing styles and kept in shape-classifier.json; several such networks, trained from
 * different seeds, vote by averaging their probabilities. The temperature is fitted on renders the
 * weights never saw, so that a probability of 0.9 is right about nine times in ten.
 *
 * Plain arithmetic, no TensorFlow: it runs inside GRPO's reward loop on every generated image.
 */
import { CLASSES, type ShapeClass } from '../world/definition';
import { DESCRIPTOR_LENGTH } from './descriptors';
import weightsFile from './shape-classifier.json';
import turnedWeightsFile from './turned-classifier.json';
import crossesDiamondsWeightsFile from './crosses-diamonds-classifier.json';

/** The classifier's outputs: the six classes, then "none". */
export const OUTPUTS = [...CLASSES, 'none'] as const;
export type Output = (typeof OUTPUTS)[number];

/** One network's weights: a hidden ReLU layer, then the outputs' logits. */
export interface NetworkWeights {
  /** hidden x inputs, row-major. */
  w1: number[];
  b1: number[];
  /** outputs x hidden, row-major. */
  w2: number[];
  b2: number[];
}

/**
 * Version 3 reads descriptors of the sub-pixel outline (descriptors.ts, `describeRegion`); weights
 * of version 2 were trained on the half-covered pixels and read small anti-aliased shapes wrongly
 * through the new path, so they are refused rather than silently mismatched.
 */
export const CLASSIFIER_FORMAT = 'unirl-shape-classifier/3';

export interface ClassifierWeights {
  format: typeof CLASSIFIER_FORMAT;
  /** Which descriptor entries are inputs (all of them unless a variant uses fewer). */
  inputs: number[];
  hidden: number;
  /** Per input: subtracted, then divided by (the training data's, shared by every network). */
  mean: number[];
  std: number[];
  /**
   * Networks trained alike on the same data from different seeds (an ensemble): their
   * probabilities are averaged. Where they agree the average keeps their confidence; where one
   * run happened to learn a drawing hesitantly or wrongly, the others outvote it.
   */
  networks: NetworkWeights[];
  /** Each network's logits are divided by it before its softmax (fitted for calibration). */
  temperature: number;
  /** How the file was made, for the record. */
  provenance: Record<string, unknown>;
}

interface Network {
  readonly w1: Float32Array;
  readonly b1: Float32Array;
  readonly w2: Float32Array;
  readonly b2: Float32Array;
}

/** A classifier ready to run: weights in typed arrays. */
export interface ShapeClassifier {
  readonly inputs: Int32Array;
  readonly hidden: number;
  readonly mean: Float32Array;
  readonly std: Float32Array;
  readonly networks: readonly Network[];
  /**
   * Every network's first layer as one matrix, network after network (each network's w1 and b1 are
   * views into it): one pass over it reads a descriptor about twice as fast as a pass per network.
   */
  readonly firstLayer: { readonly w: Float32Array; readonly b: Float32Array };
  readonly temperature: number;
}

export function loadClassifier(weights: ClassifierWeights): ShapeClassifier {
  const n = weights.inputs.length;
  const outputs = OUTPUTS.length;
  const check = (name: string, got: number, want: number): void => {
    if (got !== want) throw new Error(`shape classifier: ${name} has ${got} values, expected ${want}`);
  };
  const format: string = weights.format;
  if (format !== CLASSIFIER_FORMAT) {
    const old = format === 'unirl-shape-classifier/2' ? ' (version 2 weights read the half-covered pixels, not the sub-pixel outline: retrain with bench/train-detector.ts)' : '';
    throw new Error(`shape classifier: format ${format}, expected ${CLASSIFIER_FORMAT}${old}`);
  }
  if (weights.inputs.some((i) => i < 0 || i >= DESCRIPTOR_LENGTH)) throw new Error('shape classifier: an input index is outside the descriptor');
  if (weights.networks.length === 0) throw new Error('shape classifier: no networks');
  check('mean', weights.mean.length, n);
  check('std', weights.std.length, n);
  const rows = weights.hidden * n;
  const firstLayer = { w: new Float32Array(weights.networks.length * rows), b: new Float32Array(weights.networks.length * weights.hidden) };
  const networks = weights.networks.map((net, m) => {
    check('w1', net.w1.length, rows);
    check('b1', net.b1.length, weights.hidden);
    check('w2', net.w2.length, outputs * weights.hidden);
    check('b2', net.b2.length, outputs);
    firstLayer.w.set(net.w1, m * rows);
    firstLayer.b.set(net.b1, m * weights.hidden);
    return {
      w1: firstLayer.w.subarray(m * rows, (m + 1) * rows),
      b1: firstLayer.b.subarray(m * weights.hidden, (m + 1) * weights.hidden),
      w2: Float32Array.from(net.w2),
      b2: Float32Array.from(net.b2),
    };
  });
  return {
    inputs: Int32Array.from(weights.inputs),
    hidden: weights.hidden,
    mean: Float32Array.from(weights.mean),
    std: Float32Array.from(weights.std),
    networks,
    firstLayer,
    temperature: weights.temperature,
  };
}

/**
 * The weights as a file holds them: every array number written with the fewest digits that read
 * back as the same 32-bit float. loadClassifier reads them into Float32Arrays, so the classifier it
 * loads is bit for bit the one of the unrounded weights; a merge's folded first layer, computed in
 * double precision, otherwise takes about twice the characters.
 */
export function compactWeights(weights: ClassifierWeights): ClassifierWeights {
  const compact = (values: readonly number[]): number[] => values.map(shortestFloat32);
  return {
    ...weights,
    mean: compact(weights.mean),
    std: compact(weights.std),
    networks: weights.networks.map((net) => ({ ...net, w1: compact(net.w1), b1: compact(net.b1), w2: compact(net.w2), b2: compact(net.b2) })),
  };
}

/**
 * The number of fewest significant digits that rounds to the same 32-bit float as x: at each
 * length, the decimal nearest that float is the one to try.
 */
function shortestFloat32(x: number): number {
  const target = Math.fround(x);
  if (!Number.isFinite(target)) return x;
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(target.toPrecision(digits));
    if (Math.fround(candidate) === target) return candidate;
  }
  // Nine significant digits always tell two 32-bit floats apart.
  return Number(target.toPrecision(9));
}

/**
 * One ensemble of the networks of several weights files (say, the same recipe trained from two
 * seeds, each on its own regions): each file's standardisation is folded into its networks' first
 * layer (w1 / std, b1 - w1 . mean / std), since the format holds one standardisation for all
 * networks; the result reads the raw descriptor (mean 0, std 1) and keeps the first file's
 * temperature until it is refitted for the whole.
 */
export function mergeClassifiers(files: readonly ClassifierWeights[], provenance: Record<string, unknown>): ClassifierWeights {
  const first = files[0];
  if (!first) throw new Error('shape classifier merge: no weights');
  for (const f of files) {
    loadClassifier(f);
    if (f.hidden !== first.hidden || f.inputs.join() !== first.inputs.join()) throw new Error('shape classifier merge: the weights read different inputs or hidden sizes');
  }
  const n = first.inputs.length;
  const networks = files.flatMap((f) =>
    f.networks.map((net) => {
      const w1 = net.w1.map((w, at) => w / f.std[at % n]!);
      const b1 = net.b1.map((b, j) => b - f.mean.reduce((s, m, i) => s + w1[j * n + i]! * m, 0));
      return { ...net, w1, b1 };
    }),
  );
  return { ...first, mean: new Array<number>(n).fill(0), std: new Array<number>(n).fill(1), networks, provenance };
}

/**
 * Each network's logits (before temperature) of one descriptor vector. The first layers run as one
 * matrix (`firstLayer`), four products a step; each sum still adds its terms in order, so the
 * logits are bit for bit those of a plain loop per network.
 */
export function classifierLogits(model: ShapeClassifier, descriptor: Float32Array): Float32Array[] {
  const n = model.inputs.length;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = ((descriptor[model.inputs[i]!] as number) - model.mean[i]!) / model.std[i]!;
  const { w, b } = model.firstLayer;
  const hidden = new Float32Array(b.length);
  for (let r = 0, row = 0; r < b.length; r++, row += n) {
    let s = b[r]!;
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      s += w[row + i]! * x[i]!;
      s += w[row + i + 1]! * x[i + 1]!;
      s += w[row + i + 2]! * x[i + 2]!;
      s += w[row + i + 3]! * x[i + 3]!;
    }
    for (; i < n; i++) s += w[row + i]! * x[i]!;
    hidden[r] = s > 0 ? s : 0;
  }
  return model.networks.map((net, m) => {
    const logits = new Float32Array(OUTPUTS.length);
    const offset = m * model.hidden;
    for (let k = 0; k < OUTPUTS.length; k++) {
      let s = net.b2[k]!;
      const row = k * model.hidden;
      for (let j = 0; j < model.hidden; j++) s += net.w2[row + j]! * hidden[offset + j]!;
      logits[k] = s;
    }
    return logits;
  });
}

/** Softmax of logits / temperature. */
export function softmax(logits: Float32Array, temperature = 1): Float32Array {
  let max = -Infinity;
  for (const l of logits) max = Math.max(max, l / temperature);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let k = 0; k < logits.length; k++) {
    out[k] = Math.exp(logits[k]! / temperature - max);
    sum += out[k]!;
  }
  for (let k = 0; k < logits.length; k++) out[k]! /= sum;
  return out;
}

/**
 * The ensemble's probabilities: the mean of each network's softmax(logits / temperature). Summed in
 * double precision and capped at 1: ten sure networks' float32 shares add up to 1.0000001, and a
 * confidence above 1 falls out of every calibration bin.
 */
export function averageProbabilities(logits: readonly Float32Array[], temperature: number): Float32Array {
  const sums = new Float64Array(OUTPUTS.length);
  for (const l of logits) {
    const p = softmax(l, temperature);
    for (let k = 0; k < sums.length; k++) sums[k]! += p[k]!;
  }
  return Float32Array.from(sums, (s) => Math.min(1, s / logits.length));
}

/** The probability of each output for one region's descriptor. */
export function classify(model: ShapeClassifier, descriptor: Float32Array): Float32Array {
  return averageProbabilities(classifierLogits(model, descriptor), model.temperature);
}

/** The most probable shape class (never "none") and its probability. */
export function bestShape(probabilities: Float32Array): { shape: ShapeClass; probability: number } {
  let best = 0;
  for (let k = 1; k < CLASSES.length; k++) if (probabilities[k]! > probabilities[best]!) best = k;
  return { shape: CLASSES[best]!, probability: probabilities[best]! };
}

/**
 * The committed networks: the first reading of every region, and the two second looks of
 * detector.ts (`readRegion`): `triangles`, trained on regions read turned heavier end down
 * (`quarterTurned`), and `crossesAndDiamonds`, trained on a family whose crosses and diamonds are
 * drawn at any quarter turn.
 */
const COMMITTED = { first: weightsFile, triangles: turnedWeightsFile, crossesAndDiamonds: crossesDiamondsWeightsFile } as const;
export type CommittedReader = keyof typeof COMMITTED;
const loadedReaders = new Map<CommittedReader, ShapeClassifier>();

/** A committed classifier, loaded once. */
export function committedClassifier(which: CommittedReader): ShapeClassifier {
  let model = loadedReaders.get(which);
  if (!model) {
    model = loadClassifier(COMMITTED[which] as ClassifierWeights);
    loadedReaders.set(which, model);
  }
  return model;
}

/** The committed classifier of the first reading (shape-classifier.json). */
export function defaultClassifier(): ShapeClassifier {
  return committedClassifier('first');
}

/** Which committed weights read the learned detector's scores: their format and how they describe a region (for the record a score carries). */
export function committedClassifierLabel(which: CommittedReader = 'first'): string {
  return classifierLabel(COMMITTED[which] as ClassifierWeights);
}

function classifierLabel(weights: ClassifierWeights): string {
  const { format, provenance, networks } = weights;
  const descriptors = provenance['descriptors'];
  const family = provenance['family'];
  const merged = provenance['merged'];
  const label = typeof descriptors === 'string' ? `${format}: ${descriptors}` : format;
  const withFamily = typeof family === 'string' ? `${label}; ${family}` : label;
  return Array.isArray(merged) ? `${withFamily}; ${networks.length} networks of ${merged.length} runs merged` : withFamily;
}
