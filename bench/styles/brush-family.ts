/**
 * The "round brush" style family: each shape drawn as a person would draw it in a painting program
 * with a round brush, a HELD-OUT style for testing a shape detector.
 *
 * This program was written apart from any detector (without reading any detector, its training
 * program, its settings or any other style family) from the world's types alone. Its settings
 * below must NOT be changed after its first score: a held-out style that is tuned to a detector's
 * score is no longer held out.
 *
 * SPEC (every setting and range; s = the object's size, the side of its box objectBox(o);
 * u(a, b) = a uniform draw in [a, b); all lengths in px; canvas coordinates: pixel (x, y) covers
 * [x, x+1) x [y, y+1) and is sampled at its centre (x + 0.5, y + 0.5); y grows downward):
 *
 *   Canvas: filled with BACKGROUND_RGB; objects drawn in scene order, each in COLOR_RGB[o.color].
 *
 *   Construction: each shape is the set of points within a brush radius of a skeleton.
 *     - filled shapes (circle, square, triangle, diamond): a convex skeleton polygon, filled, whose
 *       outline is painted with a round brush of radius r: the shape is the polygon grown by r
 *       (signed distance = signed distance to the polygon - r), so every corner is rounded with
 *       radius r.
 *     - cross: two straight brush strokes (capsules: round caps), one "horizontal", one "vertical".
 *     - ring: one closed brush stroke along an ellipse (a 48-segment polyline), radius = wall / 2.
 *
 *   Anti-aliasing: each pixel's coverage a = 1 - smoothstep(-w/2, w/2, d) with d the signed distance
 *   (negative inside) at the pixel centre and smoothstep(e0, e1, x) = t^2 (3 - 2t),
 *   t = clamp((x - e0) / (e1 - e0), 0, 1); ramp width w = u(0.6, 1.1) per object. The pixel becomes
 *   round(under * (1 - a) + colour * a) per channel (under = the background: boxes never overlap).
 *   Pixels are evaluated over the box grown by 3 px (no clipping to the box grown by 1 px: the fit
 *   below alone keeps the colour within it).
 *
 *   Fit: every shape's exact extent (skeleton extent + brush radius) lies inside the box itself, so
 *   with w/2 <= 0.55 px its colour never reaches past the box grown by 1 px. Filled shapes: the
 *   rotated skeleton is scaled so that the larger side of its bounding box plus 2 r equals 2 E,
 *   E = u(0.86, 1.0) * s / 2, then shifted so that its bounding box sits at the box centre plus a
 *   jitter uniform within the slack left on each axis (the whole shape stays in the box).
 *
 *   circle:   skeleton = ellipse (64-gon) with semi-axes (1, k), k = u(0.86, 1.0), rotated u(0, 180)
 *             degrees; brush r = u(0.04, 0.12) * s.
 *   square:   skeleton = rectangle with half-sides (1, k), k = u(0.85, 1.0), wider or taller with equal
 *             odds, rotated u(-7, 7) degrees; brush r = u(0.04, 0.12) * s (corner radius).
 *   triangle: skeleton = base from (-1, h) to (1, h), apex (c, -h): height over base h = u(0.75, 1.15),
 *             apex offset c = u(-0.35, 0.35) (in half bases from the middle); pointing up,
 *             down, left or right with equal odds, then rotated u(-10, 10) degrees more;
 *             brush r = u(0.03, 0.09) * s.
 *   diamond:  skeleton = rhombus with vertices (0, +-1), (+-k, 0), k = u(0.75, 1.0), taller or wider
 *             with equal odds, rotated u(-7, 7) degrees; brush r = u(0.03, 0.09) * s.
 *   cross:    horizontal bar thickness th = u(0.20, 0.30) * s; vertical bar thickness
 *             tv = clamp(th * u(0.85, 1.15), 0.20 s, 0.30 s); half-lengths (tip to tip / 2, caps
 *             included) Eh = u(0.90, 1.0) * s / 2 and Ev = u(0.90, 1.0) * s / 2; the horizontal bar
 *             sits at v = u(-1, 1) * max(0, min(0.12 s, Ev - th / 2 - 0.30 s)) and the vertical bar
 *             at u = u(-1, 1) * max(0, min(0.12 s, Eh - tv / 2 - 0.30 s)) from the centre, so every
 *             arm reaches at least 0.30 s beyond the other bar's edge; the whole cross rotated
 *             u(-8, 8) degrees, then scaled down (lengths and thicknesses) only if its extent would
 *             leave the box; shifted by a jitter uniform within the slack left on each axis.
 *   ring:     outer semi-axes (E, k E), E = u(0.88, 1.0) * s / 2, k = u(0.86, 1.0), rotated u(0, 180)
 *             degrees; hole ratio q = u(0.40, 0.70) (inner minor semi-axis / outer minor semi-axis);
 *             wall t = min(max(k E (1 - q), 1.3), k E - 1.45), so the wall is at least 1.3 px and
 *             the hole's smaller radius at least 1.45 px (k E >= 3.0 px at s = 8); the stroke's
 *             centre line is the ellipse (48-gon) with semi-axes (E - t/2, k E - t/2), brush radius
 *             t / 2; its centre is the box centre shifted by a jitter uniform in +-(s/2 - E) on each axis.
 *
 *   Random draws per object, in this order (rng.float() each, but the triangle's direction
 *   rng.int(0, 3)): w, then
 *     circle:   E, k, rotation, r, jitter x, jitter y
 *     square:   E, k, taller (float < 0.5), rotation, r, jitter x, jitter y
 *     triangle: E, h, c, direction (0 up, 1 right, 2 down, 3 left), extra rotation, r, jitter x, jitter y
 *     diamond:  E, k, taller (float < 0.5), rotation, r, jitter x, jitter y
 *     cross:    th, tv factor, Eh, Ev, v offset, u offset, rotation, jitter x, jitter y
 *     ring:     E, k, rotation, q, jitter x, jitter y
 *   (a jitter whose interval is empty takes its midpoint and draws nothing). Deterministic given the
 *   rng state: the same state draws the same image.
 *   Meant for sizes 8-12 px (32 px canvas) and 16-24 px (64 px canvas).
 */
import type { Rng } from '../../daemon/util/random';
import { BACKGROUND_RGB, COLOR_RGB } from '../../daemon/world/definition';
import type { RgbImage } from '../../daemon/world/render';
import { objectBox, type Scene, type SceneObject } from '../../daemon/world/scene';

export type Pt = readonly [number, number];

/** A brush stroke: the points within `radius` of a polyline (closed: its last point joins its first). */
export interface Stroke {
  path: Pt[];
  closed: boolean;
  radius: number;
}

/** One object's drawing, in canvas coordinates. */
export interface BrushPlan {
  /** A filled convex polygon (empty when the shape is strokes only), grown by `fillBrush`. */
  fill: Pt[];
  fillBrush: number;
  /** Brush strokes (cross: [horizontal bar, vertical bar]; ring: [the closed centre line]). */
  strokes: Stroke[];
  /** Width of the anti-aliasing ramp in px. */
  ramp: number;
  /** The figure's centre: the ring's centre, the cross's crossing point, else its bounding-box centre. */
  centre: Pt;
  /** The figure's rotation in radians (the cross's bars run along (cos, sin) and (-sin, cos)). */
  angle: number;
}

const DEG = Math.PI / 180;
const uniform = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng.float();
const rotate = ([x, y]: Pt, a: number): Pt => [x * Math.cos(a) - y * Math.sin(a), x * Math.sin(a) + y * Math.cos(a)];

function ellipsePoints(a: number, b: number, n: number): Pt[] {
  return Array.from({ length: n }, (_, i): Pt => [a * Math.cos((2 * Math.PI * i) / n), b * Math.sin((2 * Math.PI * i) / n)]);
}

/** A jitter uniform in [lo, hi] (0 when the interval is empty). */
const jitter = (rng: Rng, lo: number, hi: number): number => (hi > lo ? uniform(rng, lo, hi) : (lo + hi) / 2);

/**
 * Scales the (already rotated) skeleton so that the larger side of its bounding box plus 2 * brush is
 * 2E, and places its bounding box at the box centre plus a jitter within the slack on each axis.
 */
function fitPolygon(rng: Rng, rotated: Pt[], brush: number, e: number, s: number, cx: number, cy: number): { poly: Pt[]; centre: Pt } {
  const xs = rotated.map((p) => p[0]);
  const ys = rotated.map((p) => p[1]);
  const [minx, maxx, miny, maxy] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const k = (2 * e - 2 * brush) / Math.max(maxx - minx, maxy - miny);
  const hx = ((maxx - minx) * k) / 2 + brush;
  const hy = ((maxy - miny) * k) / 2 + brush;
  const jx = jitter(rng, -(s / 2 - hx), s / 2 - hx);
  const jy = jitter(rng, -(s / 2 - hy), s / 2 - hy);
  const ox = cx + jx - ((minx + maxx) / 2) * k;
  const oy = cy + jy - ((miny + maxy) / 2) * k;
  return { poly: rotated.map(([x, y]): Pt => [ox + x * k, oy + y * k]), centre: [cx + jx, cy + jy] };
}

/**
 * Draws one object's random parameters (consuming rng in a fixed order) and returns its drawing.
 * renderBrush calls it once per object in scene order, so a copy of the rng state replays the plans.
 */
export function planBrush(o: SceneObject, rng: Rng): BrushPlan {
  const [x0, y0, x1, y1] = objectBox(o);
  const s = o.size;
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const ramp = uniform(rng, 0.6, 1.1);
  const filled = (skeleton: Pt[], angle: number, brush: number, e: number): BrushPlan => {
    const { poly, centre } = fitPolygon(rng, skeleton.map((p) => rotate(p, angle)), brush, e, s, cx, cy);
    return { fill: poly, fillBrush: brush, strokes: [], ramp, centre, angle };
  };
  switch (o.shape) {
    case 'circle': {
      const e = (uniform(rng, 0.86, 1.0) * s) / 2;
      const k = uniform(rng, 0.86, 1.0);
      const angle = uniform(rng, 0, 180) * DEG;
      const brush = uniform(rng, 0.04, 0.12) * s;
      return filled(ellipsePoints(1, k, 64), angle, brush, e);
    }
    case 'square': {
      const e = (uniform(rng, 0.86, 1.0) * s) / 2;
      const k = uniform(rng, 0.85, 1.0);
      const tall = rng.float() < 0.5;
      const angle = uniform(rng, -7, 7) * DEG;
      const brush = uniform(rng, 0.04, 0.12) * s;
      const [hx, hy] = tall ? [k, 1] : [1, k];
      return filled(
        [
          [-hx, -hy],
          [hx, -hy],
          [hx, hy],
          [-hx, hy],
        ],
        angle,
        brush,
        e,
      );
    }
    case 'triangle': {
      const e = (uniform(rng, 0.86, 1.0) * s) / 2;
      const h = uniform(rng, 0.75, 1.15);
      const c = uniform(rng, -0.35, 0.35);
      const direction = rng.int(0, 3) * 90; // 0 up, 90 right, 180 down, 270 left (y grows downward)
      const angle = (direction + uniform(rng, -10, 10)) * DEG;
      const brush = uniform(rng, 0.03, 0.09) * s;
      return filled(
        [
          [-1, h],
          [1, h],
          [c, -h],
        ],
        angle,
        brush,
        e,
      );
    }
    case 'diamond': {
      const e = (uniform(rng, 0.86, 1.0) * s) / 2;
      const k = uniform(rng, 0.75, 1.0);
      const tall = rng.float() < 0.5;
      const angle = uniform(rng, -7, 7) * DEG;
      const brush = uniform(rng, 0.03, 0.09) * s;
      const [hx, hy] = tall ? [k, 1] : [1, k];
      return filled(
        [
          [0, -hy],
          [hx, 0],
          [0, hy],
          [-hx, 0],
        ],
        angle,
        brush,
        e,
      );
    }
    case 'cross': {
      const th = uniform(rng, 0.2, 0.3) * s;
      const tv = Math.min(Math.max(th * uniform(rng, 0.85, 1.15), 0.2 * s), 0.3 * s);
      const eh = (uniform(rng, 0.9, 1.0) * s) / 2;
      const ev = (uniform(rng, 0.9, 1.0) * s) / 2;
      const yOff = uniform(rng, -1, 1) * Math.max(0, Math.min(0.12 * s, ev - th / 2 - 0.3 * s));
      const xOff = uniform(rng, -1, 1) * Math.max(0, Math.min(0.12 * s, eh - tv / 2 - 0.3 * s));
      const angle = uniform(rng, -8, 8) * DEG;
      // Local frame centred on the box centre: the bars, then the rotation.
      let bars: Stroke[] = [
        { path: [rotate([-eh + th / 2, yOff], angle), rotate([eh - th / 2, yOff], angle)], closed: false, radius: th / 2 },
        { path: [rotate([xOff, -ev + tv / 2], angle), rotate([xOff, ev - tv / 2], angle)], closed: false, radius: tv / 2 },
      ];
      let crossing = rotate([xOff, yOff], angle);
      const reach = Math.max(...bars.flatMap((b) => b.path.flatMap(([x, y]) => [Math.abs(x) + b.radius, Math.abs(y) + b.radius])));
      if (reach > s / 2) {
        const k = s / 2 / reach;
        bars = bars.map((b) => ({ path: b.path.map(([x, y]): Pt => [x * k, y * k]), closed: false, radius: b.radius * k }));
        crossing = [crossing[0] * k, crossing[1] * k];
      }
      const lo = (axis: 0 | 1): number => Math.min(...bars.flatMap((b) => b.path.map((p) => p[axis] - b.radius)));
      const hi = (axis: 0 | 1): number => Math.max(...bars.flatMap((b) => b.path.map((p) => p[axis] + b.radius)));
      const jx = jitter(rng, -s / 2 - lo(0), s / 2 - hi(0));
      const jy = jitter(rng, -s / 2 - lo(1), s / 2 - hi(1));
      const move = ([x, y]: Pt): Pt => [cx + jx + x, cy + jy + y];
      return { fill: [], fillBrush: 0, strokes: bars.map((b) => ({ ...b, path: b.path.map(move) })), ramp, centre: move(crossing), angle };
    }
    case 'ring': {
      const e = (uniform(rng, 0.88, 1.0) * s) / 2;
      const k = uniform(rng, 0.86, 1.0);
      const angle = uniform(rng, 0, 180) * DEG;
      const q = uniform(rng, 0.4, 0.7);
      const wall = Math.min(Math.max(k * e * (1 - q), 1.3), k * e - 1.45);
      const jx = jitter(rng, -(s / 2 - e), s / 2 - e);
      const jy = jitter(rng, -(s / 2 - e), s / 2 - e);
      const centre: Pt = [cx + jx, cy + jy];
      const path = ellipsePoints(e - wall / 2, k * e - wall / 2, 48).map((p): Pt => {
        const [x, y] = rotate(p, angle);
        return [centre[0] + x, centre[1] + y];
      });
      return { fill: [], fillBrush: 0, strokes: [{ path, closed: true, radius: wall / 2 }], ramp, centre, angle };
    }
  }
}

function segmentDistance(px: number, py: number, a: Pt, b: Pt): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.max(0, Math.min(1, ((px - a[0]) * dx + (py - a[1]) * dy) / len2)) : 0;
  return Math.hypot(px - a[0] - t * dx, py - a[1] - t * dy);
}

/** Signed distance to a convex polygon (either orientation): negative inside. */
function convexDistance(px: number, py: number, poly: Pt[]): number {
  let d = Infinity;
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i]!;
    const b = poly[(i + 1) % poly.length]!;
    d = Math.min(d, segmentDistance(px, py, a, b));
    const cross = (b[0] - a[0]) * (py - a[1]) - (b[1] - a[1]) * (px - a[0]);
    if (cross > 0) pos++;
    else if (cross < 0) neg++;
  }
  return pos === 0 || neg === 0 ? -d : d;
}

/** The plan's signed distance at a point (negative inside the painted shape). */
export function brushDistance(plan: BrushPlan, px: number, py: number): number {
  let d = plan.fill.length > 0 ? convexDistance(px, py, plan.fill) - plan.fillBrush : Infinity;
  for (const stroke of plan.strokes) {
    const n = stroke.path.length;
    for (let i = 0; i < (stroke.closed ? n : n - 1); i++) d = Math.min(d, segmentDistance(px, py, stroke.path[i]!, stroke.path[(i + 1) % n]!) - stroke.radius);
  }
  return d;
}

/** Coverage in [0, 1] from a signed distance: 1 - smoothstep(-w/2, w/2, d). */
function coverage(d: number, w: number): number {
  const t = Math.min(1, Math.max(0, (d + w / 2) / w));
  return 1 - t * t * (3 - 2 * t);
}

/** Draws a scene in the round-brush style onto a canvas x canvas image (see the spec above). */
export function renderBrush(scene: Scene, canvas: number, rng: Rng): RgbImage {
  const data = new Uint8Array(canvas * canvas * 3);
  for (let i = 0; i < canvas * canvas; i++) data.set(BACKGROUND_RGB, i * 3);
  for (const o of scene.objects) {
    const plan = planBrush(o, rng);
    const rgb = COLOR_RGB[o.color];
    const [x0, y0, x1, y1] = objectBox(o);
    // Evaluated over the box grown by 3 px (not clipped to the box grown by 1 px): the fit alone keeps the colour in.
    for (let y = Math.max(0, y0 - 3); y < Math.min(canvas, y1 + 3); y++) {
      for (let x = Math.max(0, x0 - 3); x < Math.min(canvas, x1 + 3); x++) {
        const a = coverage(brushDistance(plan, x + 0.5, y + 0.5), plan.ramp);
        if (a <= 0) continue;
        const i = (y * canvas + x) * 3;
        for (let ch = 0; ch < 3; ch++) data[i + ch] = Math.round(data[i + ch]! * (1 - a) + rgb[ch]! * a);
      }
    }
  }
  return { width: canvas, height: canvas, data };
}
