/**
 * The marker family: every object drawn as if with a felt marker by a steady hand, a filled outline
 * whose edges wander gently (a smooth, low-frequency "hand wobble" pushed along the outline's normal),
 * with slightly random proportions and a small tilt, anti-aliased by supersampling and blended with
 * what lies beneath in linear light (sRGB decoded, mixed by coverage, encoded back), not in sRGB.
 * Fully covered pixels carry the object's exact palette colour; edge pixels are linear-light mixes
 * of that colour and the background. WRITTEN APART FROM ANY DETECTOR: this file was written without
 * reading any detector, its training data, its training styles or any other drawing program. It is a
 * held-out test of a shape detector, so its settings MUST NOT be changed after its first score (a
 * changed style is a new, unscored style: give it a new name instead).
 *
 * SPEC
 * Units: `size` is the object's box side (objectBox), `u` = canvas / 32 (one pixel on the default
 * 32 px canvas). `U(a, b)` is a + (b - a) * rng.float(); `S(m)` is U(-m, m). Coordinates are pixel
 * coordinates (pixel (x, y) covers [x, x + 1) x [y, y + 1), y grows downward), the shape built
 * around (0, 0) and moved to the box centre at the end.
 *
 * Random draws, per object, in scene order, always in this order:
 *   1. f = U(f0, 1): the drawn side D = f * size (f0 = 0.9 for rings, 0.85 for the other classes).
 *   2. rot = S(rmax) degrees: tilt (rmax: square 8, diamond 6, triangle 6, cross 8, circle 8, ring 8;
 *      a "small diamond", a diamond with size < 10 u, takes half the drawn tilt: at most 3).
 *   3. jx = S(1), jy = S(1): centre jitter, as fractions of the allowed jitter (see Fit).
 *   4. peak = size * amax * U(0.4, 1): the wobble's largest normal displacement (amax: circle 0.035,
 *      square 0.04, triangle 0.04, diamond 0.025, cross 0.035, ring 0.025; small diamonds 0.015).
 *   5. The class's proportions (below), in the order listed.
 *   6. One wobble per outline (cross: horizontal bar, then vertical bar; ring: one wobble shared by
 *      the outer and inner outline; others: one): for k = 0, 1, 2: freq_k = rng.int(L_k, L_k + 1)
 *      with L = [1, 3, 5] (circles and rings: freq_k = 2 rng.int(k, k + 1) + 1, odd frequencies
 *      1|3, 3|5, 5|7, which keep every diameter, so the wobble never makes them elliptical), then
 *      phase_k = U(0, 2 pi). Amplitudes a_k = peak * [0.55, 0.3, 0.15]_k.
 *
 * Class proportions (D = f * size):
 *   circle:   e = U(0, 0.07), axis = rng.float() < 0.5; radii (D/2, D/2 (1 - e)), the shorter one
 *             vertical when axis, else horizontal. Polygon of max(48, ceil(pi D / 0.3)) points.
 *   square:   a = U(0.94, 1), axis = rng.float() < 0.5, round = rng.float(), rr = U(0.03, 0.1);
 *             sides (D, a D) (the shorter one vertical when axis), corner radius 0 when
 *             round < 0.5, else rr * D (quarter circles of 6 segments).
 *   triangle: W = D U(0.92, 1), H = D U(0.86, 1), ox = W S(0.07); corners (ox, -H/2) apex up,
 *             (W/2, H/2), (-W/2, H/2).
 *   diamond:  H = D U(0.94, 1), W = H U(0.85, 1); corners (0, -H/2), (W/2, 0), (0, H/2), (-W/2, 0).
 *   cross:    t = D U(0.3, 0.36), hl = D U(0.9, 1), vl = D U(0.9, 1), oy = D S(0.05), ox = D S(0.05);
 *             horizontal bar [-hl/2, hl/2] x [oy - t/2, oy + t/2], vertical bar [ox - t/2, ox + t/2]
 *             x [-vl/2, vl/2]. Every arm must stick out at least m = 1.5 u + peak past the other
 *             bar: t is cut to min(hl, vl) - 2 m when larger, then |ox| <= max(0, hl/2 - t/2 - m)
 *             and |oy| <= max(0, vl/2 - t/2 - m) (clamped). The shape is the union of the bars.
 *   ring:     e = U(0, 0.06), axis = rng.float() < 0.5, w = D U(0.19, 0.25) then clamped to
 *             [1.4 u, D / 4]; outer ellipse radii as the circle's (D/2, D/2 (1 - e)), inner ellipse
 *             radii each w less; the shape is inside the outer and outside the inner outline. Both
 *             outlines use the same wobble, so the wall keeps its width w (hole >= half the outer).
 *
 * Outline: every polygon is subdivided so no edge is longer than 0.3 px, then each vertex moves
 * along its outward miter direction (the normalised sum of its two edges' outward normals) by
 * d(s) / max(cos, 0.5), where cos is the miter's dot with an edge normal (miter limit 2, so corners
 * stay sharp) and d(s) = sum_k a_k sin(2 pi freq_k s + phase_k), s the vertex's arc-length fraction
 * from the polygon's first point (boxes: the top-left corner, or the left end of its rounding;
 * triangles and diamonds: the top corner; ellipses: angle 0, the right), going clockwise on screen
 * (left to right along the top). Then every point turns by rot about (0, 0).
 *
 * Fit: the points' bounding box is centred on (0, 0); with half extents (hx, hy) and lim = size/2 +
 * 0.45 u, every point scales by k = min(1, lim / hx, lim / hy); then the shape moves to the box
 * centre (x0 + size/2, y0 + size/2) plus (jx Jx, jy Jy), Jx = max(0, min(0.05 size, lim - k hx)),
 * Jy likewise. Small diamonds instead go, unjittered, to the pixel centre floor(x0 + size/2 + jx/2)
 * + 0.5 (and likewise in y), so each of their tips falls on a single pixel and stays pointed.
 *
 * Raster: 5 x 5 samples a pixel at ((i + 0.5) / 5, (j + 0.5) / 5), even-odd inside test per
 * polygon; coverage c = inside samples / 25. Only pixels of the box grown by 1 px (and on the canvas)
 * are drawn (a hard clip). c = 1: the exact palette colour; 0 < c < 1: per channel,
 * lin = (1 - c) lin(under) + c lin(colour), with the standard sRGB curves (v = x / 255; lin(x) =
 * v / 12.92 when v <= 0.04045, else ((v + 0.055) / 1.055)^2.4; back: 12.92 l when l <= 0.0031308,
 * else 1.055 l^(1/2.4) - 0.055), written as round(255 sRGB(lin)) clamped to [0, 255]. The canvas
 * starts as BACKGROUND_RGB; objects are drawn in scene order, each over what is already there.
 */
import type { Rng } from '../../daemon/util/random';
import { BACKGROUND_RGB, COLOR_RGB, type ShapeClass } from '../../daemon/world/definition';
import type { RgbImage } from '../../daemon/world/render';
import { objectBox, type Scene, type SceneObject } from '../../daemon/world/scene';

type Pt = [number, number];
type Poly = Pt[];

/** How a shape's polygons combine: one polygon, a union (the cross), or an outline with a hole (the ring). */
interface Figure {
  polys: Poly[];
  rule: 'one' | 'union' | 'hole';
}

interface Wobble {
  amp: number[];
  freq: number[];
  phase: number[];
}

/** Samples a pixel side. */
const SUB = 5;
const F0: Readonly<Record<ShapeClass, number>> = { circle: 0.85, square: 0.85, triangle: 0.85, diamond: 0.85, cross: 0.85, ring: 0.9 };
const ROT_DEG: Readonly<Record<ShapeClass, number>> = { circle: 8, square: 8, triangle: 6, diamond: 6, cross: 8, ring: 8 };
const AMAX: Readonly<Record<ShapeClass, number>> = { circle: 0.035, square: 0.04, triangle: 0.04, diamond: 0.025, cross: 0.035, ring: 0.025 };
const WEIGHTS = [0.55, 0.3, 0.15];
const FREQ_LOW = [1, 3, 5];
const MAX_EDGE = 0.3;

const U = (rng: Rng, a: number, b: number): number => a + (b - a) * rng.float();
const S = (rng: Rng, m: number): number => U(rng, -m, m);

/**
 * A wobble of three sines. `round` (circles, rings): odd frequencies only, which leave every diameter
 * through the centre unchanged, so a hand-drawn circle gets lumpy but never elliptical.
 */
function drawWobble(rng: Rng, peak: number, round = false): Wobble {
  const w: Wobble = { amp: [], freq: [], phase: [] };
  for (let k = 0; k < 3; k++) {
    w.freq.push(round ? 2 * rng.int(k, k + 1) + 1 : rng.int(FREQ_LOW[k]!, FREQ_LOW[k]! + 1));
    w.phase.push(U(rng, 0, 2 * Math.PI));
    w.amp.push(peak * WEIGHTS[k]!);
  }
  return w;
}

const wobbleAt = (w: Wobble, s: number): number => w.amp.reduce((sum, a, k) => sum + a * Math.sin(2 * Math.PI * w.freq[k]! * s + w.phase[k]!), 0);

function ellipse(rx: number, ry: number, n: number): Poly {
  const out: Poly = [];
  for (let i = 0; i < n; i++) {
    const t = (2 * Math.PI * i) / n;
    out.push([rx * Math.cos(t), ry * Math.sin(t)]);
  }
  return out;
}

/** A w x h box around (0, 0) with corners rounded by r, from its top-left corner, clockwise on screen. */
function box(w: number, h: number, r: number): Poly {
  const x = w / 2;
  const y = h / 2;
  if (r <= 0) {
    return [
      [-x, -y],
      [x, -y],
      [x, y],
      [-x, y],
    ];
  }
  const out: Poly = [];
  // Corner centres, and each corner's arc start angle (screen angles, y down).
  const corners: [number, number, number][] = [
    [-x + r, -y + r, Math.PI],
    [x - r, -y + r, 1.5 * Math.PI],
    [x - r, y - r, 0],
    [-x + r, y - r, 0.5 * Math.PI],
  ];
  for (const [cx, cy, a0] of corners) {
    for (let i = 0; i <= 6; i++) {
      const a = a0 + (i / 6) * 0.5 * Math.PI;
      out.push([cx + r * Math.cos(a), cy + r * Math.sin(a)]);
    }
  }
  return out;
}

function subdivide(poly: Poly): Poly {
  const out: Poly = [];
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i]!;
    const b = poly[(i + 1) % poly.length]!;
    const n = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) / MAX_EDGE));
    for (let k = 0; k < n; k++) out.push([a[0] + ((b[0] - a[0]) * k) / n, a[1] + ((b[1] - a[1]) * k) / n]);
  }
  return out;
}

/** Moves each vertex along its outward miter by the wobble at its arc-length fraction. */
function wobble(poly: Poly, w: Wobble): Poly {
  const n = poly.length;
  let area = 0;
  const cum: number[] = [0];
  for (let i = 0; i < n; i++) {
    const a = poly[i]!;
    const b = poly[(i + 1) % n]!;
    area += a[0] * b[1] - b[0] * a[1];
    cum.push(cum[i]! + Math.hypot(b[0] - a[0], b[1] - a[1]));
  }
  const total = cum[n]!;
  const sign = area > 0 ? 1 : -1;
  const normal = (i: number): Pt => {
    const a = poly[((i % n) + n) % n]!;
    const b = poly[(((i + 1) % n) + n) % n]!;
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]) || 1;
    return [(sign * (b[1] - a[1])) / len, (-sign * (b[0] - a[0])) / len];
  };
  return poly.map((p, i) => {
    const n1 = normal(i - 1);
    const n2 = normal(i);
    let mx = n1[0] + n2[0];
    let my = n1[1] + n2[1];
    const ml = Math.hypot(mx, my) || 1;
    mx /= ml;
    my /= ml;
    const cos = Math.max(0.5, mx * n1[0] + my * n1[1]);
    const d = wobbleAt(w, cum[i]! / total) / cos;
    return [p[0] + mx * d, p[1] + my * d];
  });
}

const rotate = (poly: Poly, rad: number): Poly => poly.map(([x, y]) => [x * Math.cos(rad) - y * Math.sin(rad), x * Math.sin(rad) + y * Math.cos(rad)]);

/** The object's outlines in box coordinates, drawing its random numbers in the SPEC's order. */
function figure(obj: SceneObject, canvas: number, rng: Rng): Figure {
  const { shape, size } = obj;
  const u = canvas / 32;
  const f = U(rng, F0[shape], 1);
  const D = f * size;
  // Small diamonds are kept crisp: less tilt, less wobble, and (below) centred on a pixel centre.
  const smallDiamond = shape === 'diamond' && size < 10 * u;
  const rot = (S(rng, ROT_DEG[shape]) * (smallDiamond ? 0.5 : 1) * Math.PI) / 180;
  const jx = S(rng, 1);
  const jy = S(rng, 1);
  const amax = smallDiamond ? 0.015 : AMAX[shape];
  const peak = size * amax * U(rng, 0.4, 1);
  let fig: Figure;
  switch (shape) {
    case 'circle': {
      const e = U(rng, 0, 0.07);
      const axis = rng.float() < 0.5;
      const r = D / 2;
      const poly = ellipse(axis ? r : r * (1 - e), axis ? r * (1 - e) : r, Math.max(48, Math.ceil((Math.PI * D) / MAX_EDGE)));
      fig = { polys: [wobble(subdivide(poly), drawWobble(rng, peak, true))], rule: 'one' };
      break;
    }
    case 'square': {
      const a = U(rng, 0.94, 1);
      const axis = rng.float() < 0.5;
      const round = rng.float();
      const rr = U(rng, 0.03, 0.1);
      const poly = box(axis ? D : a * D, axis ? a * D : D, round < 0.5 ? 0 : rr * D);
      fig = { polys: [wobble(subdivide(poly), drawWobble(rng, peak))], rule: 'one' };
      break;
    }
    case 'triangle': {
      const W = D * U(rng, 0.92, 1);
      const H = D * U(rng, 0.86, 1);
      const ox = W * S(rng, 0.07);
      const poly: Poly = [
        [ox, -H / 2],
        [W / 2, H / 2],
        [-W / 2, H / 2],
      ];
      fig = { polys: [wobble(subdivide(poly), drawWobble(rng, peak))], rule: 'one' };
      break;
    }
    case 'diamond': {
      const H = D * U(rng, 0.94, 1);
      const W = H * U(rng, 0.85, 1);
      const poly: Poly = [
        [0, -H / 2],
        [W / 2, 0],
        [0, H / 2],
        [-W / 2, 0],
      ];
      fig = { polys: [wobble(subdivide(poly), drawWobble(rng, peak))], rule: 'one' };
      break;
    }
    case 'cross': {
      let t = D * U(rng, 0.3, 0.36);
      const hl = D * U(rng, 0.9, 1);
      const vl = D * U(rng, 0.9, 1);
      let oy = D * S(rng, 0.05);
      let ox = D * S(rng, 0.05);
      const m = 1.5 * u + peak;
      t = Math.min(t, Math.min(hl, vl) - 2 * m);
      const oxMax = Math.max(0, hl / 2 - t / 2 - m);
      const oyMax = Math.max(0, vl / 2 - t / 2 - m);
      ox = Math.max(-oxMax, Math.min(oxMax, ox));
      oy = Math.max(-oyMax, Math.min(oyMax, oy));
      const hBar = box(hl, t, 0).map(([x, y]): Pt => [x, y + oy]);
      const vBar = box(t, vl, 0).map(([x, y]): Pt => [x + ox, y]);
      const hw = drawWobble(rng, peak);
      const vw = drawWobble(rng, peak);
      fig = { polys: [wobble(subdivide(hBar), hw), wobble(subdivide(vBar), vw)], rule: 'union' };
      break;
    }
    case 'ring': {
      const e = U(rng, 0, 0.06);
      const axis = rng.float() < 0.5;
      const w = Math.min(D / 4, Math.max(1.4 * u, D * U(rng, 0.19, 0.25)));
      const r = D / 2;
      const rx = axis ? r : r * (1 - e);
      const ry = axis ? r * (1 - e) : r;
      const n = Math.max(48, Math.ceil((Math.PI * D) / MAX_EDGE));
      const wob = drawWobble(rng, peak, true);
      fig = { polys: [wobble(ellipse(rx, ry, n), wob), wobble(ellipse(rx - w, ry - w, n), wob)], rule: 'hole' };
      break;
    }
  }
  // Tilt, then fit inside the box grown by 0.45 px, then jitter within what room is left.
  const polys = fig.polys.map((p) => rotate(p, rot));
  const all = polys.flat();
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const lim = size / 2 + 0.45 * u;
  const k = Math.min(1, lim / ((maxX - minX) / 2), lim / ((maxY - minY) / 2));
  const hx = ((maxX - minX) / 2) * k;
  const hy = ((maxY - minY) / 2) * k;
  const [x0, y0] = objectBox(obj);
  let cx = x0 + size / 2 + jx * Math.max(0, Math.min(0.05 * size, lim - hx));
  let cy = y0 + size / 2 + jy * Math.max(0, Math.min(0.05 * size, lim - hy));
  if (smallDiamond) {
    // No jitter but the move to the nearest pixel centre (on the jitter's side): each tip then falls on one pixel.
    cx = Math.floor(x0 + size / 2 + 0.5 * jx) + 0.5;
    cy = Math.floor(y0 + size / 2 + 0.5 * jy) + 0.5;
  }
  const mx = (minX + maxX) / 2;
  const my = (minY + maxY) / 2;
  return { polys: polys.map((p) => p.map(([x, y]): Pt => [cx + (x - mx) * k, cy + (y - my) * k])), rule: fig.rule };
}

/** x positions where the horizontal line at y crosses the polygon, sorted. */
function crossings(poly: Poly, y: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i]!;
    const b = poly[(i + 1) % poly.length]!;
    if (a[1] <= y !== b[1] <= y) out.push(a[0] + ((y - a[1]) * (b[0] - a[0])) / (b[1] - a[1]));
  }
  return out.sort((p, q) => p - q);
}

function insideEvenOdd(xs: number[], x: number): boolean {
  let n = 0;
  for (const c of xs) {
    if (c < x) n++;
    else break;
  }
  return n % 2 === 1;
}

const toLinear = (v: number): number => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
};
const LINEAR = Array.from({ length: 256 }, (_, v) => toLinear(v));
const toSrgb8 = (lin: number): number => {
  const c = lin <= 0.0031308 ? lin * 12.92 : 1.055 * lin ** (1 / 2.4) - 0.055;
  return Math.max(0, Math.min(255, Math.round(c * 255)));
};

function drawObject(image: RgbImage, obj: SceneObject, rng: Rng): void {
  const canvas = image.width;
  const fig = figure(obj, canvas, rng);
  const [bx0, by0, bx1, by1] = objectBox(obj);
  const px0 = Math.max(0, bx0 - 1);
  const py0 = Math.max(0, by0 - 1);
  const px1 = Math.min(image.width, bx1 + 1);
  const py1 = Math.min(image.height, by1 + 1);
  const rgb = COLOR_RGB[obj.color];
  for (let py = py0; py < py1; py++) {
    const counts = new Array<number>(Math.max(0, px1 - px0)).fill(0);
    for (let j = 0; j < SUB; j++) {
      const sy = py + (j + 0.5) / SUB;
      const rows = fig.polys.map((p) => crossings(p, sy));
      for (let px = px0; px < px1; px++) {
        for (let i = 0; i < SUB; i++) {
          const sx = px + (i + 0.5) / SUB;
          let inside: boolean;
          if (fig.rule === 'one') inside = insideEvenOdd(rows[0]!, sx);
          else if (fig.rule === 'union') inside = rows.some((r) => insideEvenOdd(r, sx));
          else inside = insideEvenOdd(rows[0]!, sx) && !insideEvenOdd(rows[1]!, sx);
          if (inside) counts[px - px0]!++;
        }
      }
    }
    for (let px = px0; px < px1; px++) {
      const n = counts[px - px0]!;
      if (n === 0) continue;
      const at = (py * image.width + px) * 3;
      if (n === SUB * SUB) {
        image.data.set(rgb, at);
        continue;
      }
      const c = n / (SUB * SUB);
      for (let ch = 0; ch < 3; ch++) {
        const under = LINEAR[image.data[at + ch]!]!;
        image.data[at + ch] = toSrgb8((1 - c) * under + c * LINEAR[rgb[ch]!]!);
      }
    }
  }
}

/** Draws a scene in the marker style on a canvas x canvas image (see the SPEC above). */
export function renderMarker(scene: Scene, canvas: number, rng: Rng): RgbImage {
  const image: RgbImage = { width: canvas, height: canvas, data: new Uint8Array(canvas * canvas * 3) };
  for (let i = 0; i < canvas * canvas; i++) image.data.set(BACKGROUND_RGB, i * 3);
  for (const obj of scene.objects) drawObject(image, obj, rng);
  return image;
}
