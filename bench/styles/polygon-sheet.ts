/**
 * A look at the polygon family, and a check of its coverage arithmetic: one row per class and size
 * (8, 10, 12), one 16 x 16 tile per colour and random draw, scaled up with hard pixel edges. Before
 * drawing it checks that the coverage of a pixel-aligned 20 px square sums to its area, that every
 * pixel's coverage of many random objects lies in [0, 1] and sums to the object's polygon area, and
 * that a render is the same from the same rng state; it exits non-zero if any check fails.
 * `npx tsx bench/styles/polygon-sheet.ts --out sheet.png [--scale 6] [--draws 2] [--seed 1]`
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { encodePng } from '../../daemon/util/png';
import { Rng } from '../../daemon/util/random';
import { CLASSES, COLORS } from '../../daemon/world/definition';
import type { RgbImage } from '../../daemon/world/render';
import { objectParts, partsArea, partsPixelBounds, pixelCoverage, renderPolygon, type PolygonPart } from './polygon-family';
import { paste, scaleUp } from './sheet';

const TILE = 16;
const SIZES = [8, 10, 12];
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
  let ok = true;
  const report = (name: string, pass: boolean, detail: string): void => {
    console.log(`${pass ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
    ok &&= pass;
  };

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

  // The same rng state draws the same image.
  const scene = { objects: CLASSES.map((shape, k) => ({ shape, color: COLORS[k]!, center: [6 + (k % 3) * 10, 6 + Math.floor(k / 3) * 16] as [number, number], size: 8 + (k % 3) * 2 })) };
  const a = renderPolygon(scene, 32, new Rng(seed));
  const b = renderPolygon(scene, 32, new Rng(seed));
  report('deterministic', a.data.every((v, i) => v === b.data[i]), `${a.data.length} bytes compared`);
  return ok;
}

function main(): void {
  const { values } = parseArgs({ options: { out: { type: 'string' }, scale: { type: 'string' }, draws: { type: 'string' }, seed: { type: 'string' } } });
  const seed = Number(values.seed ?? 1);
  const draws = Number(values.draws ?? 2);
  const ok = checks(seed);

  // Rows: class x size; columns: colour x draw, each tile its own random draw of the object.
  const rng = new Rng(seed + 1);
  const gap = 1;
  const cols = COLORS.length * draws;
  const rows = CLASSES.length * SIZES.length;
  const sheet: RgbImage = { width: cols * (TILE + gap), height: rows * (TILE + gap), data: new Uint8Array(cols * (TILE + gap) * rows * (TILE + gap) * 3).fill(40) };
  CLASSES.forEach((shape, s) =>
    SIZES.forEach((size, z) => {
      for (let d = 0; d < draws; d++) {
        COLORS.forEach((color, c) => {
          const tile = renderPolygon({ objects: [{ shape, color, center: [TILE / 2, TILE / 2], size }] }, TILE, rng);
          paste(sheet, tile, (d * COLORS.length + c) * (TILE + gap), (s * SIZES.length + z) * (TILE + gap));
        });
      }
    }),
  );
  writeFileSync(values.out ?? 'sheet.png', encodePng(scaleUp(sheet, Number(values.scale ?? 6))));
  if (!ok) process.exitCode = 1;
}

main();
