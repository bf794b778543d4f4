/**
 * Self-check and contact sheet of the "vector" family (bench/styles/vector-family.ts).
 *
 *   npx tsx bench/styles/vector-sheet.ts --out sheet.png [--scale 6] [--draws 2] [--seed 1]
 *
 * Checks, on scenes sampled from the default prompt set and on single objects of every class, on
 * 32 px and 64 px canvases (exit 1 with the first failures listed):
 *   - box:          every non-background pixel lies in exactly one object's box grown by 1 px;
 *   - not clipped:  each path's extent lies within its box grown by 0.5 px, and the path covers no
 *                   sample of the pixels just outside the grown box (so the raster's clip to the
 *                   grown box never cuts a shape);
 *   - blend:        every such pixel is a blend of the background and that object's colour (within 1 per channel);
 *   - visible:      each object's summed coverage is at least 12% of its box area;
 *   - ring hole:    the pixel at a ring's centre is exactly background, and the background region
 *                   around it (4-connected) stays inside the grown box (the hole is open and enclosed);
 *   - cross arms:   the cross's pixels (coverage >= 1/2) reach all four sides of their bounding box
 *                   with narrow arm tips (at most 60% of that side) and leave the four corners
 *                   (12% of the box a side) empty, so it is four arms and not a block;
 *   - determinism:  the same rng state gives the same image and leaves the rng in the same state.
 *
 * Sheet: the shared style sheet (sheet.ts, styleSheetMain): one row per class and size, one tile per
 * colour and draw.
 */
import { readFileSync } from 'node:fs';
import { defaultPromptSet } from '../../daemon/util/paths';
import { Rng } from '../../daemon/util/random';
import {
  BACKGROUND_RGB,
  CLASSES,
  COLOR_RGB,
  COLORS,
  objectBox,
  parseMetadataLines,
  sampleScene,
  sizeRange,
  type Metadata,
  type RgbImage,
  type Scene,
  type ShapeClass,
} from '../../daemon/world';
import { backgroundBlend, checkReport, isBackground, styleSheetMain } from './sheet';
import { layoutVector, pixelCoverage, rasteriseVector, renderVector, type VectorObject } from './vector-family';

const failures: string[] = [];
const fail = (msg: string): void => {
  failures.push(msg);
};
const counts = { images: 0, objects: 0, pixels: 0, rings: 0, crosses: 0 };

/** Alpha of pixel i as a blend of background and rgb (clamped), or undefined when a channel is more than 1 off that blend. */
function blendAlpha(img: RgbImage, i: number, rgb: readonly number[]): number | undefined {
  const a = Math.max(0, Math.min(1, backgroundBlend(img, i, rgb).alpha));
  for (let k = 0; k < 3; k++) {
    const want = (BACKGROUND_RGB[k] as number) + a * ((rgb[k] as number) - (BACKGROUND_RGB[k] as number));
    if (Math.abs(want - (img.data[i * 3 + k] as number)) > 1.01) return undefined;
  }
  return a;
}

const inGrown = (box: readonly number[], x: number, y: number): boolean =>
  x >= (box[0] as number) - 1 && x <= (box[2] as number) && y >= (box[1] as number) - 1 && y <= (box[3] as number);

function checkImage(img: RgbImage, objs: readonly VectorObject[], label: string): void {
  const n = img.width;
  const alpha = objs.map(() => new Float64Array(n * n));
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const i = y * n + x;
      if (isBackground(img, i)) continue;
      counts.pixels++;
      const owners = objs.map((o, k) => (inGrown(o.box, x, y) ? k : -1)).filter((k) => k >= 0);
      if (owners.length !== 1) {
        fail(`${label}: pixel (${x}, ${y}) is coloured but lies in ${owners.length} grown boxes`);
        continue;
      }
      const k = owners[0] as number;
      const obj = objs[k] as VectorObject;
      const a = blendAlpha(img, i, COLOR_RGB[obj.color]);
      if (a === undefined) {
        fail(`${label}: pixel (${x}, ${y}) = ${[...img.data.subarray(i * 3, i * 3 + 3)].join(',')} is no blend of the background and ${obj.color}`);
        continue;
      }
      (alpha[k] as Float64Array)[i] = a;
    }
  }
  objs.forEach((obj, k) => {
    counts.objects++;
    const a = alpha[k] as Float64Array;
    const s = obj.box[2] - obj.box[0];
    const where = `${label}: ${obj.color} ${obj.shape} box [${obj.box.join(', ')}]`;
    let ink = 0;
    for (const v of a) ink += v;
    if (ink < 0.12 * s * s) fail(`${where}: barely visible (coverage sum ${ink.toFixed(1)} px)`);
    checkNotClipped(obj, where);
    if (obj.shape === 'ring') checkRing(img, obj, where);
    if (obj.shape === 'cross') checkCross(a, n, obj, where);
  });
}

function checkNotClipped(obj: VectorObject, where: string): void {
  const [bx0, by0, bx1, by1] = obj.box;
  const [ex0, ey0, ex1, ey1] = obj.extent;
  const eps = 1e-9;
  if (ex0 < bx0 - 0.5 - eps || ey0 < by0 - 0.5 - eps || ex1 > bx1 + 0.5 + eps || ey1 > by1 + 0.5 + eps) {
    fail(`${where}: path extent [${obj.extent.map((v) => v.toFixed(2)).join(', ')}] leaves the box grown by 0.5 px`);
  }
  // the ring of pixels just outside the grown box: x in [bx0 - 2, bx1 + 1], y likewise
  for (let y = by0 - 2; y <= by1 + 1; y++) {
    for (let x = bx0 - 2; x <= bx1 + 1; x++) {
      if (x > bx0 - 2 && x < bx1 + 1 && y > by0 - 2 && y < by1 + 1) continue;
      if (pixelCoverage(obj, x, y) > 0) {
        fail(`${where}: the path covers pixel (${x}, ${y}) outside the box grown by 1 px`);
        return;
      }
    }
  }
}

function checkRing(img: RgbImage, obj: VectorObject, where: string): void {
  counts.rings++;
  const n = img.width;
  const cx = Math.floor(obj.centre[0]);
  const cy = Math.floor(obj.centre[1]);
  if (cx < 0 || cy < 0 || cx >= n || cy >= n || !isBackground(img, cy * n + cx)) {
    fail(`${where}: hole not open (pixel (${cx}, ${cy}) at the centre is not background)`);
    return;
  }
  const seen = new Uint8Array(n * n);
  const stack = [cy * n + cx];
  seen[cy * n + cx] = 1;
  while (stack.length > 0) {
    const i = stack.pop() as number;
    const x = i % n;
    const y = (i - x) / n;
    if (!inGrown(obj.box, x, y) || x === 0 || y === 0 || x === n - 1 || y === n - 1) {
      // a hole that reaches the canvas edge can only be one cut by the edge: the box is on the canvas
      fail(`${where}: hole not enclosed (background from the centre reaches (${x}, ${y}))`);
      return;
    }
    for (const j of [i - 1, i + 1, i - n, i + n]) {
      if (seen[j] || !isBackground(img, j)) continue;
      seen[j] = 1;
      stack.push(j);
    }
  }
}

function checkCross(a: Float64Array, n: number, obj: VectorObject, where: string): void {
  counts.crosses++;
  let x0 = n;
  let y0 = n;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      if ((a[y * n + x] as number) < 0.5) continue;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
  }
  if (x1 < 0) {
    fail(`${where}: no solid pixels`);
    return;
  }
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const span = (cells: [number, number][]): number => {
    const solid = cells.filter(([x, y]) => (a[y * n + x] as number) >= 0.5).map(([x, y]) => (y === y0 || y === y1 ? x : y));
    return solid.length === 0 ? 0 : Math.max(...solid) - Math.min(...solid) + 1;
  };
  const row = (y: number): [number, number][] => Array.from({ length: w }, (_, k): [number, number] => [x0 + k, y]);
  const col = (x: number): [number, number][] => Array.from({ length: h }, (_, k): [number, number] => [x, y0 + k]);
  const tips = { top: span(row(y0)) / w, bottom: span(row(y1)) / w, left: span(col(x0)) / h, right: span(col(x1)) / h };
  for (const [side, frac] of Object.entries(tips)) {
    if (frac > 0.6) fail(`${where}: ${side} arm tip spans ${(frac * 100).toFixed(0)}% of the side (a block, not an arm)`);
  }
  const c = Math.max(1, Math.floor(0.12 * (obj.box[2] - obj.box[0])));
  for (const [cxs, cys] of [
    [x0, y0],
    [x1 - c + 1, y0],
    [x0, y1 - c + 1],
    [x1 - c + 1, y1 - c + 1],
  ] as [number, number][]) {
    for (let y = cys; y < cys + c; y++) {
      for (let x = cxs; x < cxs + c; x++) {
        if ((a[y * n + x] as number) >= 0.5) {
          fail(`${where}: corner region at (${cxs}, ${cys}) is filled (arms merge)`);
          return;
        }
      }
    }
  }
}

/** Renders a scene, checks determinism and the layout/raster agreement, runs the pixel checks. */
function drawChecked(scene: Scene, canvas: number, rng: Rng, label: string): RgbImage {
  counts.images++;
  const state = rng.state();
  const img = renderVector(scene, canvas, rng);
  const again = Rng.fromState(state);
  const img2 = renderVector(scene, canvas, again);
  if (!img.data.every((v, i) => v === img2.data[i])) fail(`${label}: same rng state gave a different image`);
  if (rng.state().join() !== again.state().join()) fail(`${label}: same rng state left the rng in different states`);
  const objs = layoutVector(scene, Rng.fromState(state));
  const img3 = rasteriseVector(objs, canvas);
  if (!img.data.every((v, i) => v === img3.data[i])) fail(`${label}: layout and render disagree`);
  checkImage(img, objs, label);
  return img;
}

function singleObject(shape: ShapeClass, canvas: number, rng: Rng): Scene {
  const { min, max } = sizeRange({ canvas });
  const size = rng.int(min, max);
  const x0 = rng.int(2, canvas - size - 2);
  const y0 = rng.int(2, canvas - size - 2);
  const scene: Scene = { objects: [{ shape, color: rng.pick(COLORS), center: [x0 + size / 2, y0 + size / 2], size }] };
  const box = objectBox(scene.objects[0]!);
  if (box[0] !== x0 || box[1] !== y0) throw new Error('objectBox disagrees with the tile layout');
  return scene;
}

/** The program's own checks (above) on single objects and on scenes of the default prompt set. */
function checks(seed: number): boolean {
  const metas: Metadata[] = parseMetadataLines(readFileSync(defaultPromptSet(), 'utf8'), defaultPromptSet());
  const sceneRng = new Rng(seed);
  const drawRng = new Rng(seed + 1);
  // 40 single objects per class and canvas.
  for (const shape of CLASSES) {
    for (const canvas of [32, 64]) {
      for (let t = 0; t < 40; t++) drawChecked(singleObject(shape, canvas, sceneRng), canvas, drawRng, `${shape} tile ${t} (${canvas} px)`);
    }
  }
  // 150 scenes of the default prompt set per canvas.
  for (const canvas of [32, 64]) {
    for (let t = 0; t < 150; t++) {
      const meta = metas[sceneRng.int(0, metas.length - 1)] as Metadata;
      drawChecked(sampleScene(meta, { canvas }, sceneRng), canvas, drawRng, `scene ${t} "${meta.prompt}" (${canvas} px)`);
    }
  }
  const { report, held } = checkReport();
  report(
    'box, not clipped, blend, visible, ring hole, cross arms, determinism',
    failures.length === 0,
    `${counts.images} images, ${counts.objects} objects (${counts.rings} rings, ${counts.crosses} crosses), ${counts.pixels} coloured pixels; ` +
      (failures.length === 0 ? 'no failure' : `${failures.length} failed:\n  ${failures.slice(0, 30).join('\n  ')}`),
  );
  return held();
}

styleSheetMain(renderVector, checks);
