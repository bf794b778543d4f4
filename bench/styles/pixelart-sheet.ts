/**
 * A look at the pixel-art family, and checks of what it promises: one row per class and size (8, 10,
 * 12), one 16 x 16 tile per colour and random draw, scaled up with hard pixel edges. Before drawing
 * it checks, over thousands of random objects of every class and sizes 8-24: that every object's
 * pixels stay within its box grown by 1 px, that it covers at least a minimum area and spans most of
 * its box, that every ring's hole is open (pure background pixels that no path of background pixels,
 * diagonal steps included, joins to the outside), that every cross has four arms, that every pixel
 * is the background or a blend between it and the object's colour, that an object cut by the canvas
 * edge draws the same pixels inside it as on a larger canvas, and that a render is the same from the
 * same rng state; it exits non-zero if any check fails.
 * `npx tsx bench/styles/pixelart-sheet.ts --out sheet.png [--scale 6] [--draws 2] [--seed 1]`
 */
import { Rng } from '../../daemon/util/random';
import { BACKGROUND_RGB, CLASSES, COLOR_RGB, COLORS, type ShapeClass } from '../../daemon/world/definition';
import type { RgbImage } from '../../daemon/world/render';
import { objectBox, type SceneObject } from '../../daemon/world/scene';
import { renderPixelart } from './pixelart-family';
import { checkReport, drawsAlikeFromOneState, styleSheetMain } from './sheet';

/** Random objects per class. */
const OBJECTS_PER_CLASS = 3000;
/** Canvas the objects are drawn on alone: room for a 24 px box and a margin. */
const CANVAS = 40;
/** Fewest full-colour pixels an object may have, as a fraction of its box's area (a thin 8 px ring is ~0.3). */
const MIN_AREA = 0.2;
/** Smallest span of the drawn pixels on either axis, as a fraction of the box side. */
const MIN_SPAN = 0.75;
/** Shortest arm a cross may have, in pixels. */
const MIN_ARM = 2;

/** Per pixel: 0 background, 1 the object's full colour, 2 a partial blend; -1 anything else. */
function classify(image: RgbImage, rgb: readonly number[]): Int8Array {
  const out = new Int8Array(image.width * image.height);
  for (let p = 0; p < out.length; p++) {
    const px = [0, 1, 2].map((c) => image.data[p * 3 + c]!);
    if (px.every((v, c) => v === BACKGROUND_RGB[c])) continue;
    if (px.every((v, c) => v === rgb[c])) {
      out[p] = 1;
      continue;
    }
    // The blend amount from the channel where colour and background differ most; every channel must agree.
    const c0 = [0, 1, 2].reduce((best, c) => (Math.abs(rgb[c]! - BACKGROUND_RGB[c]!) > Math.abs(rgb[best]! - BACKGROUND_RGB[best]!) ? c : best), 0);
    const a = (px[c0]! - BACKGROUND_RGB[c0]!) / (rgb[c0]! - BACKGROUND_RGB[c0]!);
    const agrees = px.every((v, c) => Math.abs(v - (BACKGROUND_RGB[c]! + a * (rgb[c]! - BACKGROUND_RGB[c]!))) <= 1);
    out[p] = a >= 0 && a <= 1 && agrees ? 2 : -1;
  }
  return out;
}

/** Pure background pixels that no 8-connected path of background pixels joins to the canvas border. */
function enclosedBackground(kind: Int8Array, side: number): number {
  const reached = new Uint8Array(kind.length);
  const stack: number[] = [];
  for (let i = 0; i < side; i++) {
    for (const p of [i, (side - 1) * side + i, i * side, i * side + side - 1]) {
      if (kind[p] !== 0 || reached[p]) continue;
      reached[p] = 1;
      stack.push(p);
    }
  }
  while (stack.length) {
    const p = stack.pop()!;
    const [x, y] = [p % side, Math.floor(p / side)];
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const [nx, ny] = [x + dx, y + dy];
        const q = ny * side + nx;
        if (nx < 0 || ny < 0 || nx >= side || ny >= side || reached[q] || kind[q] !== 0) continue;
        reached[q] = 1;
        stack.push(q);
      }
    }
  }
  let enclosed = 0;
  for (let p = 0; p < kind.length; p++) if (kind[p] === 0 && !reached[p]) enclosed++;
  return enclosed;
}

/**
 * A cross's shortest arm: the full-colour columns that are the tallest make the vertical bar, the
 * widest rows the horizontal one; each arm is how far the other bar reaches past it. 0 if the bars'
 * extremes are not where a plus sign has them (the bounding box's corners must be empty).
 */
function shortestArm(kind: Int8Array, side: number): number {
  const cols = new Array<number>(side).fill(0);
  const rows = new Array<number>(side).fill(0);
  for (let p = 0; p < kind.length; p++) {
    if (kind[p] !== 1) continue;
    cols[p % side]!++;
    rows[Math.floor(p / side)]!++;
  }
  const tall = Math.max(...cols);
  const wide = Math.max(...rows);
  const barCols = cols.flatMap((n, x) => (n === tall ? [x] : []));
  const barRows = rows.flatMap((n, y) => (n === wide ? [y] : []));
  const used = (n: number[]): number[] => n.flatMap((v, i) => (v > 0 ? [i] : []));
  const [xs, ys] = [used(cols), used(rows)];
  const [left, right, top, bottom] = [xs[0]!, xs[xs.length - 1]!, ys[0]!, ys[ys.length - 1]!];
  const corner = [kind[top * side + left], kind[top * side + right], kind[bottom * side + left], kind[bottom * side + right]];
  if (corner.some((k) => k === 1)) return 0;
  return Math.min(barCols[0]! - left, right - barCols[barCols.length - 1]!, barRows[0]! - top, bottom - barRows[barRows.length - 1]!);
}

/** A random object of the class somewhere well inside the check canvas. */
function randomObject(shape: ShapeClass, rng: Rng): SceneObject {
  const size = rng.int(8, 24);
  const x0 = rng.int(2, CANVAS - 2 - size);
  const y0 = rng.int(2, CANVAS - 2 - size);
  return { shape, color: rng.pick(COLORS), center: [x0 + size / 2, y0 + size / 2], size };
}

interface Tally {
  objects: number;
  outsideBox: number;
  badPixels: number;
  minArea: Record<string, number>;
  minSpan: Record<string, number>;
  closedRings: number;
  smallestHole: number;
  shortestArm: number;
}

/** Draws one object alone and adds what it shows to the tally. */
function measure(obj: SceneObject, rng: Rng, t: Tally): void {
  const image = renderPixelart({ objects: [obj] }, CANVAS, rng);
  const kind = classify(image, COLOR_RGB[obj.color]);
  const [bx0, by0, bx1, by1] = objectBox(obj);
  let [area, x0, y0, x1, y1] = [0, Infinity, Infinity, -Infinity, -Infinity];
  kind.forEach((k, p) => {
    if (k === 0) return;
    const [x, y] = [p % CANVAS, Math.floor(p / CANVAS)];
    if (k < 0) t.badPixels++;
    if (x < bx0 - 1 || y < by0 - 1 || x > bx1 || y > by1) t.outsideBox++;
    if (k === 1) area++;
    [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  });
  const s = obj.size;
  t.minArea[obj.shape] = Math.min(t.minArea[obj.shape] ?? Infinity, area / (s * s));
  t.minSpan[obj.shape] = Math.min(t.minSpan[obj.shape] ?? Infinity, Math.min(x1 - x0 + 1, y1 - y0 + 1) / s);
  if (obj.shape === 'ring') {
    const hole = enclosedBackground(kind, CANVAS);
    if (hole === 0) t.closedRings++;
    t.smallestHole = Math.min(t.smallestHole, hole);
  }
  if (obj.shape === 'cross') t.shortestArm = Math.min(t.shortestArm, shortestArm(kind, CANVAS));
  t.objects++;
}

/**
 * Objects whose boxes poke past the canvas edge: the pixels inside the canvas must be those the
 * same object draws, from the same rng state, on a canvas large enough to hold it whole.
 */
function clippingMismatches(rng: Rng, trials: number): number {
  let bad = 0;
  const margin = 16;
  for (let n = 0; n < trials; n++) {
    const size = rng.int(8, 24);
    const obj: SceneObject = { shape: rng.pick(CLASSES), color: rng.pick(COLORS), center: [rng.int(-size, CANVAS + size) + 0.5 * (size % 2), rng.int(-size, CANVAS + size)], size };
    const state = rng.state();
    const cut = renderPixelart({ objects: [obj] }, CANVAS, Rng.fromState(state));
    const moved = { ...obj, center: [obj.center[0] + margin, obj.center[1] + margin] as [number, number] };
    const whole = renderPixelart({ objects: [moved] }, CANVAS + 2 * margin, Rng.fromState(state));
    for (let y = 0; y < CANVAS; y++) {
      for (let x = 0; x < CANVAS; x++) {
        for (let c = 0; c < 3; c++) if (cut.data[(y * CANVAS + x) * 3 + c] !== whole.data[((y + margin) * (CANVAS + 2 * margin) + x + margin) * 3 + c]) bad++;
      }
    }
    rng.float();
  }
  return bad;
}

/** The numeric checks; returns whether all held, after printing each. */
function checks(seed: number): boolean {
  const { report, held } = checkReport();
  const rng = new Rng(seed);
  const t: Tally = { objects: 0, outsideBox: 0, badPixels: 0, minArea: {}, minSpan: {}, closedRings: 0, smallestHole: Infinity, shortestArm: Infinity };
  for (let n = 0; n < OBJECTS_PER_CLASS; n++) for (const shape of CLASSES) measure(randomObject(shape, rng), rng, t);
  const perClass = (r: Record<string, number>): string =>
    Object.entries(r)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(', ');
  const worst = (r: Record<string, number>): number => Math.min(...Object.values(r));

  report('within box + 1 px', t.outsideBox === 0, `${t.objects} objects (sizes 8-24), ${t.outsideBox} pixels outside their box grown by 1 px`);
  report('minimum area', worst(t.minArea) >= MIN_AREA, `smallest full-colour area / box area per class: ${perClass(t.minArea)} (at least ${MIN_AREA})`);
  report('fills its box', worst(t.minSpan) >= MIN_SPAN, `smallest drawn span / box side per class: ${perClass(t.minSpan)} (at least ${MIN_SPAN})`);
  report('ring holes open', t.closedRings === 0, `${t.closedRings} of ${OBJECTS_PER_CLASS} rings without an enclosed background pixel; smallest hole ${t.smallestHole} px`);
  report('crosses have four arms', t.shortestArm >= MIN_ARM, `shortest arm past the other bar over ${OBJECTS_PER_CLASS} crosses: ${t.shortestArm} px (at least ${MIN_ARM})`);
  report('pixels are background-colour blends', t.badPixels === 0, `${t.badPixels} pixels neither background, colour, nor a blend of the two`);
  const clipped = clippingMismatches(rng, 600);
  report('clipped at the canvas edge', clipped === 0, `600 objects cut by the edge, ${clipped} channel values unlike the uncut drawing`);
  report('deterministic', drawsAlikeFromOneState(renderPixelart, seed), 'the same image from the same rng state');
  return held();
}

styleSheetMain(renderPixelart, checks);
