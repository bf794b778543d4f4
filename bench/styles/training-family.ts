/**
 * The training family of drawing styles: the shapes the detector's classifier learns from.
 *
 * Each object is an inside-test in its own frame (u, v in [-1, 1]) with its own random
 * proportions, turned by up to 18 degrees (squares and diamonds 15), stretched a little, and drawn with hard edges or with
 * anti-aliased coverage (n x n samples a pixel, colour blended with what lies beneath). A share of
 * objects are drawn exactly as the world draws them, so the world's renders stay in the data.
 *
 * Besides the six classes it draws what is no class ("none"): lumpy blobs, fragments of shapes,
 * crosses with missing arms, broken rings, long bars, and pairs of same-coloured shapes that touch.
 *
 * With `legible` set it never teaches one picture with two answers: a drawing whose picture the
 * family also draws for another answer (a chunky 7 px plus that is a small diamond's pixels, a
 * small blob that is a disc's) is drawn again, and left out of its scene if it stays shared
 * (legibility.ts, the rule the held-out "varied" style keeps too). Off by default: measured, it
 * did not pay (docs/geneval.md, "Tried and not adopted").
 *
 * It never draws the held-out family (heldout-family.ts), which is a separate program with its
 * own geometry; thresholds and weights are fitted on this family only.
 */
import { Rng } from '../../daemon/util/random';
import { BACKGROUND_RGB, CLASSES, COLOR_RGB, COLORS, type ColorName, type ShapeClass } from '../../daemon/world/definition';
import type { RgbImage } from '../../daemon/world/render';
import { insideShape } from '../../daemon/world/shapes';
import { cropPicture, drawLegibly, newLegibilityCount, PictureBook, type Picture } from './legibility';

export type NoneKind = 'blob' | 'fragment' | 'broken-cross' | 'broken-ring' | 'bar' | 'touching';
export type ObjectKind = ShapeClass | NoneKind;
export const NONE_KINDS: readonly NoneKind[] = ['blob', 'fragment', 'broken-cross', 'broken-ring', 'bar', 'touching'];

type Inside = (u: number, v: number) => boolean;

/**
 * One drawn object: where, how, and what a person would call it on its own (undefined: no class).
 * A region that holds two objects is no class whatever they are.
 */
export interface DrawnObject {
  kind: ObjectKind;
  label: ShapeClass | undefined;
  color: ColorName;
  /** Centre in pixels and half-extents of its frame along its own axes. */
  cx: number;
  cy: number;
  halfX: number;
  halfY: number;
  /** Turn in radians (positive: clockwise on screen, y down). */
  angle: number;
  /** Samples per pixel side: 1 is hard-edged. */
  samples: number;
  inside: Inside;
  /** Drawn exactly as the world draws it. */
  asWorld?: boolean;
}

const degrees = (d: number): number => (d * Math.PI) / 180;
const uniform = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng.float();

/** A square whose corners are rounded with radius `r` (in half-sides, 0 for sharp corners). */
function roundedSquare(r: number): Inside {
  return (u, v) => {
    const du = Math.max(0, Math.abs(u) - (1 - r));
    const dv = Math.max(0, Math.abs(v) - (1 - r));
    return Math.abs(u) <= 1 && Math.abs(v) <= 1 && du * du + dv * dv <= r * r;
  };
}

/** A class's inside-test with this family's random proportions; `halfPixels` is half the object's side in pixels. */
function styledShape(shape: ShapeClass, rng: Rng, halfPixels: number, cornerPixelSquares = false, offsetBars = false, cutTips = false): Inside {
  switch (shape) {
    case 'circle':
      return (u, v) => u * u + v * v <= 1;
    case 'square': {
      // Optionally rounded corners, up to 0.15 of the side (u spans 2): still a square to a person,
      // who sees a disc only when the rounding eats most of each side. On a small square even a
      // slight rounding (or another program's rasteriser) takes the whole corner pixel, so the
      // radius is also drawn in pixels (up to 2) and the larger of the two is kept.
      if (cornerPixelSquares && rng.float() < 0.5) {
        // On the pixel grid a hard-edged corner pixel goes only with a radius over 1.71 px (its
        // centre lies 0.5 px in on both sides), which the draw below rarely reaches once the square
        // is shrunk by its fill, and the pixels beside it stay up to 3.2 px. So half of the squares
        // take 2-2.8 px (at most 0.6 of the half side, before the fill of 0.85-1), the way other
        // rasterisers cut small squares. Off the grid a corner's neighbours go too now and then: of
        // the hard-edged, unturned 8-9 px squares drawn with the option, under 1 in 1000 come out as
        // the world's own circle of that size (detector.test.ts).
        const r = Math.min(0.6, uniform(rng, 2, 2.8) / halfPixels);
        return roundedSquare(r);
      }
      return roundedSquare(rng.float() < 0.5 ? 0 : Math.min(0.5, Math.max(uniform(rng, 0.04, 0.3), uniform(rng, 0.5, 2) / halfPixels)));
    }
    case 'triangle': {
      // Base along the bottom, possibly narrower than the box; apex anywhere over the middle of
      // it; from 0.6 to 1 as high as the box.
      const apex = uniform(rng, -0.6, 0.6);
      const half = uniform(rng, 0.8, 1);
      const top = 1 - 2 * uniform(rng, 0.6, 1);
      return (u, v) => {
        if (v < top || v > 1) return false;
        const t = (v - top) / (1 - top); // 0 at the apex, 1 at the base
        const centre = apex * half * (1 - t);
        return Math.abs(u - centre) <= half * t + 0.02;
      };
    }
    case 'diamond': {
      // Width over height, down to a narrow rhombus (a playing card's is about 0.7): drawn wider
      // than the range a test is likely to ask for, so such a test is not at the edge of the data.
      const k = uniform(rng, 0.55, 1);
      if (cutTips && rng.float() < 0.5) {
        // One tip cut square across, 10-25% of the diagonal: what is left when a touching
        // neighbour of the same colour takes the tip's pixels. Still a diamond to a person.
        const keep = 1 - uniform(rng, 0.2, 0.5);
        const side = rng.pick([-1, 1]);
        const across = rng.float() < 0.5;
        return (u, v) => Math.abs(u) / k + Math.abs(v) <= 1 && (across ? (side * u) / k : side * v) <= keep;
      }
      return (u, v) => Math.abs(u) / k + Math.abs(v) <= 1;
    }
    case 'cross': {
      // Bars of their own widths, up to half the side (a chunky plus, its arms still a quarter of
      // the side long), the horizontal one possibly raised (a Latin cross), arms that may stop
      // short of the box.
      const vw = uniform(rng, 0.2, 0.5);
      const hw = rng.float() < 0.6 ? vw : uniform(rng, 0.2, 0.5);
      let vx = uniform(rng, -0.1, 0.1);
      let hy = rng.float() < 0.6 ? 0 : uniform(rng, -0.35, 0.1);
      const reach = uniform(rng, 0.85, 1);
      if (offsetBars && rng.float() < 0.5) {
        // Either bar anywhere up to 0.2 of the side off centre, as a hand or another program puts
        // it, as long as each arm still reaches 0.15 of the side past the other bar: a person
        // still counts four arms. Shorter than that, it is the family's broken cross (a T).
        const room = (halfWidth: number, end: number): number => Math.max(0, Math.min(0.4, end - 0.3 - halfWidth));
        vx = uniform(rng, -1, 1) * room(vw, reach);
        hy = uniform(rng, -1, 1) * room(hw, 1);
      }
      return (u, v) =>
        (Math.abs(u - vx) <= vw && Math.abs(v) <= 1) || (Math.abs(v - hy) <= hw && Math.abs(u) <= reach);
    }
    case 'ring': {
      // Walls from 0.65 of the radius down to 0.15 (on a small ring, under a pixel).
      const inner = uniform(rng, 0.35, 0.85);
      return (u, v) => {
        const r2 = u * u + v * v;
        return r2 <= 1 && r2 >= inner * inner;
      };
    }
  }
}

/** What no person would call one of the six classes. */
function noneShape(kind: Exclude<NoneKind, 'touching'>, rng: Rng, halfPixels: number): Inside {
  switch (kind) {
    case 'blob': {
      // A lumpy outline: three harmonics of comparable strength at random phases (one alone would
      // draw an ellipse, a rounded triangle or a rounded square), swinging the radius by 35-50%
      // around its mean.
      const terms = rng.shuffle([2, 3, 4, 5, 6]).slice(0, 3).map((k) => ({ k, a: uniform(rng, 0.6, 1), phase: uniform(rng, 0, 2 * Math.PI) }));
      const wave = (t: number): number => terms.reduce((s, x) => s + x.a * Math.cos(x.k * t + x.phase), 0);
      let peak = 0;
      for (let i = 0; i < 90; i++) peak = Math.max(peak, Math.abs(wave((i / 90) * 2 * Math.PI)));
      const swing = uniform(rng, 0.35, 0.5);
      return (u, v) => Math.hypot(u, v) * (1 + swing) <= 1 + (swing * wave(Math.atan2(v, u))) / peak;
    }
    case 'fragment': {
      // A disc, ring or cross cut by a random straight line, keeping 35-70% of it. Not a square,
      // triangle or diamond: their cuts are often smaller triangles and rectangles, which a person
      // would still name.
      const base = styledShape(rng.pick(['circle', 'ring', 'cross'] as const), rng, halfPixels);
      const t = uniform(rng, 0, 2 * Math.PI);
      const [nx, ny] = [Math.cos(t), Math.sin(t)];
      const projections: number[] = [];
      for (let i = 0; i < 20; i++) {
        for (let j = 0; j < 20; j++) {
          const u = -1 + (i + 0.5) / 10;
          const v = -1 + (j + 0.5) / 10;
          if (base(u, v)) projections.push(u * nx + v * ny);
        }
      }
      projections.sort((a, b) => a - b);
      const cut = projections[Math.floor(uniform(rng, 0.35, 0.7) * projections.length)] ?? 0;
      return (u, v) => base(u, v) && u * nx + v * ny <= cut;
    }
    case 'broken-cross': {
      // A cross with one or two arms missing: a T, an L or a plain bar.
      const w = uniform(rng, 0.2, 0.45);
      const arms = rng.shuffle([0, 1, 2, 3]).slice(0, rng.int(2, 3));
      return (u, v) => {
        if (Math.abs(u) <= w && Math.abs(v) <= w) return true;
        if (arms.includes(0) && Math.abs(v) <= w && u > 0 && u <= 1) return true;
        if (arms.includes(1) && Math.abs(v) <= w && u < 0 && u >= -1) return true;
        if (arms.includes(2) && Math.abs(u) <= w && v > 0 && v <= 1) return true;
        return arms.includes(3) && Math.abs(u) <= w && v < 0 && v >= -1;
      };
    }
    case 'broken-ring': {
      // A ring with a gap of 100-240 degrees: an arc.
      const inner = uniform(rng, 0.35, 0.7);
      const from = uniform(rng, -Math.PI, Math.PI);
      const gap = degrees(uniform(rng, 100, 240));
      return (u, v) => {
        const r2 = u * u + v * v;
        const a = (((Math.atan2(v, u) - from) % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI);
        return r2 <= 1 && r2 >= inner * inner && a >= gap;
      };
    }
    case 'bar': {
      // At least 2.3 times longer than wide.
      const width = uniform(rng, 0.18, 0.43);
      return (u, v) => Math.abs(u) <= 1 && Math.abs(v) <= width;
    }
  }
}

/** An object's coverage of each pixel (0-1) over its own clip of a width x height canvas. */
export function objectCoverage(obj: DrawnObject, canvasWidth: number, canvasHeight: number): { x0: number; y0: number; width: number; height: number; cover: Float32Array } {
  const reach = Math.hypot(obj.halfX, obj.halfY) + 1;
  const x0 = Math.max(0, Math.floor(obj.cx - reach));
  const x1 = Math.min(canvasWidth - 1, Math.ceil(obj.cx + reach));
  const y0 = Math.max(0, Math.floor(obj.cy - reach));
  const y1 = Math.min(canvasHeight - 1, Math.ceil(obj.cy + reach));
  const width = Math.max(0, x1 - x0 + 1);
  const height = Math.max(0, y1 - y0 + 1);
  const cover = new Float32Array(width * height);
  const cos = Math.cos(obj.angle);
  const sin = Math.sin(obj.angle);
  const n = obj.samples;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      let hits = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const px = x + (sx + 0.5) / n - obj.cx;
          const py = y + (sy + 0.5) / n - obj.cy;
          // Into the object's frame: turn back by its angle, then scale to [-1, 1].
          const u = (cos * px + sin * py) / obj.halfX;
          const v = (-sin * px + cos * py) / obj.halfY;
          if (obj.inside(u, v)) hits++;
        }
      }
      cover[(y - y0) * width + (x - x0)] = hits / (n * n);
    }
  }
  return { x0, y0, width, height, cover };
}

/** Draws objects onto an image in place; returns, per pixel, the index of the object that covers most of it (-1: none). */
export function drawObjects(image: RgbImage, objects: readonly DrawnObject[]): Int32Array {
  const owner = new Int32Array(image.width * image.height).fill(-1);
  objects.forEach((obj, index) => {
    const { x0, y0, width, height, cover } = objectCoverage(obj, image.width, image.height);
    const rgb = COLOR_RGB[obj.color];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const a = cover[y * width + x]!;
        if (a === 0) continue;
        const i = ((y0 + y) * image.width + x0 + x) * 3;
        for (let k = 0; k < 3; k++) image.data[i + k] = Math.round(a * rgb[k]! + (1 - a) * image.data[i + k]!);
        if (a >= 0.5) owner[(y0 + y) * image.width + x0 + x] = index;
      }
    }
  });
  return owner;
}

/** How the family draws its objects beyond the default (trainer options; all off by default). */
export interface FamilyDrawing {
  /** Point 40% of triangles down, left or right before their turn (trainingScene's `trianglesFourWays`). */
  trianglesFourWays?: boolean;
  /** Turn crosses and diamonds by 0, 1, 2 or 3 quarter turns before their small turn (trainingScene's `quarterTurnedCrossesAndDiamonds`). */
  quarterTurnedCrossesAndDiamonds?: boolean;
  /** With quarterTurnedCrossesAndDiamonds: the share turned a quarter, a half or three quarters (uniform over the four turns, 0.75, when left out). */
  quarterTurnShare?: number;
  /** Round half of the squares by 2-2.8 px, which cuts a small square's whole corner pixel (trainingScene's `cornerPixelSquares`). */
  cornerPixelSquares?: boolean;
  /** Place half of the crosses' bars up to 0.2 of the side off centre, both bars, every arm kept (trainingScene's `offsetBars`). */
  offsetBars?: boolean;
  /** Cut one tip off half of the diamonds, 10-25% of the diagonal (trainingScene's `cutTips`). */
  cutTips?: boolean;
}

export interface FamilyObjectOptions extends FamilyDrawing {
  kind: ObjectKind;
  color: ColorName;
  /** Centre and side of the object's square box in pixels. */
  cx: number;
  cy: number;
  size: number;
  /** Draw it exactly as the world does (hard edges, the world's inside-tests). */
  asWorld?: boolean;
}

/**
 * The largest turn, in degrees. A square turned 45 degrees is a diamond, so between the two the
 * name is a matter of taste near 22.5: squares and diamonds turn by at most 15 (a clear margin to
 * that point, so the classifier is not taught two answers for one picture); other shapes by 18.
 */
function maxTurn(kind: ObjectKind): number {
  return kind === 'square' || kind === 'diamond' ? 15 : 18;
}

/**
 * The way a triangle points before its turn: up, or with `trianglesFourWays` down, left or right
 * for 40% of them (as people draw them too; the small turn of maxTurn comes on top). Any other
 * object, and every triangle without the option, points up and draws nothing from `rng`, so the
 * default family's scenes are unchanged.
 */
function pointing(o: FamilyObjectOptions, rng: Rng): number {
  // A cross or a diamond turned a quarter is still one, so with the option each is drawn at any of
  // the four: a Latin cross on its side (its upright bar off centre), a diamond wider than tall.
  if ((o.kind === 'cross' || o.kind === 'diamond') && o.quarterTurnedCrossesAndDiamonds) {
    if (o.quarterTurnShare === undefined) return degrees(rng.pick([0, 90, 180, 270]));
    return rng.float() < o.quarterTurnShare ? degrees(rng.pick([90, 180, 270])) : 0;
  }
  if (o.kind !== 'triangle' || !o.trianglesFourWays || rng.float() >= 0.4) return 0;
  return degrees(rng.pick([90, 180, 270]));
}

/** One object of the family: its style drawn at random. */
export function familyObject(o: FamilyObjectOptions, rng: Rng): DrawnObject {
  const half = o.size / 2;
  if (o.asWorld && (CLASSES as readonly string[]).includes(o.kind)) {
    const shape = o.kind as ShapeClass;
    return { kind: shape, label: shape, color: o.color, cx: o.cx, cy: o.cy, halfX: half, halfY: half, angle: 0, samples: 1, inside: (u, v) => insideShape(shape, u, v, o.size), asWorld: true };
  }
  const stretch = Math.exp(uniform(rng, -0.12, 0.12));
  const fill = uniform(rng, 0.85, 1);
  const isClass = (CLASSES as readonly string[]).includes(o.kind);
  const inside = isClass ? styledShape(o.kind as ShapeClass, rng, half, o.cornerPixelSquares === true, o.offsetBars === true, o.cutTips === true) : noneShape(o.kind as Exclude<NoneKind, 'touching'>, rng, half);
  return {
    kind: o.kind,
    label: isClass ? (o.kind as ShapeClass) : undefined,
    color: o.color,
    cx: o.cx,
    cy: o.cy,
    halfX: half * fill * Math.min(1, stretch),
    halfY: half * fill * Math.min(1, 1 / stretch),
    angle: pointing(o, rng) + (rng.float() < 0.5 ? 0 : degrees(uniform(rng, -maxTurn(o.kind), maxTurn(o.kind)))),
    samples: rng.pick([1, 1, 2, 4]),
    // A bar lies along either axis.
    inside: o.kind === 'bar' && rng.float() < 0.5 ? (u, v) => inside(v, u) : inside,
  };
}

/** The answer a person gives for a drawing of this kind: its class, or "none". */
export const answerOf = (kind: ObjectKind): string => ((CLASSES as readonly string[]).includes(kind) ? kind : 'none');

/** An object's picture on a square canvas of this side (legibility.ts). */
export function pictureOf(obj: DrawnObject, side: number): Picture {
  return cropPicture(objectCoverage(obj, side, side));
}

/** The sizes of objects a scene on a canvas of this side draws, [min, max]. */
function sizeRange(side: number): [number, number] {
  return [Math.max(7, Math.round((side * 7) / 32)), Math.round((side * 13) / 32)];
}

/** Drawings per answer and size in the family's picture book. */
const BOOK_DRAWS = 300;
/** The "none" kinds that are one drawing (a touching pair is two). */
const DRAWN_ALONE = NONE_KINDS.filter((k) => k !== 'touching');
const books = new Map<number, PictureBook>();

/**
 * The pictures the family draws on a canvas of this side, for each answer (each class, drawn in
 * the family's styles and once as the world draws it, and "none", every kind but a touching pair),
 * at every object size and a random sub-pixel position, as scenes place them.
 */
export function familyBook(side: number): PictureBook {
  const known = books.get(side);
  if (known) return known;
  const rng = new Rng(7000 + side);
  const book = new PictureBook();
  const [min, max] = sizeRange(side);
  const centre = side / 2;
  for (let size = min; size <= max; size++) {
    for (const shape of CLASSES) {
      book.add(shape, pictureOf(familyObject({ kind: shape, color: 'red', cx: Math.floor(centre - size / 2) + size / 2, cy: Math.floor(centre - size / 2) + size / 2, size, asWorld: true }, rng), side));
      for (let i = 0; i < BOOK_DRAWS; i++) book.add(shape, pictureOf(familyObject({ kind: shape, color: 'red', cx: centre + rng.float() - 0.5, cy: centre + rng.float() - 0.5, size }, rng), side));
    }
    for (let i = 0; i < BOOK_DRAWS; i++) {
      const kind = rng.pick(DRAWN_ALONE);
      book.add('none', pictureOf(familyObject({ kind, color: 'red', cx: centre + rng.float() - 0.5, cy: centre + rng.float() - 0.5, size }, rng), side));
    }
  }
  books.set(side, book);
  return book;
}

/** Objects trainingScene drew legibly, how many it drew again, and how many stayed illegible (left out). */
export const familyLegibility = newLegibilityCount();

/**
 * One object of the family on a square canvas of side `side`, drawn so that its picture is its
 * answer's alone (legibility.ts). The world's own drawings stand as they are: the detector must
 * read them exactly.
 */
export function legibleFamilyObject(o: FamilyObjectOptions, side: number, rng: Rng): { drawing: DrawnObject; legible: boolean } {
  const draw = (): DrawnObject => familyObject(o, rng);
  if (o.asWorld && answerOf(o.kind) !== 'none') return { drawing: draw(), legible: true };
  return drawLegibly(draw, (d) => pictureOf(d, side), answerOf(o.kind), [familyBook(side)], familyLegibility);
}

export function blankCanvas(side: number): RgbImage {
  const data = new Uint8Array(side * side * 3);
  for (let i = 0; i < side * side; i++) data.set(BACKGROUND_RGB, i * 3);
  return { width: side, height: side, data };
}

export interface TrainingScene {
  image: RgbImage;
  objects: DrawnObject[];
  owner: Int32Array;
}

/**
 * A random scene of the family: 1-4 objects on a canvas of the given side, apart from each other
 * (a "touching" object is a pair of same-coloured shapes that touch, drawn as two objects).
 * `worldShare` of class objects are drawn exactly as the world draws them; `noneShare` of objects
 * are no class. `trianglesFourWays` points 40% of triangles down, left or right, and
 * `quarterTurnedCrossesAndDiamonds` turns crosses and diamonds by any quarter turn, and
 * `cornerPixelSquares` rounds half of the squares enough to cut a small one's corner pixels,
 * `offsetBars` places half of the crosses' bars up to 0.2 of the side off centre, `cutTips` cuts one
 * tip off half of the diamonds, and
 * `smallObjects` draws half of the objects at the three smallest sizes (all off by default).
 */
export function trainingScene(side: number, rng: Rng, options: { worldShare: number; noneShare: number; legible?: boolean; smallObjects?: boolean } & FamilyDrawing): TrainingScene {
  const { worldShare, noneShare, legible, smallObjects, ...drawing } = options;
  const [min, max] = sizeRange(side);
  const gap = Math.max(2, Math.round((side * 2) / 32));
  const boxes: [number, number, number, number][] = [];
  const objects: DrawnObject[] = [];
  const count = rng.int(1, 4);
  const fits = (b: [number, number, number, number]): boolean =>
    b[0] >= 0 && b[1] >= 0 && b[2] <= side && b[3] <= side && boxes.every((o) => b[2] + gap <= o[0] || o[2] + gap <= b[0] || b[3] + gap <= o[1] || o[3] + gap <= b[1]);
  for (let k = 0; k < count; k++) {
    const none = rng.float() < noneShare;
    const kind: ObjectKind = none ? rng.pick(NONE_KINDS) : rng.pick(CLASSES);
    const color = rng.pick(COLORS);
    for (let attempt = 0; attempt < 30; attempt++) {
      // The smallest objects carry each feature in the fewest pixels, so a small turn or an odd
      // rasteriser changes their picture most: with `smallObjects` half of them come from the
      // bottom three sizes.
      const size = smallObjects === true && rng.float() < 0.5 ? rng.int(min, Math.min(max, min + 2)) : rng.int(min, max);
      if (kind === 'touching') {
        // Two shapes side by side (or stacked), their boxes overlapping by 0-2 px so that they touch.
        const horizontal = rng.float() < 0.5;
        const overlap = rng.int(0, 2);
        const w = horizontal ? 2 * size - overlap : size;
        const h = horizontal ? size : 2 * size - overlap;
        const x = rng.int(0, Math.max(0, side - w));
        const y = rng.int(0, Math.max(0, side - h));
        const box: [number, number, number, number] = [x, y, x + w, y + h];
        if (!fits(box)) continue;
        boxes.push(box);
        const second = horizontal ? [x + size - overlap + size / 2, y + size / 2] : [x + size / 2, y + size - overlap + size / 2];
        // Each part keeps its class: where the two do not meet after all, each is one object.
        for (const [cx, cy] of [[x + size / 2, y + size / 2], second] as [number, number][]) {
          const part = familyObject({ kind: rng.pick(CLASSES), color, cx, cy, size }, rng);
          objects.push({ ...part, kind: 'touching', halfX: size / 2, halfY: size / 2, angle: 0 });
        }
        break;
      }
      const x = rng.int(0, side - size);
      const y = rng.int(0, side - size);
      const box: [number, number, number, number] = [x, y, x + size, y + size];
      if (!fits(box)) continue;
      boxes.push(box);
      const asWorld = rng.float() < worldShare;
      // Other programs place shapes off the pixel grid and anti-alias with their own sample
      // positions: anywhere within half a pixel of the box centre (the world's own stay on it).
      const [dx, dy] = asWorld ? [0, 0] : [rng.float() - 0.5, rng.float() - 0.5];
      const o = { ...drawing, kind, color, cx: x + size / 2 + dx, cy: y + size / 2 + dy, size, asWorld };
      if (!legible) objects.push(familyObject(o, rng));
      else {
        // One still sharing its picture with another answer after every try is left out of the
        // scene rather than taught with two answers.
        const { drawing, legible } = legibleFamilyObject(o, side, rng);
        if (legible) objects.push(drawing);
      }
      break;
    }
  }
  const image = blankCanvas(side);
  const owner = drawObjects(image, objects);
  return { image, objects, owner };
}
