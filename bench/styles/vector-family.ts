/**
 * "Vector" family: a held-out drawing program for the shapes world, in the style of a vector
 * illustration program. Every shape is a path (straight segments and flattened arcs), filled with
 * the nonzero winding rule and rasterised with anti-aliasing by supersampled coverage.
 *
 * WRITTEN APART FROM ANY DETECTOR: this file was written without reading any detector, its training
 * data, its training styles or its scores. It is meant as a held-out test of a shape detector, so its
 * settings below MUST NOT be changed after its first score (a changed style is a new, unscored style:
 * give it a new name instead).
 *
 * SPEC (every setting and range; U(a, b) is uniform on [a, b), all draws from the caller's rng, in
 * the order listed, per object in scene order):
 *
 *   canvas        side `canvas` px, filled with BACKGROUND_RGB.
 *   box           objectBox(o) = [x0, y0, x0 + s, y0 + s), s = o.size (8-12 px on 32 px, 16-24 on 64 px).
 *   colour        COLOR_RGB[o.color], composited over what is there with alpha = coverage:
 *                 value = round(under * (1 - a) + colour * a) per channel.
 *
 *   Shape parameters (local units, y grows downward), by class:
 *   circle        ellipse, radii 1 and q, q = exp(U(ln 0.91, ln 1.10)) (up to ~10% elliptical);
 *                 flattened to 48 segments. rotation limit 10 deg.
 *   square        rectangle 1 x q, q = exp(U(ln 0.93, ln 1.08)) (up to ~8% off square); corner radius
 *                 0 with probability 0.4, else U(0.04, 0.15) x the shorter side (each corner arc
 *                 in 6 segments).
 *                 rotation limit 8 deg.
 *   triangle      base 1 wide, height h = U(0.78, 1.10), apex x offset from the base middle
 *                 U(-0.22, 0.22); apex up with probability 0.9, else apex down (base on top).
 *                 rotation limit 10 deg.
 *   diamond       rhombus with corners up/down/left/right: width/height w = exp(U(ln 0.6, ln 1.5))
 *                 (height 1, width w); kite with probability 0.35: the left and right corners sit at
 *                 k = U(-0.15, 0.15) x height off the middle (else k = 0). rotation limit 8 deg.
 *   cross         unit square; vertical bar width bv = U(0.18, 0.40), horizontal bar width
 *                 bh = U(0.18, 0.40); vertical bar centre cx = U(-L(bv), L(bv)), horizontal bar centre
 *                 cy = U(-L(bh), L(bh)) with L(b) = min(0.20, 0.28 - b / 2). Rule: every arm reaches
 *                 at least 0.22 of the side beyond the other bar's edge (so all four arms are plain);
 *                 cy < 0 gives a Latin-like cross. Drawn as one 12-corner outline. rotation limit 10 deg.
 *   ring          outer ellipse radii 1 and q, q = exp(U(ln 0.91, ln 1.10)); wall thickness
 *                 t = U(0.15, 0.35) x radius, the hole the outer ellipse scaled by (1 - t) about the
 *                 same centre, traced the other way round (nonzero rule leaves it open); 48 segments
 *                 each. rotation limit 10 deg.
 *
 *   Placement (all classes, after the class parameters):
 *   rotation      theta = U(-limit, limit) degrees (limit above), about the shape's centre.
 *   fit           the rotated path's bounding box is scaled uniformly so that its larger side is
 *                 f x s, f = U(0.88, 1.00), and its centre is put at the box centre plus
 *                 (dx, dy), dx, dy = U(-0.5, 0.5) px each. So the path lies within the box grown by
 *                 0.5 px, and its pixels within the box grown by 1 px.
 *   sampling      21 samples a pixel on a rank-1 (Fibonacci) lattice: sample i at
 *                 (((i + 0.5) / 21 + ox) mod 1, (((13 i mod 21) + 0.5) / 21 + oy) mod 1) in the pixel,
 *                 i = 0..20, with one random toroidal shift per object (ox, oy) = (U(0, 1), U(0, 1))
 *                 (Cranley-Patterson rotation; drawn last, after dx, dy); coverage = inside
 *                 samples / 21 (nonzero winding), so 22 levels.
 *   pixels        only pixels of the box grown by 1 px (and on the canvas) are drawn.
 *
 * Objects of a sampled scene sit at least objectGap (>= 3 px) apart, so no two grown boxes meet and
 * every pixel is a blend of the background and at most one object's colour.
 * Deterministic: the same rng state gives the same image (and leaves the rng in the same state).
 */
import { BACKGROUND_RGB, COLOR_RGB, type ColorName, type ShapeClass } from '../../daemon/world/definition';
import type { RgbImage } from '../../daemon/world/render';
import { objectBox, type Scene } from '../../daemon/world/scene';
import type { Rng } from '../../daemon/util/random';

export type Pt = [number, number];
/** A path: closed subpaths (polygons), filled with the nonzero winding rule. */
export type VectorPath = Pt[][];

/** One object laid out on the canvas: its path in pixel coordinates and the parameters drawn for it. */
export interface VectorObject {
  shape: ShapeClass;
  color: ColorName;
  box: ReturnType<typeof objectBox>;
  path: VectorPath;
  /** Centre of the path's bounding box, in pixels. */
  centre: Pt;
  /** Bounding box of the path in pixels: [xmin, ymin, xmax, ymax]. */
  extent: [number, number, number, number];
  rotationDeg: number;
  /** Class parameters, by name (for the contact sheet and the checks). */
  params: Record<string, number>;
  /** Sample offset of the lattice, in [0, 1)^2. */
  sampleShift: Pt;
}

export const VECTOR_SAMPLES = 21;
const LATTICE_GEN = 13;
const ARC_SEGMENTS = 48;
const CORNER_SEGMENTS = 6;

const uniform = (rng: Rng, a: number, b: number): number => a + (b - a) * rng.float();
const logUniform = (rng: Rng, a: number, b: number): number => Math.exp(uniform(rng, Math.log(a), Math.log(b)));

/** Ellipse with radii rx, ry about the origin; clockwise on screen (y down) when `reverse` is false. */
function ellipse(rx: number, ry: number, reverse: boolean): Pt[] {
  const pts: Pt[] = [];
  for (let i = 0; i < ARC_SEGMENTS; i++) {
    const t = ((reverse ? -i : i) / ARC_SEGMENTS) * 2 * Math.PI;
    pts.push([rx * Math.cos(t), ry * Math.sin(t)]);
  }
  return pts;
}

/** Rectangle w x h about the origin with corners rounded by radius r (r = 0: sharp). */
function roundedRect(w: number, h: number, r: number): Pt[] {
  const hw = w / 2;
  const hh = h / 2;
  if (r <= 0) {
    return [
      [-hw, -hh],
      [hw, -hh],
      [hw, hh],
      [-hw, hh],
    ];
  }
  const pts: Pt[] = [];
  // corner centres in clockwise order (screen): top-right, bottom-right, bottom-left, top-left
  const corners: [number, number, number][] = [
    [hw - r, -hh + r, -Math.PI / 2],
    [hw - r, hh - r, 0],
    [-hw + r, hh - r, Math.PI / 2],
    [-hw + r, -hh + r, Math.PI],
  ];
  for (const [cx, cy, start] of corners) {
    for (let k = 0; k <= CORNER_SEGMENTS; k++) {
      const t = start + (k / CORNER_SEGMENTS) * (Math.PI / 2);
      pts.push([cx + r * Math.cos(t), cy + r * Math.sin(t)]);
    }
  }
  return pts;
}

interface LocalShape {
  path: VectorPath;
  rotationLimitDeg: number;
  params: Record<string, number>;
}

/** The class's path in local units with its random parameters (the draws listed in the header, in order). */
function localShape(shape: ShapeClass, rng: Rng): LocalShape {
  switch (shape) {
    case 'circle': {
      const q = logUniform(rng, 0.91, 1.1);
      return { path: [ellipse(1, q, false)], rotationLimitDeg: 10, params: { q } };
    }
    case 'square': {
      const q = logUniform(rng, 0.93, 1.08);
      const rounded = rng.float() >= 0.4;
      const radius = rounded ? uniform(rng, 0.04, 0.15) : 0;
      return { path: [roundedRect(1, q, radius * Math.min(1, q))], rotationLimitDeg: 8, params: { q, radius } };
    }
    case 'triangle': {
      const h = uniform(rng, 0.78, 1.1);
      const apex = uniform(rng, -0.22, 0.22);
      const up = rng.float() < 0.9;
      const s = up ? 1 : -1;
      // base along y = s*h/2, apex at y = -s*h/2
      const pts: Pt[] = [
        [apex, (-s * h) / 2],
        [0.5, (s * h) / 2],
        [-0.5, (s * h) / 2],
      ];
      return { path: [pts], rotationLimitDeg: 10, params: { h, apex, up: up ? 1 : 0 } };
    }
    case 'diamond': {
      const w = logUniform(rng, 0.6, 1.5);
      const kite = rng.float() < 0.35;
      const k = kite ? uniform(rng, -0.15, 0.15) : 0;
      const pts: Pt[] = [
        [0, -0.5],
        [w / 2, k],
        [0, 0.5],
        [-w / 2, k],
      ];
      return { path: [pts], rotationLimitDeg: 8, params: { w, k } };
    }
    case 'cross': {
      const limit = (b: number): number => Math.min(0.2, 0.28 - b / 2);
      const bv = uniform(rng, 0.18, 0.4);
      const bh = uniform(rng, 0.18, 0.4);
      const cx = uniform(rng, -limit(bv), limit(bv));
      const cy = uniform(rng, -limit(bh), limit(bh));
      const vx0 = cx - bv / 2;
      const vx1 = cx + bv / 2;
      const hy0 = cy - bh / 2;
      const hy1 = cy + bh / 2;
      const pts: Pt[] = [
        [vx0, -0.5],
        [vx1, -0.5],
        [vx1, hy0],
        [0.5, hy0],
        [0.5, hy1],
        [vx1, hy1],
        [vx1, 0.5],
        [vx0, 0.5],
        [vx0, hy1],
        [-0.5, hy1],
        [-0.5, hy0],
        [vx0, hy0],
      ];
      return { path: [pts], rotationLimitDeg: 10, params: { bv, bh, cx, cy } };
    }
    case 'ring': {
      const q = logUniform(rng, 0.91, 1.1);
      const t = uniform(rng, 0.15, 0.35);
      const inner = 1 - t;
      return { path: [ellipse(1, q, false), ellipse(inner, q * inner, true)], rotationLimitDeg: 10, params: { q, wall: t } };
    }
  }
}

/** Lays out every object of the scene (draws all random parameters, in scene order). */
export function layoutVector(scene: Scene, rng: Rng): VectorObject[] {
  return scene.objects.map((o) => {
    const box = objectBox(o);
    const s = o.size;
    const local = localShape(o.shape, rng);
    const rotationDeg = uniform(rng, -local.rotationLimitDeg, local.rotationLimitDeg);
    const f = uniform(rng, 0.88, 1.0);
    const dx = uniform(rng, -0.5, 0.5);
    const dy = uniform(rng, -0.5, 0.5);
    const sampleShift: Pt = [rng.float(), rng.float()];

    const th = (rotationDeg * Math.PI) / 180;
    const c = Math.cos(th);
    const sn = Math.sin(th);
    const rotated = local.path.map((sub) => sub.map(([x, y]): Pt => [c * x - sn * y, sn * x + c * y]));
    let xmin = Infinity;
    let ymin = Infinity;
    let xmax = -Infinity;
    let ymax = -Infinity;
    for (const sub of rotated) {
      for (const [x, y] of sub) {
        xmin = Math.min(xmin, x);
        xmax = Math.max(xmax, x);
        ymin = Math.min(ymin, y);
        ymax = Math.max(ymax, y);
      }
    }
    const scale = (f * s) / Math.max(xmax - xmin, ymax - ymin);
    const mx = (xmin + xmax) / 2;
    const my = (ymin + ymax) / 2;
    const centre: Pt = [box[0] + s / 2 + dx, box[1] + s / 2 + dy];
    const path = rotated.map((sub) => sub.map(([x, y]): Pt => [centre[0] + (x - mx) * scale, centre[1] + (y - my) * scale]));
    const extent: [number, number, number, number] = [
      centre[0] + (xmin - mx) * scale,
      centre[1] + (ymin - my) * scale,
      centre[0] + (xmax - mx) * scale,
      centre[1] + (ymax - my) * scale,
    ];
    return { shape: o.shape, color: o.color, box, path, centre, extent, rotationDeg, params: { ...local.params, fill: f }, sampleShift };
  });
}

/** Nonzero winding number test of point (px, py) against a path. */
function insidePath(path: VectorPath, px: number, py: number): boolean {
  let wn = 0;
  for (const sub of path) {
    const n = sub.length;
    for (let i = 0; i < n; i++) {
      const a = sub[i] as Pt;
      const b = sub[(i + 1) % n] as Pt;
      const side = (b[0] - a[0]) * (py - a[1]) - (px - a[0]) * (b[1] - a[1]);
      if (a[1] <= py) {
        if (b[1] > py && side > 0) wn++;
      } else if (b[1] <= py && side < 0) {
        wn--;
      }
    }
  }
  return wn !== 0;
}

/** Fraction (in 1/21 steps) of the pixel (x, y) that the path covers, on the object's shifted lattice. */
export function pixelCoverage(obj: VectorObject, x: number, y: number): number {
  const [ox, oy] = obj.sampleShift;
  let hits = 0;
  for (let i = 0; i < VECTOR_SAMPLES; i++) {
    let u = (i + 0.5) / VECTOR_SAMPLES + ox;
    let v = (((LATTICE_GEN * i) % VECTOR_SAMPLES) + 0.5) / VECTOR_SAMPLES + oy;
    u -= Math.floor(u);
    v -= Math.floor(v);
    if (insidePath(obj.path, x + u, y + v)) hits++;
  }
  return hits / VECTOR_SAMPLES;
}

/** Draws laid-out objects on a background canvas. */
export function rasteriseVector(objects: readonly VectorObject[], canvas: number): RgbImage {
  const data = new Uint8Array(canvas * canvas * 3);
  for (let i = 0; i < canvas * canvas; i++) data.set(BACKGROUND_RGB, i * 3);
  for (const obj of objects) {
    const rgb = COLOR_RGB[obj.color];
    const [bx0, by0, bx1, by1] = obj.box;
    // pixels of the box grown by 1 px that the path's extent touches, on the canvas
    const xa = Math.max(0, bx0 - 1, Math.floor(obj.extent[0]));
    const ya = Math.max(0, by0 - 1, Math.floor(obj.extent[1]));
    const xb = Math.min(canvas - 1, bx1, Math.ceil(obj.extent[2]) - 1);
    const yb = Math.min(canvas - 1, by1, Math.ceil(obj.extent[3]) - 1);
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        const a = pixelCoverage(obj, x, y);
        if (a === 0) continue;
        const at = (y * canvas + x) * 3;
        for (let k = 0; k < 3; k++) data[at + k] = Math.round((data[at + k] as number) * (1 - a) + (rgb[k] as number) * a);
      }
    }
  }
  return { width: canvas, height: canvas, data };
}

/** The family's entry point: the scene drawn in the vector style on a `canvas` px canvas. */
export function renderVector(scene: Scene, canvas: number, rng: Rng): RgbImage {
  return rasteriseVector(layoutVector(scene, rng), canvas);
}
