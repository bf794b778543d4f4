/**
 * A fifth drawing program, used only to score the detector: written in session 20 apart from any
 * detector, without looking at how any detector reads shapes or at the detector's training family,
 * so that none of its choices was made against a detector. Its settings are not to be changed after
 * its first score.
 *
 * It shares nothing with the world's renderer or the other style families but the palette and the
 * scene. Each object is drawn hard-edged (one point sample per cell, in or out) on its own bitmap
 * SUPERSAMPLE times finer than the canvas, then reduced to the canvas by a separable Lanczos-3
 * (windowed-sinc) filter, the resampler of photo editors: edges come out slightly soft, and the
 * filter's negative lobes ring (a faint bright band just inside an edge, a dark one just outside).
 * The filtered value is the object's coverage of the pixel, clamped to [0, 1]; a pixel takes the
 * object's colour over what lies beneath in proportion to it. Settings, drawn per object within
 * what a person still calls the shape:
 *   - side s: 0.85-1 of the object's box, centred on the box's centre;
 *   - circle: an ellipse, one axis s, the other 0.88-1 of it (which one is drawn); never turned;
 *   - square: the long side s, the other 0.88-1 of it, corners rounded with a radius of 0-0.25 of
 *     the short half-side, turned by up to 8 degrees (far from the diamond's 45);
 *   - triangle: apex up, base 0.9-1 of s, height 0.78-0.95 of s, apex off the base's middle by up
 *     to 0.08 of the base, turned by up to 5 degrees; its own box is centred on the object's centre;
 *   - diamond: a square on its corner, s high, 0.7-1 as wide as high, turned by up to 4 degrees;
 *   - cross: a plus of two bars, each 0.9-1 of s long (drawn apart), both 0.28-0.38 of s thick and
 *     at least 1.6 px, crossing at the centre, turned by up to 6 degrees;
 *   - ring: an ellipse as for the circle but 0.92-1 round, minus the same ellipse shrunk by the
 *     wall on each axis; the wall 0.28-0.42 of the outer ellipse's shorter half-axis, at least
 *     1.5 px, and at most what leaves a hole 2.5 px across, so the hole stays open after the blur.
 * Turned shapes may reach up to about 0.8 px past their box, and the filter spreads an object up to
 * 3 px further, faintly past the first pixel outside the box (under 7% coverage there, under 2% but
 * for a turned square's corners); objects' boxes lie at least 3 px apart, so painting objects in
 * scene order over the grey background is enough, and what reaches past the canvas is cut off.
 */
import type { Rng } from '../../daemon/util/random';
import { BACKGROUND_RGB, COLOR_RGB, type ShapeClass } from '../../daemon/world/definition';
import type { RgbImage } from '../../daemon/world/render';
import type { Scene, SceneObject } from '../../daemon/world/scene';

/** Fine cells per canvas pixel, per axis: the hard-edged bitmap's area comes within ~2% of the shape's (~4% on thin bars). */
export const SUPERSAMPLE = 8;
/** Lanczos lobes: the filter reaches this many canvas pixels either side of a pixel's centre. */
const LOBES = 3;
/** Canvas pixels kept around the box: the largest turn's overhang (1 px) plus the filter's reach. */
const MARGIN = 1 + LOBES;

const between = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng.float();

/** Largest turn in degrees per class; ellipses are left alone so a circle never reads as tilted. */
const MAX_TURN_DEG: Record<ShapeClass, number> = { circle: 0, ring: 0, square: 8, triangle: 5, diamond: 4, cross: 6 };

/** A shape around the origin (canvas px, y down, before the turn): a point test and its exact area. */
interface Shape {
  inside: (u: number, v: number) => boolean;
  area: number;
}

const inEllipse = (u: number, v: number, a: number, b: number): boolean => (u / a) ** 2 + (v / b) ** 2 <= 1;

/** Is (u, v) on the inner side of (or on) the edge p -> q of a polygon whose corners run clockwise on screen (y down)? */
const innerSide = (u: number, v: number, px: number, py: number, qx: number, qy: number): boolean => (qx - px) * (v - py) - (qy - py) * (u - px) >= 0;

/**
 * The class's shape for side s. The rng draws happen in a fixed order per class, so a given rng
 * state always gives the same shape.
 */
function makeShape(shape: ShapeClass, s: number, rng: Rng): Shape {
  const h = s / 2;
  switch (shape) {
    case 'circle': {
      const other = h * between(rng, 0.88, 1);
      const [a, b] = rng.float() < 0.5 ? [h, other] : [other, h];
      return { inside: (u, v) => inEllipse(u, v, a, b), area: Math.PI * a * b };
    }
    case 'square': {
      const short = h * between(rng, 0.88, 1);
      const [hx, hy] = rng.float() < 0.5 ? [h, short] : [short, h];
      const r = short * between(rng, 0, 0.25);
      return {
        // A rounded rectangle: the rectangle shrunk by r, grown back by r (a distance test).
        inside: (u, v) => {
          const dx = Math.max(0, Math.abs(u) - (hx - r));
          const dy = Math.max(0, Math.abs(v) - (hy - r));
          return Math.abs(u) <= hx && Math.abs(v) <= hy && dx * dx + dy * dy <= r * r;
        },
        area: 4 * hx * hy - (4 - Math.PI) * r * r,
      };
    }
    case 'triangle': {
      const base = s * between(rng, 0.9, 1);
      const height = s * between(rng, 0.78, 0.95);
      const ax = base * between(rng, -0.08, 0.08);
      const [top, bottom, half] = [-height / 2, height / 2, base / 2];
      return {
        // Corners apex -> bottom right -> bottom left run clockwise on screen.
        inside: (u, v) => v <= bottom && innerSide(u, v, ax, top, half, bottom) && innerSide(u, v, -half, bottom, ax, top),
        area: (base * height) / 2,
      };
    }
    case 'diamond': {
      const w = h * between(rng, 0.7, 1);
      return { inside: (u, v) => Math.abs(u) / w + Math.abs(v) / h <= 1, area: 2 * w * h };
    }
    case 'cross': {
      const vLen = h * between(rng, 0.9, 1);
      const hLen = h * between(rng, 0.9, 1);
      const t = Math.max(1.6, s * between(rng, 0.28, 0.38)) / 2;
      return {
        inside: (u, v) => (Math.abs(u) <= t && Math.abs(v) <= vLen) || (Math.abs(v) <= t && Math.abs(u) <= hLen),
        // Two bars, their shared centre square counted once.
        area: 2 * t * 2 * vLen + 2 * t * 2 * hLen - 4 * t * t,
      };
    }
    case 'ring': {
      const other = h * between(rng, 0.92, 1);
      const [a, b] = rng.float() < 0.5 ? [h, other] : [other, h];
      const wall = Math.min(Math.max(1.5, Math.min(a, b) * between(rng, 0.28, 0.42)), Math.min(a, b) - 1.25);
      return {
        inside: (u, v) => inEllipse(u, v, a, b) && !inEllipse(u, v, a - wall, b - wall),
        area: Math.PI * (a * b - (a - wall) * (b - wall)),
      };
    }
  }
}

/** Lanczos-3 at distance d canvas pixels: sinc(d) sinc(d / 3) inside three pixels, 0 beyond. */
function lanczos(d: number): number {
  if (d === 0) return 1;
  if (Math.abs(d) >= LOBES) return 0;
  const x = Math.PI * d;
  return (LOBES * Math.sin(x) * Math.sin(x / LOBES)) / (x * x);
}

/**
 * The weights a canvas pixel gives the fine cells from LOBES pixels before its own to LOBES pixels
 * after, by each cell centre's distance to the pixel centre; the same for every pixel, since the
 * fine grid lines up with the canvas. Normalised to sum to 1, so a solid area comes out solid.
 */
const KERNEL: number[] = (() => {
  const taps = Array.from({ length: 2 * LOBES * SUPERSAMPLE }, (_, k) => lanczos((k + 0.5) / SUPERSAMPLE - LOBES));
  const sum = taps.reduce((x, y) => x + y, 0);
  return taps.map((w) => w / sum);
})();

/** One object's coverage on the canvas pixels [x0, x0 + width) x [y0, y0 + height), which may reach past the canvas. */
export interface ObjectCoverage {
  x0: number;
  y0: number;
  width: number;
  height: number;
  /** Filtered coverage before clamping, row by row: rings a little below 0 and above 1. */
  raw: Float64Array;
  /** The shape's exact area in canvas px^2. */
  area: number;
  /** The area of the hard-edged fine bitmap, in canvas px^2. */
  bitmapArea: number;
}

/**
 * An object's filtered coverage: the shape drawn at 0.85-1 of the box side, turned within its
 * class's limit, centred on the box's centre (the box is [round(center - size / 2), ...) like every
 * other program's), sampled hard-edged on the fine grid and reduced by the Lanczos kernel, first
 * along rows, then along columns. Draws from rng: the side, the class's proportions, then the turn.
 */
export function objectCoverage(obj: SceneObject, rng: Rng): ObjectCoverage {
  const bx = Math.round(obj.center[0] - obj.size / 2);
  const by = Math.round(obj.center[1] - obj.size / 2);
  const [cx, cy] = [bx + obj.size / 2, by + obj.size / 2];
  const shape = makeShape(obj.shape, obj.size * between(rng, 0.85, 1), rng);
  const maxTurn = MAX_TURN_DEG[obj.shape];
  const angle = maxTurn === 0 ? 0 : (between(rng, -maxTurn, maxTurn) * Math.PI) / 180;
  const [c, s] = [Math.cos(angle), Math.sin(angle)];

  const [x0, y0] = [bx - MARGIN, by - MARGIN];
  const width = obj.size + 2 * MARGIN;
  const height = width;
  const fw = width * SUPERSAMPLE;
  const fh = height * SUPERSAMPLE;

  // The hard-edged bitmap: each fine cell's centre taken back through the turn into the shape's frame.
  const fine = new Uint8Array(fw * fh);
  let cells = 0;
  for (let j = 0; j < fh; j++) {
    const y = y0 + (j + 0.5) / SUPERSAMPLE - cy;
    for (let i = 0; i < fw; i++) {
      const x = x0 + (i + 0.5) / SUPERSAMPLE - cx;
      if (shape.inside(c * x + s * y, -s * x + c * y)) {
        fine[j * fw + i] = 1;
        cells++;
      }
    }
  }

  // Rows: every fine row reduced to canvas columns. Cells past the bitmap are empty, as the shape is.
  const taps = KERNEL.length;
  const reduce = (get: (k: number) => number, limit: number, p: number): number => {
    let sum = 0;
    const start = (p - LOBES) * SUPERSAMPLE;
    for (let k = 0; k < taps; k++) {
      const at = start + k;
      if (at >= 0 && at < limit) sum += KERNEL[k]! * get(at);
    }
    return sum;
  };
  const rows = new Float64Array(fh * width);
  for (let j = 0; j < fh; j++) {
    for (let p = 0; p < width; p++) rows[j * width + p] = reduce((at) => fine[j * fw + at]!, fw, p);
  }
  // Columns: each canvas column's fine rows reduced to canvas rows.
  const raw = new Float64Array(width * height);
  for (let q = 0; q < height; q++) {
    for (let p = 0; p < width; p++) raw[q * width + p] = reduce((at) => rows[at * width + p]!, fh, q);
  }
  return { x0, y0, width, height, raw, area: shape.area, bitmapArea: cells / SUPERSAMPLE ** 2 };
}

/** A scene drawn by this program on a canvas x canvas grey image; objects are painted in scene order. */
export function renderFiltered(scene: Scene, canvas: number, rng: Rng): RgbImage {
  const data = new Uint8Array(canvas * canvas * 3);
  for (let i = 0; i < canvas * canvas; i++) data.set(BACKGROUND_RGB, i * 3);
  for (const obj of scene.objects) {
    const cov = objectCoverage(obj, rng);
    const rgb = COLOR_RGB[obj.color];
    for (let q = 0; q < cov.height; q++) {
      const py = cov.y0 + q;
      if (py < 0 || py >= canvas) continue;
      for (let p = 0; p < cov.width; p++) {
        const px = cov.x0 + p;
        if (px < 0 || px >= canvas) continue;
        // Ringing below 0 or above 1 is cut off: coverage is a share of the pixel.
        const cover = Math.min(1, Math.max(0, cov.raw[q * cov.width + p]!));
        if (cover === 0) continue;
        for (let k = 0; k < 3; k++) {
          const i = (py * canvas + px) * 3 + k;
          data[i] = Math.round(cover * rgb[k]! + (1 - cover) * data[i]!);
        }
      }
    }
  }
  return { width: canvas, height: canvas, data };
}
