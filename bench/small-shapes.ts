/**
 * How both detectors read one small object alone on the canvas, by class, size and rasteriser:
 * each class drawn with the world's own inside-test (not a style) at a box of each size, at 100
 * random sub-pixel places, sampled 1, 2 or 4 times a pixel side or 16 x 16 (near the exact
 * coverage). Per row: the share read as its class above the counting threshold (0.9), above the
 * threshold of the other tags (0.3), and the commonest other reading (another class, nothing, or
 * its own class at 0.3 or below). Where the small objects of
 * another program (docs/geneval.md, "A third drawing program") are lost, this says whether the
 * size alone explains it, for each detector.
 *
 *   npx tsx bench/small-shapes.ts [--sizes 6,6.8,7.5,8,9,10,12] [--per 100] [--classes circle,square] [--seed 1] [--weights FILE]
 */
import { parseArgs } from 'node:util';
import { detectByTemplate, type Detection, type Detector } from '../daemon/geneval';
import { COUNTING_THRESHOLD, THRESHOLD } from '../daemon/geneval/rules';
import { Rng } from '../daemon/util/random';
import { CLASSES, type ShapeClass } from '../daemon/world/definition';
import { insideShape } from '../daemon/world/shapes';
import { learnedDetector } from './detector-measure';
import { blankCanvas, drawObjects } from './styles/training-family';

const CANVAS = 32;
const RASTERISERS = [1, 2, 4, 16];

const { values } = parseArgs({
  options: { sizes: { type: 'string', default: '6,6.8,7.5,8,9,10,12' }, per: { type: 'string', default: '100' }, classes: { type: 'string' }, seed: { type: 'string', default: '1' }, weights: { type: 'string' } },
});
const sizes = values.sizes.split(',').map(Number);
const per = Number(values.per);
const classes = (values.classes?.split(',') ?? [...CLASSES]) as ShapeClass[];
for (const c of classes) if (!(CLASSES as readonly string[]).includes(c)) throw new Error(`--classes: "${c}" is not one of ${CLASSES.join(', ')}`);
if (sizes.some((s) => !(s >= 3 && s <= 24)) || !(per >= 1)) throw new Error('--sizes must be pixel sizes from 3 to 24 and --per at least 1');

/** The detection that best covers the object's place (the largest region), or none. */
function reading(detector: Detector, shape: ShapeClass, size: number, samples: number, rng: Rng): Detection | undefined {
  const image = blankCanvas(CANVAS);
  const half = size / 2;
  const side = Math.max(1, Math.round(size));
  drawObjects(image, [{ kind: shape, label: shape, color: 'red', cx: CANVAS / 2 + rng.float() - 0.5, cy: CANVAS / 2 + rng.float() - 0.5, halfX: half, halfY: half, angle: 0, samples, inside: (u, v) => insideShape(shape, u, v, side) }]);
  return detector(image).sort((a, b) => b.area - a.area)[0];
}

const percent = (n: number): string => `${Math.round((100 * n) / per)}%`;
const detectors: [string, Detector][] = [
  ['learned', learnedDetector(values.weights)],
  ['template', detectByTemplate],
];
for (const [name, detector] of detectors) {
  console.log(`\n${name} detector: read as its class above ${COUNTING_THRESHOLD} / above ${THRESHOLD}; the commonest other reading (share)`);
  console.log(`| class | box (px) | ${RASTERISERS.map((n) => (n === 16 ? '16 x 16' : `${n} x ${n}`)).join(' | ')} |`);
  console.log(`|---|---|${RASTERISERS.map(() => '---|').join('')}`);
  for (const shape of classes) {
    for (const size of sizes) {
      const cells = RASTERISERS.map((samples) => {
        // The same places for every detector and rasteriser of a row.
        const rng = new Rng(Number(values.seed) * 1000 + Math.round(size * 10));
        let sure = 0;
        let right = 0;
        const other = new Map<string, number>();
        for (let i = 0; i < per; i++) {
          const d = reading(detector, shape, size, samples, rng);
          if (d?.class === shape && d.score > COUNTING_THRESHOLD) sure++;
          if (d?.class === shape && d.score > THRESHOLD) right++;
          else {
            const what = !d ? 'nothing' : d.class === shape ? `${shape} at ${THRESHOLD} or below` : d.class;
            other.set(what, (other.get(what) ?? 0) + 1);
          }
        }
        const [what, n] = [...other.entries()].sort((a, b) => b[1] - a[1])[0] ?? ['-', 0];
        return `${percent(sure)} / ${percent(right)}${n ? `; ${what} ${percent(n)}` : ''}`;
      });
      console.log(`| ${shape} | ${size} | ${cells.join(' | ')} |`);
    }
  }
}
