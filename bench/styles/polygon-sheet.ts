/**
 * A look at the polygon family, and a check of its coverage arithmetic: one row per class and size
 * (8, 10, 12), one 16 x 16 tile per colour and random draw, scaled up with hard pixel edges. Before
 * drawing it checks that the coverage of a pixel-aligned 20 px square sums to its area, that every
 * pixel's coverage of many random objects lies in [0, 1] and sums to the object's polygon area, and
 * that a render is the same from the same rng state; it exits non-zero if any check fails.
 * `npx tsx bench/styles/polygon-sheet.ts --out sheet.png [--scale 6] [--draws 2] [--seed 1]`
 */
import { Rng } from '../../daemon/util/random';
import { CLASSES } from '../../daemon/world/definition';
import { objectParts, partsArea, partsPixelBounds, pixelCoverage, renderPolygon, type PolygonPart } from './polygon-family';
import { checkReport, drawsAlikeFromOneState, styleSheetMain } from './sheet';

const TOLERANCE = 1e-6;

/** Every pixel's raw coverage over the parts' bounds: the sum, and the smallest and largest. */
function coverageStats(parts: PolygonPart[], canvas: number): { sum: number; min: number; max: number } {
  const [x0, y0, x1, y1] = partsPixelBounds(parts, canvas);
  let [sum, min, max] = [0, Infinity, -Infinity];
  for (let py = y0; py < y1; py++) {
    for (let px = x0; px < x1; px++) {
      const c = pixelCoverage(parts, px, py);
      sum += c;
      min = Math.min(min, c);
      max = Math.max(max, c);
    }
  }
  return { sum, min, max };
}

/** The numeric checks; returns whether all held, after printing each. */
function checks(seed: number): boolean {
  const { report, held } = checkReport();

  // A 20 px square on the pixel grid: 400 px of area, and every pixel fully in or out.
  const square: PolygonPart[] = [{ hole: false, points: [[5, 5], [25, 5], [25, 25], [5, 25]] }];
  const sq = coverageStats(square, 32);
  report('aligned 20 px square', Math.abs(sq.sum - 400) < TOLERANCE && sq.min === 1 && sq.max === 1, `sum ${sq.sum} (area 400), coverage ${sq.min}-${sq.max}`);

  // Many random objects, well inside a 48 px canvas so nothing is cut off at its edge.
  const rng = new Rng(seed);
  let [worstSum, min, max, objects] = [0, Infinity, -Infinity, 0];
  for (let n = 0; n < 100; n++) {
    for (const shape of CLASSES) {
      const size = rng.int(8, 12);
      const x0 = rng.int(8, 48 - 8 - size);
      const y0 = rng.int(8, 48 - 8 - size);
      const parts = objectParts({ shape, color: 'red', center: [x0 + size / 2 + rng.float() * 0.4 - 0.2, y0 + size / 2], size }, rng);
      const stats = coverageStats(parts, 48);
      worstSum = Math.max(worstSum, Math.abs(stats.sum - partsArea(parts)));
      min = Math.min(min, stats.min);
      max = Math.max(max, stats.max);
      objects++;
    }
  }
  report('random objects: coverage sums to area', worstSum < TOLERANCE, `${objects} objects, worst |sum - area| ${worstSum.toExponential(2)}`);
  report('random objects: coverage in [0, 1]', min >= -TOLERANCE && max <= 1 + TOLERANCE, `raw coverage ${min} to ${max}`);

  report('deterministic', drawsAlikeFromOneState(renderPolygon, seed), 'the same image from the same rng state');
  return held();
}

styleSheetMain(renderPolygon, checks);
