/**
 * The pixel-art family: shapes drawn the way a person draws small shapes in a simple paint program,
 * with integer raster algorithms instead of continuous geometry. It exists to test a shape detector
 * on images it has never seen; it was written apart from any detector, by a session that never read
 * how a detector reads shapes, and none of its settings was chosen against one. Its settings are
 * not to be changed after its first score (a change would fit it to the detector after the fact).
 *
 * Tools (each object drawn alone into its own alpha stamp, then blended over the canvas, clipped):
 * - circle: a filled midpoint (Bresenham) ellipse: integer radii rx, ry, traced quadrant by quadrant
 *   with the classic two-region decision variable; an even width or height is drawn by splitting the
 *   centre (the right or lower half moved one pixel), as paint programs do.
 * - ring: the same filled ellipse minus a smaller one at the same centre (radii less the wall): an
 *   outline of a whole number of pixels with an open hole.
 * - triangle, diamond: convex polygons with vertices on the half-pixel grid, scanline-filled with one
 *   pixel-centre rule (a pixel is in when its centre is on or right of the left edge and strictly
 *   left of the right edge; a scanline through a vertex takes the edges that start there, top-left).
 * - square: an axis-aligned rectangle of whole pixels, sometimes with its four corner pixels knocked off.
 * - cross: two axis-aligned bars of whole-pixel widths.
 * - pencil or smooth: most objects are hard-edged (the pencil); a smooth one also gets a one-pixel
 *   soft edge: each background pixel on a stair step of the silhouette (a pixel outside it with a
 *   silhouette pixel beside it horizontally and another vertically) is blended toward the colour by
 *   strength * n / 8, n its silhouette pixels among its 8 neighbours (a coverage estimate: a 45 degree
 *   stair corner is about 3/8 covered). The silhouette of a ring is its outer disc, so its hole stays
 *   hard. A cross is never smoothed: its edges are all straight, and the rule would take its four
 *   inner right-angled corners for stairs and fill them, rounding it toward a blob.
 *
 * Settings, per object, s the box side (objectBox; 8-12 px on 32 px canvases, 16-24 on 64):
 * - extent e: a whole number of pixels in [ceil(0.85 s), s + 1].
 * - aspect: one side (width or height, a fair coin) is e, the other e - a, a whole in [0, floor(f e)],
 *   f = 0.10 circle, ring, cross; 0.06 square; 0.15 diamond; no side under ceil(0.8 s). A diamond's
 *   sides are then made odd (one less, or one more if one less is under ceil(0.8 s); never over s + 1).
 * - triangle: width w = e; height in [max(ceil(0.8 s), e - floor(0.15 e)), e]; apex up, half a pixel
 *   above the top edge, its x the width's middle plus d half-pixels, d whole in [-round(0.2 w),
 *   round(0.2 w)] (up to 10% of w either way).
 * - ring wall t: whole pixels in [m, max(m, round(0.45 r))], m = max(r >= 4 ? 2 : 1, round(0.3 r)),
 *   r the smaller outer radius (so a 1 px wall only on 7-8 px rings), never leaving an inner radius
 *   under 1 (a hole at least 3 px across); a hole pixel must also have its 8 neighbours in the outer
 *   disc, which thickens a 1 px wall where it would otherwise step only diagonally.
 * - cross: each bar's width a whole number in [max(2, round(0.2 L)), max(2, round(0.32 L))], L the
 *   side it spans across; each bar centred, then moved by a whole number in [-floor(0.08 L), floor(0.08 L)],
 *   kept so that every arm is at least max(2, floor(0.25 L)) long.
 * - square corners knocked off: probability 0.3, only when both sides are at least 12 px.
 * - placement: the shape's rectangle centred in the box (rounded down), then moved by a whole number
 *   in [-1, 1] on each axis, clamped to the box grown by 1 px.
 * - smooth edge: probability 0.3 (never on a cross); strength uniform in [0.5, 1.0).
 * - rotation: none (a square is always axis-aligned, a diamond's corners point up, down, left, right).
 */
import { Rng } from '../../daemon/util/random';
import { BACKGROUND_RGB, COLOR_RGB, type ShapeClass } from '../../daemon/world/definition';
import type { RgbImage } from '../../daemon/world/render';
import { objectBox, type Scene, type SceneObject } from '../../daemon/world/scene';

/** An object's drawing before it meets the canvas: alpha (0-1) per pixel over a rectangle at (x0, y0). */
export interface Stamp {
  x0: number;
  y0: number;
  width: number;
  height: number;
  alpha: Float32Array;
}

/** A 0/1 grid the tools draw into, local to the shape's rectangle. */
interface Grid {
  width: number;
  height: number;
  on: Uint8Array;
}

const P_SMOOTH = 0.3;
const P_KNOCK_CORNERS = 0.3;
const KNOCK_MIN_SIDE = 12;
const ASPECT: Readonly<Record<ShapeClass, number>> = { circle: 0.1, ring: 0.1, cross: 0.1, square: 0.06, diamond: 0.15, triangle: 0 };

function newGrid(width: number, height: number): Grid {
  return { width, height, on: new Uint8Array(width * height) };
}

function setPixel(grid: Grid, x: number, y: number, value: number): void {
  if (x >= 0 && y >= 0 && x < grid.width && y < grid.height) grid.on[y * grid.width + x] = value;
}

function isOn(grid: Grid, x: number, y: number): boolean {
  return x >= 0 && y >= 0 && x < grid.width && y < grid.height && grid.on[y * grid.width + x] === 1;
}

/** Smallest integer >= a / b, for b > 0. */
function ceilDiv(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}

/**
 * Midpoint ellipse, first quadrant: for each row dy in [0, ry] the largest dx the outline reaches.
 * Integer decision variables scaled by 4 (so the textbook's quarter terms stay whole).
 */
export function ellipseSpans(rx: number, ry: number): number[] {
  const span = new Array<number>(ry + 1).fill(0);
  const [a2, b2] = [rx * rx, ry * ry];
  let [x, y] = [0, ry];
  const mark = (): void => {
    span[y] = Math.max(span[y]!, x);
  };
  // Region 1: slope shallower than -1, step x each time, y sometimes.
  let p = 4 * b2 - 4 * a2 * ry + a2;
  while (b2 * x < a2 * y) {
    mark();
    x++;
    if (p < 0) p += 4 * (2 * b2 * x + b2);
    else {
      y--;
      p += 4 * (2 * b2 * x - 2 * a2 * y + b2);
    }
  }
  // Region 2: slope steeper than -1, step y each time, x sometimes.
  p = b2 * (2 * x + 1) * (2 * x + 1) + 4 * a2 * (y - 1) * (y - 1) - 4 * a2 * b2;
  while (y >= 0) {
    mark();
    y--;
    if (p > 0) p += 4 * (a2 - 2 * a2 * y);
    else {
      x++;
      p += 4 * (2 * b2 * x - 2 * a2 * y + a2);
    }
  }
  return span;
}

/**
 * A filled ellipse of radii (rx, ry) centred on pixel (cx, cy) of the grid; ex, ey (0 or 1) split the
 * centre so the ellipse is 2 rx + 1 + ex wide and 2 ry + 1 + ey tall. value 0 erases (for a ring's hole).
 */
function fillEllipse(grid: Grid, cx: number, cy: number, rx: number, ry: number, ex: number, ey: number, value: number): void {
  const span = ellipseSpans(rx, ry);
  for (let dy = 0; dy <= ry; dy++) {
    // Left half from cx back, right half from cx + ex on: the split centre column(s) filled between.
    for (let x = cx - span[dy]!; x <= cx + ex + span[dy]!; x++) {
      setPixel(grid, x, cy - dy, value);
      setPixel(grid, x, cy + ey + dy, value);
    }
  }
}

/** Radii and centre split of an ellipse that is exactly w x h pixels. */
function ellipseFit(w: number, h: number): { rx: number; ry: number; ex: number; ey: number } {
  return { rx: Math.floor((w - 1) / 2), ry: Math.floor((h - 1) / 2), ex: (w - 1) % 2, ey: (h - 1) % 2 };
}

/**
 * Scanline fill of a convex polygon whose vertices are given in half-pixel units (X = 2x): pixel
 * (x, y) is in when the scanline through its centre (Y = 2y + 1) crosses edges at L <= 2x + 1 < R.
 * An edge counts on [its top Y, its bottom Y): a vertex row takes only the edges that start there.
 */
function fillConvex(grid: Grid, vertices: readonly (readonly [number, number])[]): void {
  for (let y = 0; y < grid.height; y++) {
    const yc = 2 * y + 1;
    const hits: { num: number; den: number }[] = [];
    vertices.forEach(([xa, ya], i) => {
      const [xb, yb] = vertices[(i + 1) % vertices.length]!;
      if (ya === yb || yc < Math.min(ya, yb) || yc >= Math.max(ya, yb)) return;
      // Crossing at X = (xa (yb - yc) + xb (yc - ya)) / (yb - ya), kept as a fraction with a positive denominator.
      const sign = yb > ya ? 1 : -1;
      hits.push({ num: sign * (xa * (yb - yc) + xb * (yc - ya)), den: sign * (yb - ya) });
    });
    if (hits.length < 2) continue;
    hits.sort((p, q) => p.num * q.den - q.num * p.den);
    const [left, right] = [hits[0]!, hits[hits.length - 1]!];
    // 2x + 1 >= num / den  <=>  x >= ceil((num - den) / (2 den)); likewise the exclusive right end.
    const xFrom = ceilDiv(left.num - left.den, 2 * left.den);
    const xTo = ceilDiv(right.num - right.den, 2 * right.den);
    for (let x = xFrom; x < xTo; x++) setPixel(grid, x, y, 1);
  }
}

/** Width and height: one side e, the other shortened by up to a fraction f of e (a fair coin says which). */
function aspectSides(e: number, f: number, minSide: number, rng: Rng): [number, number] {
  const other = Math.max(minSide, e - rng.int(0, Math.floor(f * e)));
  return rng.float() < 0.5 ? [e, other] : [other, e];
}

/**
 * A diamond's side made odd (one less, or one more where one less would be under the least side), so
 * every tip is a single pixel: with two-pixel tips and a two-row middle an 8 px diamond is an octagon,
 * the same outline as a small midpoint circle.
 */
function oddSide(side: number, minSide: number): number {
  if (side % 2 === 1) return side;
  return side - 1 >= minSide ? side - 1 : side + 1;
}

function drawCircle(w: number, h: number): Grid {
  const grid = newGrid(w, h);
  const { rx, ry, ex, ey } = ellipseFit(w, h);
  fillEllipse(grid, rx, ry, rx, ry, ex, ey, 1);
  return grid;
}

/**
 * The ring's wall: 30% to 45% of the smaller radius (a thinner one reads as a circle's outline
 * rather than a ring), at least 2 px from a radius of 4 up (a 1 px wall on a 9-10 px ring, thickened
 * at its diagonal steps, came out notched like a cog), and an inner radius of at least 1.
 */
function ringWall(w: number, h: number, rng: Rng): number {
  const { rx, ry } = ellipseFit(w, h);
  const r = Math.min(rx, ry);
  const least = Math.max(r >= 4 ? 2 : 1, Math.round(0.3 * r));
  return Math.min(rng.int(least, Math.max(least, Math.round(0.45 * r))), r - 1);
}

/**
 * The outer disc less the inner one; a hole pixel must also have all 8 neighbours in the outer disc,
 * so a thin wall never meets the outside only corner to corner (a pencil ring with no diagonal gaps).
 */
function drawRing(w: number, h: number, wall: number): Grid {
  const outer = drawCircle(w, h);
  const inner = newGrid(w, h);
  const { rx, ry, ex, ey } = ellipseFit(w, h);
  fillEllipse(inner, rx, ry, rx - wall, ry - wall, ex, ey, 1);
  const grid = newGrid(w, h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!isOn(outer, x, y)) continue;
      let enclosed = isOn(inner, x, y);
      for (let dy = -1; dy <= 1 && enclosed; dy++) for (let dx = -1; dx <= 1; dx++) enclosed &&= isOn(outer, x + dx, y + dy);
      setPixel(grid, x, y, enclosed ? 0 : 1);
    }
  }
  return grid;
}

function drawSquare(w: number, h: number, knock: boolean): Grid {
  const grid = newGrid(w, h);
  grid.on.fill(1);
  if (knock) for (const [x, y] of [[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1]] as const) setPixel(grid, x, y, 0);
  return grid;
}

/**
 * Apex up, d half-pixels from the middle, half a pixel above the top edge: the first row's span is
 * then about w / (h + 1/2) >= 1 px wide, and a half-open span that wide always holds one pixel centre,
 * so the apex is never an empty row. Base along the bottom edge.
 */
function drawTriangle(w: number, h: number, d: number): Grid {
  const grid = newGrid(w, h);
  fillConvex(grid, [[w + d, -1], [2 * w, 2 * h], [0, 2 * h]]);
  return grid;
}

/**
 * Corners at the middles of the rectangle's sides. When the height is even the widest rows lie half
 * a pixel either side of the left and right corners and would come out a pixel short of the width,
 * so those corners move half a pixel out; likewise the top and bottom ones for an even width. The
 * tips are then one pixel (odd side) or two (even side), and the widest row or column spans the side.
 */
function drawDiamond(w: number, h: number): Grid {
  const grid = newGrid(w, h);
  const [ox, oy] = [1 - (h % 2), 1 - (w % 2)];
  fillConvex(grid, [[w, -oy], [2 * w + ox, h], [w, 2 * h + oy], [-ox, h]]);
  return grid;
}

/**
 * A bar's width across a side of L px, and where it starts, leaving arms of at least max(2, floor(0.25 L)).
 * Bars wider than about a third left stubby arms that made an 8 px cross read as a blob.
 */
function crossBar(side: number, rng: Rng): { from: number; width: number } {
  const width = rng.int(Math.max(2, Math.round(0.2 * side)), Math.max(2, Math.round(0.32 * side)));
  const minArm = Math.max(2, Math.floor(0.25 * side));
  const shift = Math.floor(0.08 * side);
  const centred = Math.floor((side - width) / 2);
  const from = Math.min(Math.max(centred + rng.int(-shift, shift), minArm), side - width - minArm);
  return { from, width };
}

function drawCross(w: number, h: number, rng: Rng): Grid {
  const grid = newGrid(w, h);
  const vertical = crossBar(w, rng);
  const horizontal = crossBar(h, rng);
  for (let y = 0; y < h; y++) for (let x = vertical.from; x < vertical.from + vertical.width; x++) setPixel(grid, x, y, 1);
  for (let y = horizontal.from; y < horizontal.from + horizontal.width; y++) for (let x = 0; x < w; x++) setPixel(grid, x, y, 1);
  return grid;
}

/** The shape's pixels and its silhouette (the shape with any hole filled, for the smooth edge). */
function drawShape(shape: ShapeClass, s: number, rng: Rng): { grid: Grid; silhouette: Grid } {
  const minSide = Math.ceil(0.8 * s);
  const e = rng.int(Math.ceil(0.85 * s), s + 1);
  if (shape === 'triangle') {
    const h = rng.int(Math.max(minSide, e - Math.floor(0.15 * e)), e);
    const reach = Math.round(0.2 * e);
    const grid = drawTriangle(e, h, rng.int(-reach, reach));
    return { grid, silhouette: grid };
  }
  let [w, h] = aspectSides(e, ASPECT[shape], minSide, rng);
  if (shape === 'diamond') [w, h] = [oddSide(w, minSide), oddSide(h, minSide)];
  switch (shape) {
    case 'circle':
    case 'diamond': {
      const grid = shape === 'circle' ? drawCircle(w, h) : drawDiamond(w, h);
      return { grid, silhouette: grid };
    }
    case 'ring':
      return { grid: drawRing(w, h, ringWall(w, h, rng)), silhouette: drawCircle(w, h) };
    case 'square': {
      const knock = rng.float() < P_KNOCK_CORNERS && Math.min(w, h) >= KNOCK_MIN_SIDE;
      const grid = drawSquare(w, h, knock);
      return { grid, silhouette: grid };
    }
    case 'cross': {
      const grid = drawCross(w, h, rng);
      return { grid, silhouette: grid };
    }
  }
}

/**
 * Alpha of a drawn shape: 1 on its pixels; with the smooth edge, strength * n / 8 on each stair-step
 * pixel outside the silhouette (n its silhouette neighbours of 8). Such a pixel has silhouette pixels
 * in its own row and column, so it lies within the shape's rectangle: the grid holds it.
 */
function shapeAlpha(grid: Grid, silhouette: Grid, strength: number | undefined): Float32Array {
  const alpha = Float32Array.from(grid.on);
  if (strength === undefined) return alpha;
  for (let y = 0; y < grid.height; y++) {
    for (let x = 0; x < grid.width; x++) {
      if (isOn(silhouette, x, y)) continue;
      const beside = isOn(silhouette, x - 1, y) || isOn(silhouette, x + 1, y);
      const aboveOrBelow = isOn(silhouette, x, y - 1) || isOn(silhouette, x, y + 1);
      if (!beside || !aboveOrBelow) continue;
      let n = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if ((dx || dy) && isOn(silhouette, x + dx, y + dy)) n++;
      alpha[y * grid.width + x] = (strength * n) / 8;
    }
  }
  return alpha;
}

/** Where the shape's rectangle starts on one axis: centred in the box, moved by -1..1, within the box grown by 1. */
function place(boxStart: number, s: number, side: number, rng: Rng): number {
  const centred = boxStart + Math.floor((s - side) / 2) + rng.int(-1, 1);
  return Math.min(Math.max(centred, boxStart - 1), boxStart + s + 1 - side);
}

/** One object's stamp, every random choice drawn from rng in a fixed order. */
export function objectStamp(obj: SceneObject, rng: Rng): Stamp {
  const [bx, by] = objectBox(obj);
  const { grid, silhouette } = drawShape(obj.shape, obj.size, rng);
  // Drawn for a cross too, so that every class takes the same number of draws here.
  const smooth = rng.float() < P_SMOOTH ? 0.5 + 0.5 * rng.float() : undefined;
  const strength = obj.shape === 'cross' ? undefined : smooth;
  const x0 = place(bx, obj.size, grid.width, rng);
  const y0 = place(by, obj.size, grid.height, rng);
  return { x0, y0, width: grid.width, height: grid.height, alpha: shapeAlpha(grid, silhouette, strength) };
}

/** Blends a stamp over the image toward rgb, dropping what falls outside the canvas. */
function blendStamp(image: RgbImage, stamp: Stamp, rgb: readonly number[]): void {
  for (let y = 0; y < stamp.height; y++) {
    for (let x = 0; x < stamp.width; x++) {
      const a = stamp.alpha[y * stamp.width + x]!;
      const [px, py] = [stamp.x0 + x, stamp.y0 + y];
      if (a <= 0 || px < 0 || py < 0 || px >= image.width || py >= image.height) continue;
      const i = (py * image.width + px) * 3;
      for (let c = 0; c < 3; c++) image.data[i + c] = Math.round(image.data[i + c]! + a * (rgb[c]! - image.data[i + c]!));
    }
  }
}

/** The family's renderer (a StyleRenderer): a canvas x canvas image of the scene. */
export function renderPixelart(scene: Scene, canvas: number, rng: Rng): RgbImage {
  const data = new Uint8Array(canvas * canvas * 3);
  for (let i = 0; i < canvas * canvas; i++) data.set(BACKGROUND_RGB, i * 3);
  const image = { width: canvas, height: canvas, data };
  for (const obj of scene.objects) blendStamp(image, objectStamp(obj, rng), COLOR_RGB[obj.color]);
  return image;
}
