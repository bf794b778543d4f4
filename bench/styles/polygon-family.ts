/**
 * A fourth drawing program, used only to score the detector once: written without looking at how
 * any detector reads shapes, so that none of its choices was made against a detector. Written in
 * session 18 and first scored in session 19 (its row in detector-styles.ts), once with the
 * committed weights and once with those retrained on the fixed training family; its settings are
 * not to be changed after that score.
 *
 * It shares nothing with the world's renderer or the other style families but the palette and the
 * scene. Every shape is a polygon, or an outer polygon minus an inner one, in pixel coordinates,
 * and a pixel takes the object's colour in proportion to the exact area of the shape inside the
 * pixel's unit square (the polygon clipped against the square by Sutherland-Hodgman, then the
 * shoelace area): the exact-area coverage of a vector rasteriser, neither a sample grid nor a
 * distance field. Settings, drawn per object within what a person still calls the shape:
 *   - side: 0.85-1 of the object's box, centred on the box's centre;
 *   - circle: a regular N-gon of the same area as the disc, N = 24-48, enough that it strays from
 *     the true circle by at most 0.02 px (or as little as 48 corners allow); never turned;
 *   - square: the long side is the object's side, the other 0.9-1 of it (which one is drawn),
 *     turned by up to 10 degrees;
 *   - triangle: apex up, base the object's side, height 0.8-1 of the base, apex off the base's
 *     middle by up to 0.1 of the base (isosceles to slightly scalene), turned by up to 10 degrees;
 *   - diamond: as high as the object's side, 0.65-1 as wide as high, turned by up to 6 degrees;
 *   - cross: both bars as long as the object's side, 0.25-0.4 of it thick and at least 1.5 px
 *     (thicker bars leave arms so short at 8 px that the cross reads as a blob); half of the
 *     crosses have the horizontal bar raised by up to 0.08 of the side, as long as the upper arm
 *     stays at least as long as the bar is thick; turned by up to 10 degrees;
 *   - ring: two N-gons as for the circle, the wall 0.2-0.4 of the outer radius and at least 1.5 px;
 *     never turned.
 * Turned shapes may reach up to 0.8 px past their box; objects' boxes lie at least 3 px
 * apart, so painting objects in scene order over the grey background is enough, and what reaches
 * past the canvas is cut off.
 */
import type { Rng } from '../../daemon/util/random';
import { BACKGROUND_RGB, COLOR_RGB, type ShapeClass } from '../../daemon/world/definition';
import type { RgbImage } from '../../daemon/world/render';
import type { Scene, SceneObject } from '../../daemon/world/scene';

export type Point = readonly [number, number];

/** One polygon of a shape; a hole's area is taken away from the outline around it. */
export interface PolygonPart {
  points: readonly Point[];
  hole: boolean;
}

const between = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng.float();

/** Largest turn in degrees per class; circles and rings look the same turned, so they are left alone. */
const MAX_TURN_DEG: Record<ShapeClass, number> = { circle: 0, ring: 0, square: 10, triangle: 10, cross: 10, diamond: 6 };

/** How far (px) a circle's polygon may stray from the true circle, and the bounds on its corner count. */
const ROUND_TOLERANCE = 0.02;
const MIN_CORNERS = 24;
const MAX_CORNERS = 48;

/**
 * A regular N-gon standing for a disc of radius r: N is the fewest corners whose sagitta
 * r (1 - cos(pi / N)) is within ROUND_TOLERANCE, clamped to 24-48, and the corners sit a little
 * outside r so that the polygon's area equals the disc's (a polygon inscribed in the circle would
 * make every circle slightly smaller than drawn).
 */
function roundPolygon(r: number): Point[] {
  const n = Math.min(MAX_CORNERS, Math.max(MIN_CORNERS, Math.ceil(Math.PI / Math.acos(1 - Math.min(1, ROUND_TOLERANCE / r)))));
  const rho = r * Math.sqrt((2 * Math.PI) / (n * Math.sin((2 * Math.PI) / n)));
  return Array.from({ length: n }, (_, k): Point => [rho * Math.cos((2 * Math.PI * k) / n), rho * Math.sin((2 * Math.PI * k) / n)]);
}

/** The rectangle [x0, x1] x [y0, y1] as a polygon. */
const rect = (x0: number, y0: number, x1: number, y1: number): Point[] => [
  [x0, y0],
  [x1, y0],
  [x1, y1],
  [x0, y1],
];

/**
 * The shape's polygons around the origin (y grows downward), before any turn. The rng draws happen
 * in a fixed order per class, so a given rng state always gives the same shape.
 */
function shapeParts(shape: ShapeClass, side: number, rng: Rng): PolygonPart[] {
  const h = side / 2;
  switch (shape) {
    case 'circle':
      return [{ points: roundPolygon(h), hole: false }];
    case 'square': {
      const short = h * between(rng, 0.9, 1);
      const wide = rng.float() < 0.5;
      const [hx, hy] = wide ? [h, short] : [short, h];
      return [{ points: rect(-hx, -hy, hx, hy), hole: false }];
    }
    case 'triangle': {
      const height = side * between(rng, 0.8, 1);
      const apex = side * between(rng, -0.1, 0.1);
      // The triangle's own box (base to apex) is centred on the object's centre.
      return [{ points: [[apex, -height / 2], [h, height / 2], [-h, height / 2]], hole: false }];
    }
    case 'diamond': {
      const w = h * between(rng, 0.65, 1);
      return [{ points: [[0, -h], [w, 0], [0, h], [-w, 0]], hole: false }];
    }
    case 'cross': {
      const t = Math.max(1.5, side * between(rng, 0.25, 0.4)) / 2;
      // A raised bar keeps the upper arm at least as long as the bar is thick (thick crosses stay centred).
      const raise = rng.float() < 0.5 ? 0 : Math.min(side * between(rng, 0, 0.08), Math.max(0, h - 3 * t));
      const top = -raise - t;
      const bottom = -raise + t;
      // One concave 12-gon, not two overlapping bars: the centre square must count once.
      const points: Point[] = [
        [-t, -h],
        [t, -h],
        [t, top],
        [h, top],
        [h, bottom],
        [t, bottom],
        [t, h],
        [-t, h],
        [-t, bottom],
        [-h, bottom],
        [-h, top],
        [-t, top],
      ];
      return [{ points, hole: false }];
    }
    case 'ring': {
      const wall = Math.max(1.5, h * between(rng, 0.2, 0.4));
      return [
        { points: roundPolygon(h), hole: false },
        { points: roundPolygon(h - wall), hole: true },
      ];
    }
  }
}

/**
 * An object's polygons in canvas pixel coordinates: drawn at 0.85-1 of the box side, turned within
 * its class's limit, and moved to the box's centre (the box is [round(center - size / 2), ...) like
 * every other program's). Draws from rng: the side, the class's proportions, then the turn.
 */
export function objectParts(obj: SceneObject, rng: Rng): PolygonPart[] {
  const cx = Math.round(obj.center[0] - obj.size / 2) + obj.size / 2;
  const cy = Math.round(obj.center[1] - obj.size / 2) + obj.size / 2;
  const parts = shapeParts(obj.shape, obj.size * between(rng, 0.85, 1), rng);
  const maxTurn = MAX_TURN_DEG[obj.shape];
  const angle = maxTurn === 0 ? 0 : (between(rng, -maxTurn, maxTurn) * Math.PI) / 180;
  const [c, s] = [Math.cos(angle), Math.sin(angle)];
  return parts.map((part) => ({ hole: part.hole, points: part.points.map(([x, y]): Point => [cx + c * x - s * y, cy + s * x + c * y]) }));
}

/**
 * The part of a polygon on one side of an axis-aligned line (one Sutherland-Hodgman step): keeps
 * points whose coordinate `axis` is >= bound (keepAbove) or <= bound. Against a convex window the
 * result of a concave polygon may hold zero-width slivers along the line, which add no area.
 */
function clipHalfPlane(poly: readonly Point[], axis: 0 | 1, bound: number, keepAbove: boolean): Point[] {
  const out: Point[] = [];
  const inside = (p: Point): boolean => (keepAbove ? p[axis] >= bound : p[axis] <= bound);
  for (let i = 0; i < poly.length; i++) {
    const cur = poly[i]!;
    const prev = poly[(i + poly.length - 1) % poly.length]!;
    const curIn = inside(cur);
    if (curIn !== inside(prev)) {
      // The edge crosses the line: the crossing, with its clipped coordinate set exactly.
      const t = (bound - prev[axis]) / (cur[axis] - prev[axis]);
      const other = axis === 0 ? 1 : 0;
      const along = prev[other] + t * (cur[other] - prev[other]);
      out.push(axis === 0 ? [bound, along] : [along, bound]);
    }
    if (curIn) out.push(cur);
  }
  return out;
}

/** The polygon's area by the shoelace formula, unsigned (a part's corners may run either way round). */
export function polygonArea(poly: readonly Point[]): number {
  let twice = 0;
  for (let i = 0; i < poly.length; i++) {
    const [ax, ay] = poly[i]!;
    const [bx, by] = poly[(i + 1) % poly.length]!;
    twice += ax * by - bx * ay;
  }
  return Math.abs(twice) / 2;
}

/** The shape's area: outlines minus holes. */
export function partsArea(parts: readonly PolygonPart[]): number {
  return parts.reduce((sum, part) => sum + (part.hole ? -1 : 1) * polygonArea(part.points), 0);
}

/**
 * The exact area of the shape inside the pixel square [px, px + 1] x [py, py + 1], unclamped
 * (rounding may take it a hair outside [0, 1]; the renderer clamps).
 */
export function pixelCoverage(parts: readonly PolygonPart[], px: number, py: number): number {
  let area = 0;
  for (const part of parts) {
    let poly = clipHalfPlane(part.points, 0, px, true);
    if (poly.length >= 3) poly = clipHalfPlane(poly, 0, px + 1, false);
    if (poly.length >= 3) poly = clipHalfPlane(poly, 1, py, true);
    if (poly.length >= 3) poly = clipHalfPlane(poly, 1, py + 1, false);
    if (poly.length >= 3) area += (part.hole ? -1 : 1) * polygonArea(poly);
  }
  return area;
}

/** The pixels [x0, x1) x [y0, y1) that the parts' corners span, cut to the canvas. */
export function partsPixelBounds(parts: readonly PolygonPart[], canvas: number): [number, number, number, number] {
  const xs = parts.flatMap((part) => part.points.map((p) => p[0]));
  const ys = parts.flatMap((part) => part.points.map((p) => p[1]));
  return [
    Math.max(0, Math.floor(Math.min(...xs))),
    Math.max(0, Math.floor(Math.min(...ys))),
    Math.min(canvas, Math.ceil(Math.max(...xs))),
    Math.min(canvas, Math.ceil(Math.max(...ys))),
  ];
}

/** A scene drawn by this program on a canvas x canvas grey image; objects are painted in scene order. */
export function renderPolygon(scene: Scene, canvas: number, rng: Rng): RgbImage {
  const data = new Uint8Array(canvas * canvas * 3);
  for (let i = 0; i < canvas * canvas; i++) data.set(BACKGROUND_RGB, i * 3);
  for (const obj of scene.objects) {
    const parts = objectParts(obj, rng);
    const rgb = COLOR_RGB[obj.color];
    const [x0, y0, x1, y1] = partsPixelBounds(parts, canvas);
    for (let py = y0; py < y1; py++) {
      for (let px = x0; px < x1; px++) {
        const cover = Math.min(1, Math.max(0, pixelCoverage(parts, px, py)));
        if (cover === 0) continue;
        // The shape covers `cover` of the pixel; the rest keeps what was painted beneath.
        for (let k = 0; k < 3; k++) {
          const i = (py * canvas + px) * 3 + k;
          data[i] = Math.round(cover * rgb[k]! + (1 - cover) * data[i]!);
        }
      }
    }
  }
  return { width: canvas, height: canvas, data };
}
