/**
 * A look at the filtered family, and a check of its arithmetic: one row per class and size (8, 10,
 * 12), one 16 x 16 tile per colour and random draw, scaled up with hard pixel edges. Before drawing
 * it checks, over many random objects, that the hard-edged bitmap's area is the shape's, that the
 * filter keeps the bitmap's area, that the clamped coverage sums to the shape's area within what
 * the ringing allows, that every ring's hole stays open, that every rendered pixel lies between the
 * background and the object's colour, and that a render is the same from the same rng state; it
 * exits non-zero if any check fails.
 * `npx tsx bench/styles/filtered-sheet.ts --out sheet.png [--scale 6] [--draws 2] [--seed 1]`
 */
import { Rng } from '../../daemon/util/random';
import { BACKGROUND_RGB, CLASSES, COLOR_RGB, COLORS } from '../../daemon/world/definition';
import { objectCoverage, renderFiltered } from './filtered-family';
import { checkReport, drawsAlikeFromOneState, styleSheetMain } from './sheet';

/**
 * The fine bitmap's area against the exact one: with one point sample per fine cell, an edge may
 * move by up to half a cell (1/16 px). That matters most on a cross's thin bars (a 1.6 px bar may
 * lose or gain 1/8 px of width, 8% of it, where the grid lines up with its edges); over 7200 random
 * objects (seeds 1-12) the worst was 4.3% of the area.
 */
const BITMAP_TOLERANCE = 0.06;
/** The filter's reduction against the bitmap's area: Lanczos-3 sums to 1 over shifts only up to ~1e-3. */
const FILTER_TOLERANCE = 0.005;
/**
 * The clamped coverage against the exact area: clamping cuts the overshoot inside an edge (which
 * takes coverage away) and the undershoot outside it (which adds it back); on long straight edges
 * they nearly cancel, but around corners, a cross's thin bars and a ring's thin wall (undershoot in
 * the hole as well as outside) the undershoot wins, so the clamped sum runs up to ~7% over the area.
 * With the bitmap's own error: within 8% of the area either way.
 */
const CLAMPED_TOLERANCE = 0.08;
/** Raw coverage bounds: a step edge rings to about -0.09 and 1.09; thin bars and walls, ringing from both sides, up to ~0.25 past. */
const RAW_RING = 0.3;
/** A ring's hole is open when the coverage at its centre stays under this. */
const HOLE_MAX = 0.5;

/** The numeric checks; returns whether all held, after printing each. */
function checks(seed: number): boolean {
  const { report, held } = checkReport();

  const rng = new Rng(seed);
  let [bitmapWorst, filterWorst, clampedWorst, holeWorst] = [0, 0, 0, 0];
  let [rawMin, rawMax, objects, badPixels, pixels] = [Infinity, -Infinity, 0, 0, 0];
  const clampedByClass: Record<string, number> = {};
  for (let n = 0; n < 100; n++) {
    for (const shape of CLASSES) {
      const size = rng.int(8, 12);
      const color = rng.pick(COLORS);
      // Well inside a 48 px canvas, so nothing is cut off at its edge.
      const x0 = rng.int(8, 48 - 8 - size);
      const y0 = rng.int(8, 48 - 8 - size);
      const obj = { shape, color, center: [x0 + size / 2 + rng.float() * 0.4 - 0.2, y0 + size / 2] as [number, number], size };
      const state = rng.state();
      const cov = objectCoverage(obj, rng);
      let [rawSum, clampedSum] = [0, 0];
      for (const c of cov.raw) {
        rawSum += c;
        clampedSum += Math.min(1, Math.max(0, c));
        rawMin = Math.min(rawMin, c);
        rawMax = Math.max(rawMax, c);
      }
      bitmapWorst = Math.max(bitmapWorst, Math.abs(cov.bitmapArea - cov.area) / cov.area);
      filterWorst = Math.max(filterWorst, Math.abs(rawSum - cov.bitmapArea) / cov.area);
      const clampedErr = Math.abs(clampedSum - cov.area) / cov.area;
      clampedWorst = Math.max(clampedWorst, clampedErr);
      clampedByClass[shape] = Math.max(clampedByClass[shape] ?? 0, clampedErr);
      if (shape === 'ring') {
        // The box's centre lies between four pixels (even sizes) or on one; the largest of those.
        const [bx, by] = [Math.round(obj.center[0] - size / 2), Math.round(obj.center[1] - size / 2)];
        const mid = (v: number): number[] => (size % 2 === 0 ? [v + size / 2 - 1, v + size / 2] : [v + (size - 1) / 2]);
        for (const py of mid(by)) for (const px of mid(bx)) holeWorst = Math.max(holeWorst, cov.raw[(py - cov.y0) * cov.width + (px - cov.x0)]!);
      }
      // The same object rendered alone, from the same rng state: every channel between background and colour.
      const image = renderFiltered({ objects: [obj] }, 48, Rng.fromState(state));
      const rgb = COLOR_RGB[color];
      for (let i = 0; i < image.data.length; i++) {
        const [lo, hi] = [Math.min(BACKGROUND_RGB[i % 3]!, rgb[i % 3]!), Math.max(BACKGROUND_RGB[i % 3]!, rgb[i % 3]!)];
        if (image.data[i]! < lo || image.data[i]! > hi) badPixels++;
        pixels++;
      }
      objects++;
    }
  }
  const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
  report('hard-edged bitmap area', bitmapWorst <= BITMAP_TOLERANCE, `${objects} objects, worst |bitmap - area| ${pct(bitmapWorst)} of area (tolerance ${pct(BITMAP_TOLERANCE)})`);
  report('filter keeps the area', filterWorst <= FILTER_TOLERANCE, `worst |raw sum - bitmap| ${pct(filterWorst)} of area (tolerance ${pct(FILTER_TOLERANCE)})`);
  report(
    'clamped coverage sums to area',
    clampedWorst <= CLAMPED_TOLERANCE,
    `worst |clamped sum - area| ${pct(clampedWorst)} of area (tolerance ${pct(CLAMPED_TOLERANCE)}); per class ${Object.entries(clampedByClass)
      .map(([k, v]) => `${k} ${pct(v)}`)
      .join(', ')}`,
  );
  report('raw coverage rings only a little', rawMin >= -RAW_RING && rawMax <= 1 + RAW_RING, `raw coverage ${rawMin.toFixed(3)} to ${rawMax.toFixed(3)}, clamped to [0, 1] (bound ${-RAW_RING} to ${1 + RAW_RING})`);
  report('ring holes open', holeWorst < HOLE_MAX, `largest coverage at a ring's centre ${holeWorst.toFixed(3)} (must be under ${HOLE_MAX})`);
  report('pixels between background and colour', badPixels === 0, `${badPixels} of ${pixels} channel values outside`);

  report('deterministic', drawsAlikeFromOneState(renderFiltered, seed), 'the same image from the same rng state');
  return held();
}

styleSheetMain(renderFiltered, checks);
