/**
 * Trains the detector's shape classifier and writes daemon/geneval/shape-classifier.json.
 *
 * Data: labelled regions of the training family only (bench/detector-data.ts), three disjoint
 * seeds: one to fit the weights, one to fit the temperature, one to compare the variants (which
 * inputs the network sees: the shape measures, the coarse picture, or both). The held-out family
 * is never drawn here.
 *
 * `npx tsx bench/train-detector.ts [--scenes 12000] [--seed 1] [--compare] [--out FILE]`
 * `--compare` trains all three variants and prints their validation table before writing the
 * chosen one (`--variant`, default both).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { classifierLogits, DESCRIPTOR_LENGTH, describeShape, loadClassifier, OUTPUTS, SHAPE_MEASURES, softmax, type ClassifierWeights } from '../daemon/geneval';
import { CLASSES } from '../daemon/world/definition';
import { shapeMask } from '../daemon/world/shapes';
import { labelledRegions } from './detector-data';
import { fitTemperature, trainNetwork, type Dataset } from './mlp';

const VARIANTS: Record<string, number[]> = {
  measures: SHAPE_MEASURES.map((_, i) => i),
  picture: Array.from({ length: DESCRIPTOR_LENGTH - SHAPE_MEASURES.length }, (_, i) => SHAPE_MEASURES.length + i),
  both: Array.from({ length: DESCRIPTOR_LENGTH }, (_, i) => i),
};

function logitsOf(weights: ClassifierWeights, data: Dataset): Float32Array[] {
  const model = loadClassifier(weights);
  return Array.from({ length: data.n }, (_, r) => classifierLogits(model, data.x.subarray(r * data.width, (r + 1) * data.width)));
}

/** Accuracy overall, per true output, and the share of class regions scored above 0.9 and of none regions above 0.3. */
function validate(weights: ClassifierWeights, data: Dataset): { accuracy: number; perOutput: number[]; classAbove09: number; noneAbove03: number } {
  const logits = logitsOf(weights, data);
  const right = new Array<number>(OUTPUTS.length).fill(0);
  const total = new Array<number>(OUTPUTS.length).fill(0);
  let classAbove = 0;
  let classes = 0;
  let noneAbove = 0;
  let nones = 0;
  logits.forEach((l, r) => {
    const p = softmax(l, weights.temperature);
    let best = 0;
    for (let k = 1; k < p.length; k++) if (p[k]! > p[best]!) best = k;
    const label = data.y[r]!;
    total[label]!++;
    if (best === label) right[label]!++;
    const bestClass = Math.max(...Array.from(p.subarray(0, CLASSES.length)));
    if (label < CLASSES.length) {
      classes++;
      if (p[label]! > 0.9) classAbove++;
    } else {
      nones++;
      if (bestClass > 0.3) noneAbove++;
    }
  });
  return {
    accuracy: right.reduce((a, b) => a + b, 0) / data.n,
    perOutput: right.map((r, k) => r / Math.max(1, total[k]!)),
    classAbove09: classAbove / classes,
    noneAbove03: noneAbove / nones,
  };
}

/** Every object the world can draw on 32 and 64 px canvases: each must be its class with p > 0.9. */
function worldCheck(weights: ClassifierWeights): string[] {
  const model = loadClassifier(weights);
  const problems: string[] = [];
  for (const size of [8, 9, 10, 11, 12, 16, 17, 18, 19, 20, 21, 22, 23, 24]) {
    CLASSES.forEach((shape, k) => {
      const p = softmax(classifierLogits(model, describeShape(shapeMask(shape, size, size), size, size)), weights.temperature);
      if (!(p[k]! > 0.9)) problems.push(`${shape} ${size}px: p = ${p[k]!.toFixed(3)}`);
    });
  }
  return problems;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      scenes: { type: 'string' },
      seed: { type: 'string' },
      epochs: { type: 'string' },
      hidden: { type: 'string' },
      variant: { type: 'string' },
      compare: { type: 'boolean' },
      out: { type: 'string' },
    },
  });
  const scenes = Number(values.scenes ?? 12000);
  const seed = Number(values.seed ?? 1);
  const epochs = Number(values.epochs ?? 40);
  const hidden = Number(values.hidden ?? 64);
  const chosen = values.variant ?? 'both';
  const out = values.out ?? 'daemon/geneval/shape-classifier.json';
  const dataOptions = { worldShare: 0.2, noneShare: 0.25, noiseShare: 0.04 };
  const t0 = Date.now();
  const train = labelledRegions({ scenes, seed, ...dataOptions });
  const calibration = labelledRegions({ scenes: Math.round(scenes / 4), seed: seed + 1000, ...dataOptions });
  const validation = labelledRegions({ scenes: Math.round(scenes / 4), seed: seed + 2000, ...dataOptions });
  const countOf = (d: Dataset): string => OUTPUTS.map((o, k) => `${o} ${d.y.filter((y) => y === k).length}`).join(', ');
  process.stderr.write(`data: ${train.n} training regions (${countOf(train)}), ${calibration.n} calibration, ${validation.n} validation; ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);

  const fit = (variant: string): ClassifierWeights => {
    const t = Date.now();
    const weights = trainNetwork(train, {
      inputs: VARIANTS[variant]!,
      hidden,
      epochs,
      batch: 64,
      learningRate: 3e-3,
      weightDecay: 1e-4,
      seed,
      onEpoch: (e, loss) => process.stderr.write(`\r${variant}: epoch ${e + 1}/${epochs} loss ${loss.toFixed(4)}`),
    });
    weights.temperature = fitTemperature(logitsOf(weights, calibration), calibration.y);
    process.stderr.write(` temperature ${weights.temperature}, ${((Date.now() - t) / 1000).toFixed(0)} s\n`);
    return weights;
  };

  const variants = values.compare ? Object.keys(VARIANTS) : [chosen];
  const lines = [
    `Validation: ${validation.n} regions of training-family scenes (seed ${seed + 2000}), ${countOf(validation)}.`,
    '',
    `| inputs | accuracy | ${OUTPUTS.join(' | ')} | classes p > 0.9 | none scored > 0.3 | world objects below 0.9 |`,
    `|---|---|${OUTPUTS.map(() => '---|').join('')}---|---|---|`,
  ];
  let result: ClassifierWeights | undefined;
  for (const variant of variants) {
    const weights = fit(variant);
    const v = validate(weights, validation);
    const pct = (x: number): string => (100 * x).toFixed(1);
    lines.push(`| ${variant} | ${pct(v.accuracy)} | ${v.perOutput.map(pct).join(' | ')} | ${pct(v.classAbove09)} | ${pct(v.noneAbove03)} | ${worldCheck(weights).length} |`);
    if (variant === chosen) result = weights;
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (!result) throw new Error(`unknown variant ${chosen}`);
  const problems = worldCheck(result);
  if (problems.length > 0) process.stderr.write(`world renders below 0.9: ${problems.join('; ')}\n`);
  result.provenance = {
    command: `npx tsx bench/train-detector.ts --scenes ${scenes} --seed ${seed} --epochs ${epochs} --hidden ${hidden} --variant ${chosen}`,
    trainingRegions: train.n,
    variant: chosen,
    data: 'training-family scenes (bench/styles/training-family.ts), 20% of class objects drawn as the world draws them, 25% no class, 4% noise-only images; random noise, speckles, blur, JPEG and 4x upscaling',
  };
  writeFileSync(out, `${JSON.stringify(result)}\n`);
  process.stderr.write(`wrote ${out}\n`);
}

main();
