/**
 * The paint family: shapes as an old (1990s) bitmap paint program draws them, with hard edges,
 * corner points snapped to whole pixels, a scanline polygon filler and a midpoint-style ellipse.
 *
 * WRITTEN APART FROM ANY DETECTOR: this file was written without reading any detector, its training data or any other drawing program; its settings must not change after its first score.
 *
 * SPEC
 * Units and grid. Pixels; y grows downward. Pixel (x, y) is the unit square [x, x+1) x [y, y+1)
 * with its centre at (x + 0.5, y + 0.5). The canvas is `canvas` x `canvas`, filled with
 * BACKGROUND_RGB. Objects are drawn in the order of scene.objects, each in exactly
 * COLOR_RGB[color] (a pixel is that colour or left untouched: no blending). An object's box is
 * objectBox(obj) = [x0, y0, x0 + s, y0 + s), s = obj.size; nothing is drawn outside it (nor off the
 * canvas). round(v) below is floor(v + 0.5); clamp(v, lo, hi) is min(hi, max(lo, v)).
 *
 * Random draws. Every object, whatever its class, takes exactly eight rng.float() values u1..u8,
 * in this order, before the next object's:
 *   u1 fill      E = s * (0.85 + 0.15 u1), the extent of the shape's bounding box
 *   u2, u3       centre offset: (bx, by) = (x0 + s/2 + u2 - 0.5, y0 + s/2 + u3 - 0.5)
 *   u4 aspect    q = lo + (hi - lo) u4 (width / height); W = E min(1, q), H = E min(1, 1/q)
 *                ranges: square, cross [0.9, 1.1]; diamond [0.82, 1.18]; triangle [0.8, 1.0];
 *                circle, ring [0.92, 1.08] when s >= 10, q = 1 when s < 10 (u4 drawn, unused)
 *   u5 tilt      angle = (2 u5 - 1) T degrees, T = 0 when s < 10, else square 1.5, triangle 3,
 *                diamond 6, cross 0 below 14 px and 3 from 14 px; circle and ring never turn (u5
 *                drawn, unused)
 *   u6           class parameter: triangle apex shift, cross bar thickness, ring wall (drawn, unused
 *                by square, diamond, circle)
 *   u7, u8       cross only: where the bars cross (drawn, unused by the other classes)
 *
 * Polygons (square, triangle, diamond, cross). Corner points are first laid out in local
 * coordinates (origin at the unrotated bounding box's centre, W x H), then turned by `angle`
 * (x' = x cos - y sin, y' = x sin + y cos: clockwise on screen, about the origin); the turned
 * points (all of the object's, both bars for a cross) are scaled about the centre of their common
 * bounding box by k and moved so that centre lands on (bx, by); k = 1 when angle = 0, else
 * min(1, E / box width, E / box height), so that a turned shape still spans at most E. Each point is
 * then snapped, (round(x), round(y)), and clamped into [x0, x0 + s] x [y0, y0 + s].
 *   square    the rectangle (+-W/2, +-H/2).
 *   triangle  pointing up: apex (a, -H/2) with a = (u6 - 0.5) 0.2 W, base (-W/2, H/2), (W/2, H/2).
 *   diamond   s >= 10: the edge midpoints (0, -H/2), (W/2, 0), (0, H/2), (-W/2, 0).
 *             s < 10: (0, -r), (r, 0), (0, r), (-r, 0), r = min(floor(s/2), round(E/2)) (equal whole
 *             half-diagonals; the aspect draw is unused).
 *   cross     a plus of two bars, two rectangles (4 corners each, turned, scaled, snapped and
 *             filled one after the other: the cross is their union). Bar thickness
 *             t = max(1, f min(W, H)), f = 0.16 + 0.12 u6 when s < 10, else 0.18 + 0.12 u6. Arms are
 *             at least m = max(2, 0.25 min(W, H)) long beyond the other bar; the vertical bar's centre
 *             sits at cx = (u7 - 0.5) 2 min(0.07 W, max(0, (W - t)/2 - m)), the horizontal bar's at
 *             cy = (u8 - 0.5) 2 min(0.07 H, max(0, (H - t)/2 - m)). Vertical bar [cx - t/2, cx + t/2] x
 *             [-H/2, H/2], horizontal bar [-W/2, W/2] x [cy - t/2, cy + t/2].
 * Filling (scanline, even-odd). For each pixel row y the line Y = y + 0.5 is cut with every edge
 * whose end points lie on either side of it (end points are whole numbers, so Y never meets one
 * and horizontal edges never count); the crossings are sorted and paired, and in each pair
 * [XL, XR) the pixels whose centres satisfy XL <= x + 0.5 < XR are filled (left edge in, right
 * edge out: the top-left convention; top and bottom never tie).
 *
 * Ellipses (circle, ring), no tilt. Diameters Dx = max(3, round(W)), Dy = max(3, round(H)); the
 * bounding box's left and top corner is snapped to whole pixels, L = round(bx - Dx/2) and
 * T = round(by - Dy/2), clamped into [x0, x0 + s - Dx] and [y0, y0 + s - Dy]. In half-pixel units
 * the centre is (2L + Dx, 2T + Dy), and pixel (x, y) is inside an ellipse of diameters (A, B) when
 * the midpoint algorithm's decision, taken on the pixel's centre, says so (integers only; ties in):
 *   (2x + 1 - 2L - Dx)^2 B^2 + (2y + 1 - 2T - Dy)^2 A^2 <= A^2 B^2.
 *   circle    the ellipse (Dx, Dy).
 *   ring      the ellipse (Dx, Dy) minus its hole: the ellipse (Dx - 2w, Dy - 2w) on the same centre,
 *             wall w = clamp(round(min(Dx, Dy) (0.14 + 0.12 u6)), 1, floor((min(Dx, Dy) - 3) / 2)).
 *             A hole pixel with any of its 8 neighbours outside the outer ellipse stays coloured, so
 *             the wall is closed everywhere, at least one pixel thick.
 */
import { BACKGROUND_RGB, COLOR_RGB, type ShapeClass } from '../../daemon/world/definition';
import type { Rng } from '../../daemon/util/random';
import type { RgbImage } from '../../daemon/world/render';
import { objectBox, type Scene, type SceneObject } from '../../daemon/world/scene';

type Point = [number, number];

/** The eight per-object draws, named after their use. */
interface Draws {
  fill: number;
  offX: number;
  offY: number;
  aspect: number;
  tilt: number;
  param: number;
  crossX: number;
  crossY: number;
}

/** Always eight draws, in one order, so one object's class never shifts the next object's numbers. */
function drawNumbers(rng: Rng): Draws {
  const u = Array.from({ length: 8 }, () => rng.float());
  return { fill: u[0]!, offX: u[1]!, offY: u[2]!, aspect: u[3]!, tilt: u[4]!, param: u[5]!, crossX: u[6]!, crossY: u[7]! };
}

/** floor(v + 0.5): one rounding rule everywhere, so a re-implementation ties the same way. */
const snap = (v: number): number => Math.floor(v + 0.5);
const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
const rectangle = (l: number, t: number, r: number, b: number): Point[] => [
  [l, t],
  [r, t],
  [r, b],
  [l, b],
];

const ASPECT: Readonly<Record<ShapeClass, [number, number]>> = {
  circle: [0.92, 1.08],
  ring: [0.92, 1.08],
  square: [0.9, 1.1],
  cross: [0.9, 1.1],
  diamond: [0.82, 1.18],
  triangle: [0.8, 1.0],
};

/**
 * Largest tilt in degrees. Nothing below 10 px turns: there a turned square or triangle snaps into a
 * lump with a one-pixel foot, a turned diamond into a blob. A turned bar of two or three pixels snaps
 * into a stair whose step reads as a stray tail or eats an arm, so crosses stay upright below 14 px.
 * Above that, squares turn least, then triangles and crosses: a turned straight edge snaps into a
 * one-pixel step halfway along, which makes a square look sheared or tabbed and a base grow a foot,
 * while a diamond's slanted edges are stairs anyway.
 */
function maxTilt(shape: ShapeClass, size: number): number {
  if (size < 10 || (shape === 'cross' && size < 14)) return 0;
  switch (shape) {
    case 'square':
      return 1.5;
    case 'triangle':
      return 3;
    case 'diamond':
      return 6;
    case 'cross':
      return 3;
    default:
      return 0;
  }
}

class Painter {
  constructor(
    private readonly image: RgbImage,
    private readonly rgb: readonly number[],
    private readonly box: readonly [number, number, number, number],
  ) {}

  /** Sets one pixel, silently dropping any outside the object's box or the canvas. */
  plot(x: number, y: number): void {
    const [x0, y0, x1, y1] = this.box;
    if (x < x0 || x >= x1 || y < y0 || y >= y1) return;
    if (x < 0 || y < 0 || x >= this.image.width || y >= this.image.height) return;
    this.image.data.set(this.rgb, (y * this.image.width + x) * 3);
  }

  /** Even-odd scanline fill of a polygon with whole-number corners, sampled at pixel centres. */
  fillPolygon(points: readonly Point[]): void {
    const ys = points.map((p) => p[1]);
    for (let y = Math.min(...ys); y < Math.max(...ys); y++) {
      const scan = y + 0.5;
      const xs: number[] = [];
      points.forEach(([ax, ay], i) => {
        const [bx, by] = points[(i + 1) % points.length]!;
        // Corners are whole numbers and the scan line is not, so no corner is ever hit twice.
        if ((ay < scan) !== (by < scan)) xs.push(ax + ((scan - ay) * (bx - ax)) / (by - ay));
      });
      xs.sort((a, b) => a - b);
      for (let i = 0; i + 1 < xs.length; i += 2) {
        const last = Math.ceil(xs[i + 1]! - 0.5);
        for (let x = Math.ceil(xs[i]! - 0.5); x < last; x++) this.plot(x, y);
      }
    }
  }
}

/**
 * The shape's polygons (one, or two bars for a cross) in local coordinates, origin at the centre of
 * its W x H box, before turning.
 */
function outline(shape: ShapeClass, w: number, h: number, size: number, d: Draws): Point[][] {
  switch (shape) {
    case 'square':
      return [rectangle(-w / 2, -h / 2, w / 2, h / 2)];
    case 'triangle': {
      // A slightly leaning apex: hand-drawn triangles are rarely exactly isosceles.
      const apex = (d.param - 0.5) * 0.2 * w;
      return [
        [
          [apex, -h / 2],
          [w / 2, h / 2],
          [-w / 2, h / 2],
        ],
      ];
    }
    case 'diamond': {
      if (size < 10) {
        // Equal whole half-diagonals give 45-degree edges through pixel corners (rows 1, 3, 5, ...);
        // any other small diamond snaps into an octagonal blob.
        const r = Math.min(Math.floor(size / 2), snap(Math.max(w, h) / 2));
        return [
          [
            [0, -r],
            [r, 0],
            [0, r],
            [-r, 0],
          ],
        ];
      }
      return [
        [
          [0, -h / 2],
          [w / 2, 0],
          [0, h / 2],
          [-w / 2, 0],
        ],
      ];
    }
    case 'cross': {
      const short = Math.min(w, h);
      // Thinner bars when small, so that four arms (not a blob) remain after snapping.
      const t = Math.max(1, short * (size < 10 ? 0.16 + 0.12 * d.param : 0.18 + 0.12 * d.param));
      // Every arm keeps at least m beyond the other bar; snapping never shortens a whole-pixel gap.
      const m = Math.max(2, 0.25 * short);
      const cx = (d.crossX - 0.5) * 2 * Math.min(0.07 * w, Math.max(0, (w - t) / 2 - m));
      const cy = (d.crossY - 0.5) * 2 * Math.min(0.07 * h, Math.max(0, (h - t) / 2 - m));
      // Two bars, each snapped and filled on its own: one twelve-corner outline would snap its inner
      // corners apart from its arms' edges and leave notches beside the crossing.
      return [rectangle(cx - t / 2, -h / 2, cx + t / 2, h / 2), rectangle(-w / 2, cy - t / 2, w / 2, cy + t / 2)];
    }
    default:
      throw new Error(`paint: ${shape} is not a polygon`);
  }
}

function drawPolygon(painter: Painter, obj: SceneObject, d: Draws, e: number, w: number, h: number, bx: number, by: number): void {
  const [x0, y0] = objectBox(obj);
  const angle = (((2 * d.tilt - 1) * maxTilt(obj.shape, obj.size)) * Math.PI) / 180;
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  const turned = outline(obj.shape, w, h, obj.size, d).map((poly) => poly.map(([x, y]): Point => [x * cos - y * sin, x * sin + y * cos]));
  const xs = turned.flat().map((p) => p[0]);
  const ys = turned.flat().map((p) => p[1]);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  // Turning widens the box; shrink back so the turned shape still spans at most E. An upright shape
  // keeps its size, so that a small diamond's whole half-diagonals stay whole.
  const k = angle === 0 ? 1 : Math.min(1, e / (maxX - minX), e / (maxY - minY));
  const [mx, my] = [(minX + maxX) / 2, (minY + maxY) / 2];
  for (const poly of turned) {
    const snapped = poly.map(([x, y]): Point => [
      clamp(snap(bx + (x - mx) * k), x0, x0 + obj.size),
      clamp(snap(by + (y - my) * k), y0, y0 + obj.size),
    ]);
    painter.fillPolygon(snapped);
  }
}

function drawEllipse(painter: Painter, obj: SceneObject, d: Draws, w: number, h: number, bx: number, by: number): void {
  const [x0, y0] = objectBox(obj);
  const s = obj.size;
  const dx = Math.max(3, snap(w));
  const dy = Math.max(3, snap(h));
  const left = clamp(snap(bx - dx / 2), x0, x0 + s - dx);
  const top = clamp(snap(by - dy / 2), y0, y0 + s - dy);
  // Centre in half-pixel units, so every test below is exact integer arithmetic.
  const [c2x, c2y] = [2 * left + dx, 2 * top + dy];
  const inside = (x: number, y: number, a: number, b: number): boolean =>
    (2 * x + 1 - c2x) ** 2 * b * b + (2 * y + 1 - c2y) ** 2 * a * a <= a * a * b * b;
  const wall = obj.shape === 'ring' ? clamp(snap(Math.min(dx, dy) * (0.14 + 0.12 * d.param)), 1, Math.floor((Math.min(dx, dy) - 3) / 2)) : 0;
  const inHole = (x: number, y: number): boolean => {
    if (wall === 0 || !inside(x, y, dx - 2 * wall, dy - 2 * wall)) return false;
    // A hole pixel touching the outside, even at a corner, would open a gap in the wall.
    for (let j = -1; j <= 1; j++) for (let i = -1; i <= 1; i++) if (!inside(x + i, y + j, dx, dy)) return false;
    return true;
  };
  for (let y = top; y < top + dy; y++) {
    for (let x = left; x < left + dx; x++) if (inside(x, y, dx, dy) && !inHole(x, y)) painter.plot(x, y);
  }
}

export function renderPaint(scene: Scene, canvas: number, rng: Rng): RgbImage {
  const image: RgbImage = { width: canvas, height: canvas, data: new Uint8Array(canvas * canvas * 3) };
  for (let i = 0; i < canvas * canvas; i++) image.data.set(BACKGROUND_RGB, i * 3);
  for (const obj of scene.objects) {
    const d = drawNumbers(rng);
    const [x0, y0] = objectBox(obj);
    const s = obj.size;
    const e = s * (0.85 + 0.15 * d.fill);
    const [lo, hi] = ASPECT[obj.shape];
    // Below 10 px a one-pixel difference between two diameters already reads as a flat blob.
    const round = (obj.shape === 'circle' || obj.shape === 'ring') && s < 10;
    const q = round ? 1 : lo + (hi - lo) * d.aspect;
    const [w, h] = [e * Math.min(1, q), e * Math.min(1, 1 / q)];
    const [bx, by] = [x0 + s / 2 + d.offX - 0.5, y0 + s / 2 + d.offY - 0.5];
    const painter = new Painter(image, COLOR_RGB[obj.color], objectBox(obj));
    if (obj.shape === 'circle' || obj.shape === 'ring') drawEllipse(painter, obj, d, w, h, bx, by);
    else drawPolygon(painter, obj, d, e, w, h, bx, by);
  }
  return image;
}
