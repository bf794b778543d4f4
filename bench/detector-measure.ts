/**
 * What the detector benchmarks share: GenEval per tag for a detector over a set of images, and
 * calibration (is a detection with confidence c right a fraction c of the time?).
 */
import { COUNTING_THRESHOLD, defaultClassifier, detect, evaluateDetections, keepDetections, loadClassifier, type ClassifierWeights, type Detection, type Detector } from '../daemon/geneval';
import { readTextFile } from '../daemon/util/fsx';
import type { Box } from '../daemon/world/relations';
import { TAGS, type Metadata, type ShapeClass, type ColorName } from '../daemon/world';

/**
 * The learned detector with the committed weights, or with the weights of `file` (a benchmark's
 * --weights: a retrained classifier scored before it replaces the committed one); `temperature`
 * replaces the weights' fitted one (a benchmark's --temperature: how far calibration alone moves a
 * row, never a way of choosing it on the images it is scored with).
 */
export function learnedDetector(file?: string, temperature?: number): Detector {
  let classifier = defaultClassifier();
  if (file !== undefined) {
    let weights: ClassifierWeights;
    try {
      weights = JSON.parse(readTextFile(file)) as ClassifierWeights;
    } catch (err) {
      throw new Error(`--weights: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    classifier = loadClassifier(weights);
  }
  if (temperature !== undefined) {
    if (!(temperature > 0)) throw new Error(`--temperature must be a positive number (got ${temperature})`);
    classifier = { ...classifier, temperature };
  }
  return (image) => detect(image, classifier);
}

/** GenEval's per-tag tally for one detector. */
export class TagTally {
  private readonly tags = new Map<string, { correct: number; total: number }>();

  add(meta: Metadata, detections: readonly Detection[]): boolean {
    const correct = evaluateDetections(keepDetections(detections, meta.tag), meta).correct;
    const t = this.tags.get(meta.tag) ?? { correct: 0, total: 0 };
    t.total++;
    if (correct) t.correct++;
    this.tags.set(meta.tag, t);
    return correct;
  }

  score(tag: string): number {
    const t = this.tags.get(tag);
    return t ? t.correct / t.total : NaN;
  }

  /** The unweighted mean of the tags seen, as GenEval's overall. */
  overall(): number {
    const scores = [...this.tags.keys()].map((t) => this.score(t));
    return scores.reduce((a, b) => a + b, 0) / scores.length;
  }

  worst(): { tag: string; score: number } {
    return [...this.tags.keys()].map((tag) => ({ tag, score: this.score(tag) })).reduce((a, b) => (b.score < a.score ? b : a));
  }

  /** "0.975 | 1.000 | ..." in TAGS order, then the overall. */
  row(): string {
    return [...TAGS.map((t) => this.score(t).toFixed(3)), this.overall().toFixed(3)].join(' | ');
  }
}

export interface TruthObject {
  shape: ShapeClass;
  color: ColorName;
  box: Box;
}

/** True when a detection's box centre lies in `box` grown by `slack` px on every side. */
function centreIn(d: Detection, box: Box, slack: number): boolean {
  const cx = (d.box[0] + d.box[2]) / 2;
  const cy = (d.box[1] + d.box[3]) / 2;
  return cx >= box[0] - slack && cx <= box[2] + slack && cy >= box[1] - slack && cy <= box[3] + slack;
}

/**
 * Marks each detection right or wrong: right when its box centre lies in a truth object's box
 * (grown by `slack` px: turned or soft shapes spill over a little) that no more confident
 * detection has claimed, and class and colour are that object's.
 */
export function judgeDetections(detections: readonly Detection[], truth: readonly TruthObject[], slack = 1): boolean[] {
  const claimed = new Set<number>();
  return [...detections]
    .map((d, i) => ({ d, i }))
    .sort((a, b) => b.d.score - a.d.score)
    .reduce<boolean[]>((out, { d, i }) => {
      const t = truth.findIndex((o, k) => !claimed.has(k) && centreIn(d, o.box, slack));
      if (t >= 0) claimed.add(t);
      out[i] = t >= 0 && truth[t]!.shape === d.class && truth[t]!.color === d.color;
      return out;
    }, []);
}

/** Confidence bins, from GenEval's 0.3 up; the last ones are narrow since most detections sit near 1. */
export const CALIBRATION_BINS = [0.3, 0.5, 0.7, 0.9, 0.97, 0.99, 1.0000001];

export class Calibration {
  private readonly count = new Array<number>(CALIBRATION_BINS.length - 1).fill(0);
  private readonly right = new Array<number>(CALIBRATION_BINS.length - 1).fill(0);
  private readonly confidence = new Array<number>(CALIBRATION_BINS.length - 1).fill(0);

  add(score: number, correct: boolean): void {
    const bin = CALIBRATION_BINS.findIndex((lo, k) => score >= lo && score < CALIBRATION_BINS[k + 1]!);
    if (bin < 0) return;
    this.count[bin]!++;
    this.confidence[bin]! += score;
    if (correct) this.right[bin]!++;
  }

  /** Expected calibration error over the bins: the count-weighted mean |confidence - accuracy|. */
  ece(): number {
    const n = this.count.reduce((a, b) => a + b, 0);
    return this.count.reduce((s, c, k) => (c === 0 ? s : s + (c / n) * Math.abs(this.confidence[k]! / c - this.right[k]! / c)), 0);
  }

  /** Per bin: "n, mean confidence, accuracy" cells. */
  cells(): string[] {
    return this.count.map((c, k) => (c === 0 ? '-' : `${c}: ${(this.confidence[k]! / c).toFixed(3)} / ${(this.right[k]! / c).toFixed(3)}`));
  }

  static header(): string {
    const names = CALIBRATION_BINS.slice(0, -1).map((lo, k) => `${lo}-${Math.min(1, CALIBRATION_BINS[k + 1]!).toFixed(2)}`);
    return `| images | ${names.join(' | ')} | ECE |\n|---|${names.map(() => '---|').join('')}---|`;
  }
}

/** Images a second: the detector on these images, best of three passes. */
export function imagesPerSecond(detector: Detector, images: readonly Parameters<Detector>[0][]): number {
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const t = process.hrtime.bigint();
    for (const image of images) detector(image);
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e9);
  }
  return images.length / best;
}

/**
 * Object by object: what the detector made of each truth object (the most confident detection
 * whose box centre lies in the object's box, grown by `slack`, in the object's colour), by true
 * class and by box side. Counting asks every object above 0.9, so "right, 0.9 or below" is lost
 * to counting as surely as a misreading.
 */
export class ObjectTally {
  private readonly byClass = new Map<ShapeClass, { n: number; counted: number; hedged: number; missed: number; readAs: Map<ShapeClass, number> }>();
  private readonly bySide = new Map<number, { n: number; lost: number }>();

  add(detections: readonly Detection[], truth: readonly TruthObject[], slack = 1): void {
    for (const o of truth) {
      const d = detections.find((d) => d.color === o.color && centreIn(d, o.box, slack));
      const c = this.byClass.get(o.shape) ?? { n: 0, counted: 0, hedged: 0, missed: 0, readAs: new Map<ShapeClass, number>() };
      c.n++;
      if (!d) c.missed++;
      else if (d.class !== o.shape) c.readAs.set(d.class, (c.readAs.get(d.class) ?? 0) + 1);
      else if (d.score > COUNTING_THRESHOLD) c.counted++;
      else c.hedged++;
      this.byClass.set(o.shape, c);
      const side = Math.round(o.box[2] - o.box[0]);
      const s = this.bySide.get(side) ?? { n: 0, lost: 0 };
      s.n++;
      if (!d || d.class !== o.shape || d.score <= COUNTING_THRESHOLD) s.lost++;
      this.bySide.set(side, s);
    }
  }

  /** Two markdown tables: by true class, and by box side. */
  tables(title: string): string {
    const classes = [...this.byClass.keys()].sort();
    const lines = [
      `Object by object, ${title}: the detection on each truth object's box and colour.`,
      '',
      '| true class | objects | right, above 0.9 | right, 0.9 or below | read as another class | not found |',
      '|---|---|---|---|---|---|',
      ...classes.map((k) => {
        const c = this.byClass.get(k)!;
        const readAs = [...c.readAs].sort((a, b) => b[1] - a[1]).map(([cls, n]) => `${n} ${cls}`).join(', ') || '0';
        return `| ${k} | ${c.n} | ${c.counted} | ${c.hedged} | ${readAs} | ${c.missed} |`;
      }),
      '',
      '| box side (px) | objects | lost to counting (misread, not found, or 0.9 or below) |',
      '|---|---|---|',
      ...[...this.bySide].sort((a, b) => a[0] - b[0]).map(([side, s]) => `| ${side} | ${s.n} | ${s.lost} (${((100 * s.lost) / s.n).toFixed(1)}%) |`),
    ];
    return lines.join('\n');
  }
}
