/**
 * Trains the detector's shape classifier and writes daemon/geneval/shape-classifier.json.
 *
 * Data: labelled regions of the training family only (bench/detector-data.ts), four disjoint
 * seeds: one to fit the weights, one to fit the temperature, two to compare the variants (which
 * inputs the network sees: the shape measures, the coarse picture, or both), drawn and degraded. The held-out family
 * is never drawn here.
 *
 * `npx tsx bench/train-detector.ts [--scenes 12000] [--seed 1] [--members 1] [--compare] [--legible] [--triangles-four-ways] [--quarter-turned-crosses-and-diamonds] [--corner-pixel-squares] [--offset-bars] [--small-objects] [--cut-tips] [--blocky-noise] [--turned] [--out FILE] [--cache DIR] [--weights FILE ...]`
 * `--legible` draws the training family with no picture taught for two answers (trainingScene).
 * `--triangles-four-ways` points 40% of its triangles down, left or right (trainingScene).
 * `--quarter-turned-crosses-and-diamonds` turns its crosses and diamonds by any quarter turn (trainingScene):
 * the networks of the detector's second look at crosses and diamonds (crosses-diamonds-classifier.json);
 * `--quarter-turn-share P` turns only that share of them (a quarter, a half or three quarters).
 * `--corner-pixel-squares` rounds half of its squares by 2-2.8 px, enough to cut a small square's corner pixels.
 * `--offset-bars` places half of the crosses' bars (either bar) up to 0.2 of the side off centre, every arm kept.
 * `--small-objects` draws half of the objects at the three smallest sizes of their canvas.
 * `--cut-tips` cuts one tip off half of the diamonds (10-25% of the diagonal), as a touching neighbour takes it.
 * `--blocky-noise` makes a third of the noise-only images blocky (detector-data.ts, blockyNoise).
 * `--turned` describes every region turned heavier end down (quarterTurned): the networks of the
 * detector's second look at triangles (daemon/geneval/turned-classifier.json; detector.ts).
 * `--compare` trains all three variants and prints their validation table before writing the
 * chosen one (`--variant`, default both). `--members K` trains K networks from seeds seed ..
 * seed + K - 1 on the same regions, an ensemble whose probabilities are averaged (classifier.ts).
 * `--weights FILE` (repeatable) trains nothing: it prints the validation table of weights already
 * trained (the committed file, a candidate) on the validation regions these options draw.
 * `--merge --weights A --weights B ... --out FILE` makes one ensemble of their networks (the same
 * recipe trained from several seeds: classifier.ts, mergeClassifiers), refits its temperature on
 * the calibration regions of --seed (drawn with the same family options the networks learned
 * from, or it refuses), and prints its row below theirs.
 * `--cache DIR` keeps the generated regions there (they take minutes to draw) and reuses them when
 * the options that drew them match (scenes, seed, family options, descriptor length), and likewise
 * each trained network; a file made with other options is refused, not overwritten. Delete the
 * folder after changing the code of how the family draws or how the descriptors measure.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { averageProbabilities, classifierLogits, classify, compactWeights, mergeClassifiers, DESCRIPTOR_LENGTH, describeRegion, findRegions, loadClassifier, SUBPIXEL_SIDE, OUTPUTS, SHAPE_MEASURES, type ClassifierWeights, type Region } from '../daemon/geneval';
import { writeFileAtomic } from '../daemon/util/fsx';
import { BACKGROUND_RGB, CLASSES, COLOR_RGB } from '../daemon/world/definition';
import { shapeMask } from '../daemon/world/shapes';
import { labelledRegions } from './detector-data';
import { fitTemperature, trainNetwork, type Dataset } from './mlp';

/**
 * Which drawing of the training family the weights learned from, for the label every learned score
 * carries (classifier.ts, committedClassifierLabel): change it with any change of how the family draws.
 */
const FAMILY_REVISION = 'training family of session 34: ring walls (not broken rings) to 0.15 of the radius';

/** How describeRegion reads a region, for the label every learned score carries: change it with any change of the descriptors. */
const DESCRIPTORS = `describeRegion: each region read from its sub-pixel outline (its coverage interpolated onto about ${SUBPIXEL_SIDE} points a side, taken at one half), since session 20`;
/** The same, for networks that read regions turned (--turned): the detector's second look at triangles. */
const TURNED_DESCRIPTORS = `${DESCRIPTORS}; a lopsided region turned by quarter turns to stand heavier end down, since session 36`;

const VARIANTS: Record<string, number[]> = {
  measures: SHAPE_MEASURES.map((_, i) => i),
  picture: Array.from({ length: DESCRIPTOR_LENGTH - SHAPE_MEASURES.length }, (_, i) => SHAPE_MEASURES.length + i),
  both: Array.from({ length: DESCRIPTOR_LENGTH }, (_, i) => i),
};

/** Per region, each network's logits. */
function logitsOf(weights: ClassifierWeights, data: Dataset): Float32Array[][] {
  const model = loadClassifier(weights);
  return Array.from({ length: data.n }, (_, r) => classifierLogits(model, data.x.subarray(r * data.width, (r + 1) * data.width)));
}

/** Accuracy overall and per true output; the share of class regions scored above 0.9 and of none regions above 0.3. */
function validate(weights: ClassifierWeights, data: Dataset): { accuracy: number; perOutput: number[]; classAbove09: number; noneAbove03: number } {
  const logits = logitsOf(weights, data);
  const right = new Array<number>(OUTPUTS.length).fill(0);
  const total = new Array<number>(OUTPUTS.length).fill(0);
  let classAbove = 0;
  let noneAbove = 0;
  logits.forEach((l, r) => {
    const p = averageProbabilities(l, weights.temperature);
    let best = 0;
    for (let k = 1; k < p.length; k++) if (p[k]! > p[best]!) best = k;
    const label = data.y[r]!;
    total[label]!++;
    if (best === label) right[label]!++;
    if (label < CLASSES.length && p[label]! > 0.9) classAbove++;
    if (label === CLASSES.length && Math.max(...Array.from(p.subarray(0, CLASSES.length))) > 0.3) noneAbove++;
  });
  const classes = total.slice(0, CLASSES.length).reduce((a, b) => a + b, 0);
  return {
    accuracy: right.reduce((a, b) => a + b, 0) / data.n,
    perOutput: right.map((r, k) => r / Math.max(1, total[k]!)),
    classAbove09: classAbove / classes,
    noneAbove03: noneAbove / total[CLASSES.length]!,
  };
}

/** A hard-edged mask drawn in one palette colour on the background, found as the detector finds it. */
function regionOf(mask: Uint8Array, size: number): Region {
  const side = size + 8;
  const image = { width: side, height: side, data: new Uint8Array(side * side * 3) };
  for (let i = 0; i < side * side; i++) {
    const x = (i % side) - 4;
    const y = Math.floor(i / side) - 4;
    const on = x >= 0 && y >= 0 && x < size && y < size && mask[y * size + x] === 1;
    image.data.set(on ? COLOR_RGB.red : BACKGROUND_RGB, i * 3);
  }
  return findRegions(image)[0]!;
}

/** Every object the world can draw on 32 and 64 px canvases: each must be its class with p > 0.9. */
function worldCheck(weights: ClassifierWeights): string[] {
  const model = loadClassifier(weights);
  const problems: string[] = [];
  for (const size of [8, 9, 10, 11, 12, 16, 17, 18, 19, 20, 21, 22, 23, 24]) {
    CLASSES.forEach((shape, k) => {
      const p = classify(model, describeRegion(regionOf(shapeMask(shape, size, size), size)));
      if (!(p[k]! > 0.9)) problems.push(`${shape} ${size}px: p = ${p[k]!.toFixed(3)}`);
    });
  }
  return problems;
}

/** The options the cached regions of that name were drawn with (undefined without a cache). */
function readKey(cache: string | undefined, name: string): string | undefined {
  const file = cache ? join(cache, `${name}.bin.json`) : undefined;
  return file && existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/**
 * A cache file's key must be these options': one drawn with other options (another family, scene
 * count or seed) is refused, never overwritten, so a run with a forgotten option cannot silently
 * replace another run's regions or networks (and fit a temperature on the wrong family).
 */
function checkCacheKey(file: string, key: string): void {
  const held = existsSync(`${file}.json`) ? `${file}.json` : `${file}.key`;
  if (!existsSync(held)) return;
  const old = readFileSync(held, 'utf8');
  if (old !== key) throw new Error(`--cache: ${file} was made with other options (${old}), not these (${key}): give another --cache folder, or the options it was made with`);
}

/** Labelled regions, from the cache folder when it holds them for the same options. */
function cachedRegions(cache: string | undefined, name: string, options: Parameters<typeof labelledRegions>[0]): Dataset {
  const key = JSON.stringify({ ...options, width: DESCRIPTOR_LENGTH });
  const file = cache ? join(cache, `${name}.bin`) : undefined;
  if (file) checkCacheKey(file, key);
  if (file && existsSync(file) && existsSync(`${file}.json`)) {
    const bytes = readFileSync(file);
    const n = bytes.readUInt32LE(0);
    const x = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 4, bytes.byteOffset + 4 + n * DESCRIPTOR_LENGTH * 4));
    const y = new Int32Array(bytes.buffer.slice(bytes.byteOffset + 4 + n * DESCRIPTOR_LENGTH * 4, bytes.byteOffset + 4 + n * (DESCRIPTOR_LENGTH + 1) * 4));
    return { x, y, weight: new Float32Array(n).fill(1), n, width: DESCRIPTOR_LENGTH };
  }
  const data = labelledRegions(options);
  if (file && cache) {
    mkdirSync(cache, { recursive: true });
    const header = Buffer.alloc(4);
    header.writeUInt32LE(data.n, 0);
    writeFileAtomic(file, Buffer.concat([header, Buffer.from(data.x.buffer, data.x.byteOffset, data.x.byteLength), Buffer.from(data.y.buffer, data.y.byteOffset, data.y.byteLength)]));
    writeFileAtomic(`${file}.json`, key);
  }
  return data;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      scenes: { type: 'string' },
      seed: { type: 'string' },
      members: { type: 'string' },
      epochs: { type: 'string' },
      hidden: { type: 'string' },
      'weight-decay': { type: 'string' },
      variant: { type: 'string' },
      legible: { type: 'boolean' },
      'triangles-four-ways': { type: 'boolean' },
      'blocky-noise': { type: 'boolean' },
      turned: { type: 'boolean' },
      'quarter-turned-crosses-and-diamonds': { type: 'boolean' },
      'quarter-turn-share': { type: 'string' },
      'corner-pixel-squares': { type: 'boolean' },
      'offset-bars': { type: 'boolean' },
      'small-objects': { type: 'boolean' },
      'cut-tips': { type: 'boolean' },
      compare: { type: 'boolean' },
      merge: { type: 'boolean' },
      out: { type: 'string' },
      cache: { type: 'string' },
      weights: { type: 'string', multiple: true },
    },
  });
  const scenes = Number(values.scenes ?? 12000);
  const seed = Number(values.seed ?? 1);
  // Networks in the ensemble: all learn from the same regions; member m starts from seed + m
  // (initialisation and batch order), so member 0 is the single network of --members 1.
  const members = Number(values.members ?? 1);
  const epochs = Number(values.epochs ?? 40);
  const hidden = Number(values.hidden ?? 64);
  const weightDecay = Number(values['weight-decay'] ?? 1e-3);
  const chosen = values.variant ?? 'both';
  const out = values.out ?? 'daemon/geneval/shape-classifier.json';
  const fourWays = values['triangles-four-ways'] === true;
  const blocky = values['blocky-noise'] === true;
  const turned = values.turned === true;
  const quarterTurned = values['quarter-turned-crosses-and-diamonds'] === true;
  const cornerPixel = values['corner-pixel-squares'] === true;
  const offsetBars = values['offset-bars'] === true;
  const smallObjects = values['small-objects'] === true;
  const cutTips = values['cut-tips'] === true;
  const turnShare = values['quarter-turn-share'] === undefined ? undefined : Number(values['quarter-turn-share']);
  if (turnShare !== undefined && (!quarterTurned || !(turnShare >= 0 && turnShare <= 1))) throw new Error('--quarter-turn-share: give a share from 0 to 1, with --quarter-turned-crosses-and-diamonds');
  const descriptors = turned ? TURNED_DESCRIPTORS : DESCRIPTORS;
  // Options a default run leaves out, so the regions' cache keys of the default family stay as they were.
  const dataOptions = { worldShare: 0.3, noneShare: 0.25, noiseShare: 0.04, ...(values.legible ? { legible: true } : {}), ...(fourWays ? { trianglesFourWays: true } : {}), ...(blocky ? { blockyNoise: true } : {}), ...(turned ? { turned: true } : {}), ...(quarterTurned ? { quarterTurnedCrossesAndDiamonds: true } : {}), ...(turnShare === undefined ? {} : { quarterTurnShare: turnShare }), ...(cornerPixel ? { cornerPixelSquares: true } : {}), ...(offsetBars ? { offsetBars: true } : {}), ...(smallObjects ? { smallObjects: true } : {}), ...(cutTips ? { cutTips: true } : {}) };
  // How the options change the family's drawing, named once for the weights' family label (which
  // a merge checks) and their data note.
  const drawingOptions = [...(values.legible ? ['no picture drawn for two answers'] : []), ...(fourWays ? ['40% of triangles pointing down, left or right'] : []), ...(blocky ? ['a third of noise-only images blocky (2-3 px cells of palette colours)'] : []), ...(quarterTurned ? [turnShare === undefined ? 'crosses and diamonds at any quarter turn' : `crosses and diamonds turned a quarter, a half or three quarters in ${turnShare} of them`] : []), ...(cornerPixel ? ['half of the squares rounded by 2-2.8 px (a small one loses its corner pixels)'] : []), ...(offsetBars ? ["half of the crosses' bars up to 0.2 of the side off centre (every arm at least 0.15 of the side)"] : []), ...(smallObjects ? ['half of the objects at the three smallest sizes'] : []), ...(cutTips ? ['one tip cut off half of the diamonds (10-25% of the diagonal)'] : [])];
  const family = [FAMILY_REVISION, ...drawingOptions].join('; ');
  const files = (values.weights ?? []).map((file) => JSON.parse(readFileSync(file, 'utf8')) as ClassifierWeights);
  // A merge fits its temperature on the family these options draw: it must be the one the
  // networks learned from (a file older than the family field learned from this trainer's).
  // Checked before any region is drawn.
  if (values.merge) {
    files.forEach((f, k) => {
      const learned = typeof f.provenance['family'] === 'string' ? f.provenance['family'] : FAMILY_REVISION;
      if (learned !== family) throw new Error(`--merge: ${values.weights![k]} learned from "${learned}", but these options draw "${family}": give the options it was trained with (--triangles-four-ways, --quarter-turned-crosses-and-diamonds, --corner-pixel-squares, --offset-bars, --small-objects, --cut-tips, --legible, --blocky-noise)`);
      // Networks must read regions as this code describes them for these options: turned ones and
      // ones read as drawn cannot vote together, nor networks of older descriptors.
      const read = f.provenance['descriptors'];
      if (typeof read === 'string' && read !== descriptors) {
        const hint = read === TURNED_DESCRIPTORS ? 'give --turned' : read === DESCRIPTORS ? 'leave out --turned' : 'retrain it with this code';
        throw new Error(`--merge: ${values.weights![k]} reads regions as "${read}", these options as "${descriptors}": ${hint}`);
      }
    });
  }
  const t0 = Date.now();
  // Weights learn from drawn and degraded scenes alike; the temperature is fitted on drawn scenes
  // only (GenEval scores images a program drew: a model's decoded tokens or another renderer's),
  // so a confidence means what it says there; under noise, blur and JPEG it is measured, not fitted.
  const validation = cachedRegions(values.cache, 'validation', { scenes: Math.round(scenes / 4), seed: seed + 2000, degradedShare: 0, ...dataOptions });
  const degradedValidation = cachedRegions(values.cache, 'validation-degraded', { scenes: Math.round(scenes / 4), seed: seed + 3000, degradedShare: 1, ...dataOptions });
  const countOf = (d: Dataset): string => OUTPUTS.map((o, k) => `${o} ${d.y.filter((y) => y === k).length}`).join(', ');
  const lines = [
    `Validation: training-family regions the weights and temperature never saw: ${validation.n} from drawn scenes (seed ${seed + 2000}; ${countOf(validation)}) and ${degradedValidation.n} from degraded ones (seed ${seed + 3000}).`,
    'Accuracy per true output on the drawn and on the degraded scenes; classes p > 0.9: class regions whose own class scores above the counting threshold; none > 0.3: "none" regions that some class scores above 0.3; world: objects of the world (sizes 8-12 and 16-24 px) scored 0.9 or less.',
    '',
    `| inputs | drawn: accuracy | ${OUTPUTS.join(' | ')} | classes p > 0.9 | none > 0.3 | degraded: accuracy | ${OUTPUTS.join(' | ')} | classes p > 0.9 | none > 0.3 | world below 0.9 | temperature |`,
    `|---|---|${OUTPUTS.map(() => '---|').join('')}---|---|---|${OUTPUTS.map(() => '---|').join('')}---|---|---|---|`,
  ];
  const pct = (x: number): string => (100 * x).toFixed(1);
  const row = (name: string, weights: ClassifierWeights): string => {
    const v = validate(weights, validation);
    const d = validate(weights, degradedValidation);
    return `| ${name} | ${pct(v.accuracy)} | ${v.perOutput.map(pct).join(' | ')} | ${pct(v.classAbove09)} | ${pct(v.noneAbove03)} | ${pct(d.accuracy)} | ${d.perOutput.map(pct).join(' | ')} | ${pct(d.classAbove09)} | ${pct(d.noneAbove03)} | ${worldCheck(weights).length} | ${weights.temperature} |`;
  };
  // Drawn (or read from the cache) once, when a temperature is first fitted.
  let calibrationData: Dataset | undefined;
  const calibrationRegions = (): Dataset => (calibrationData ??= cachedRegions(values.cache, 'calibration', { scenes: Math.round(scenes / 4), seed: seed + 1000, degradedShare: 0, ...dataOptions }));
  const calibrate = (weights: ClassifierWeights): ClassifierWeights => {
    const calibration = calibrationRegions();
    weights.temperature = fitTemperature(logitsOf(weights, calibration), calibration.y);
    process.stderr.write(`${weights.networks.length} network(s): temperature ${weights.temperature}\n`);
    return weights;
  };
  // The weights file is written whole or not at all, after the world check has had its say.
  const save = (weights: ClassifierWeights, file: string): void => {
    const problems = worldCheck(weights);
    if (problems.length > 0) process.stderr.write(`world renders below 0.9: ${problems.join('; ')}\n`);
    writeFileAtomic(file, `${JSON.stringify(compactWeights(weights))}\n`);
    process.stderr.write(`wrote ${file}\n`);
  };
  // --weights: the table for weights already trained (the committed ones, a candidate), on this
  // family's validation regions, without training; with --merge, and their networks as one ensemble.
  if (values.weights) {
    files.forEach((weights, k) => lines.push(row(values.weights![k]!, weights)));
    if (values.merge) {
      if (files.length < 2 || !values.out) throw new Error('--merge needs two --weights files or more and --out');
      const merged = mergeClassifiers(files, {
        merged: files.map((f) => f.provenance),
        command: `npx tsx bench/train-detector.ts --scenes ${scenes} --seed ${seed} --merge ${values.weights.map((f) => `--weights ${f}`).join(' ')}`,
        // How this code describes regions, which the merged file is read with.
        descriptors,
        // Every network learned from the family these options draw (checked before drawing).
        family,
      });
      lines.push(row(`${merged.networks.length} networks merged`, calibrate(merged)));
      save(merged, values.out);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return;
  }
  const train = cachedRegions(values.cache, 'train', { scenes, seed, degradedShare: 0.55, ...dataOptions });
  process.stderr.write(`data: ${train.n} training regions (${countOf(train)}), ${calibrationRegions().n} calibration, ${validation.n} + ${degradedValidation.n} validation; ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);

  const train1 = (variant: string, member: number): ClassifierWeights => {
    const options = { inputs: VARIANTS[variant]!, hidden, epochs, batch: 64, learningRate: 3e-3, weightDecay, seed: seed + member };
    // Training is deterministic (seeded order, fixed arithmetic), so a network trained before on
    // the same regions with the same options is reused from the cache folder rather than retrained.
    const key = JSON.stringify({ data: readKey(values.cache, 'train'), variant, ...options, inputs: undefined });
    const file = values.cache ? join(values.cache, `network-${variant}-${seed + member}.json`) : undefined;
    if (file) checkCacheKey(file, key);
    if (file && existsSync(file) && existsSync(`${file}.key`)) return JSON.parse(readFileSync(file, 'utf8')) as ClassifierWeights;
    const t = Date.now();
    const weights = trainNetwork(train, {
      ...options,
      onEpoch: (e, loss) => process.stderr.write(`\r${variant} ${member + 1}/${members}: epoch ${e + 1}/${epochs} loss ${loss.toFixed(4)}`),
    });
    process.stderr.write(` ${((Date.now() - t) / 1000).toFixed(0)} s\n`);
    if (file) {
      writeFileAtomic(file, JSON.stringify(weights));
      writeFileAtomic(`${file}.key`, key);
    }
    return weights;
  };
  // The members, each alone (with its own temperature) for the record, then together: they share
  // the inputs' standardisation, which comes from the same training data.
  const fit = (variant: string): { ensemble: ClassifierWeights; alone: ClassifierWeights[] } => {
    const alone = Array.from({ length: members }, (_, m) => calibrate(train1(variant, m)));
    const ensemble = calibrate({ ...alone[0]!, networks: alone.flatMap((w) => w.networks) });
    return { ensemble, alone: members > 1 ? alone : [] };
  };

  const variants = values.compare ? Object.keys(VARIANTS) : [chosen];
  let result: ClassifierWeights | undefined;
  for (const variant of variants) {
    const { ensemble, alone } = fit(variant);
    alone.forEach((w, m) => lines.push(row(`${variant}, network ${m + 1} alone`, w)));
    lines.push(row(members > 1 ? `${variant}, ${members} networks` : variant, ensemble));
    if (variant === chosen) result = ensemble;
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (!result) throw new Error(`unknown variant ${chosen}`);
  result.provenance = {
    command: `npx tsx bench/train-detector.ts --scenes ${scenes} --seed ${seed} --members ${members} --epochs ${epochs} --hidden ${hidden} --weight-decay ${weightDecay} --variant ${chosen}${values.legible ? ' --legible' : ''}${fourWays ? ' --triangles-four-ways' : ''}${blocky ? ' --blocky-noise' : ''}${turned ? ' --turned' : ''}${quarterTurned ? ' --quarter-turned-crosses-and-diamonds' : ''}${turnShare === undefined ? '' : ` --quarter-turn-share ${turnShare}`}${cornerPixel ? ' --corner-pixel-squares' : ''}${offsetBars ? ' --offset-bars' : ''}${smallObjects ? ' --small-objects' : ''}${cutTips ? ' --cut-tips' : ''}`,
    trainingRegions: train.n,
    variant: chosen,
    descriptors,
    family,
    data: `training-family scenes (bench/styles/training-family.ts), 30% of class objects drawn as the world draws them, 25% no class, 4% noise-only images${drawingOptions.map((d) => `, ${d}`).join('')}; random noise, speckles, blur, JPEG and 4x upscaling`,
  };
  save(result, out);
}

main();
