/**
 * What a region looks like, as numbers that do not depend on its size: the things that define the
 * six classes to a person (a ring has a hole, a cross is far from convex, a triangle is heavier at
 * its base, a diamond's mass sits along its axes and a square's in its corners), plus a coarse
 * picture of the region (its mask averaged onto a small square grid) for what the numbers miss.
 *
 * Every measure is taken in the region's own frame, so an object drawn at 8 px, 24 px or upscaled
 * 4x gives nearly the same vector; none is rotation-invariant, on purpose: a square turned 45
 * degrees is a diamond. Two measures say how crisply the region is drawn (how pure its pixels'
 * colour is): a crisp region's outline can be trusted, a blurred or noisy one's less, and the
 * classifier learns how much.
 */

import type { Region } from './segment';

/** Side of the coarse picture. */
export const GRID = 8;
/** Names of the shape measures, in the order describeShape writes them (the grid follows). */
export const SHAPE_MEASURES = [
  'aspect',
  'extent',
  'filledExtent',
  'holeFraction',
  'largestHoleFraction',
  'holeCount',
  'holeOffset',
  'solidity',
  'compactness',
  'threeCornerFit',
  'fourCornerFit',
  'fourSidesAlignment',
  'centroidX',
  'centroidY',
  'm20',
  'm02',
  'm11',
  'm30',
  'm03',
  'm21',
  'm12',
  'm40',
  'm04',
  'm22',
  'meanWeight',
  'softPixels',
  'row10',
  'row30',
  'row50',
  'row70',
  'row90',
  'column10',
  'column30',
  'column50',
  'column70',
  'column90',
] as const;
/** Where the width and height profiles are read, as fractions of the box. */
const PROFILE_AT = [0.1, 0.3, 0.5, 0.7, 0.9];
export const DESCRIPTOR_LENGTH = SHAPE_MEASURES.length + GRID * GRID;

/**
 * The enclosed background of a mask: pixels not in the mask that cannot reach the box's border
 * through other such pixels (4-neighbourhood, the complement of the region's 8-neighbourhood).
 * Returns a label per pixel: 0 mask or outside, 1 + k the k-th hole, and the holes' sizes.
 */
export function findHoles(mask: Uint8Array, w: number, h: number): { holes: Int32Array; sizes: number[] } {
  const holes = new Int32Array(w * h);
  const outside = new Uint8Array(w * h);
  const stack = new Int32Array(w * h);
  let top = 0;
  const push = (p: number): void => {
    if (!mask[p] && !outside[p]) {
      outside[p] = 1;
      stack[top++] = p;
    }
  };
  for (let x = 0; x < w; x++) {
    push(x);
    push((h - 1) * w + x);
  }
  for (let y = 0; y < h; y++) {
    push(y * w);
    push(y * w + w - 1);
  }
  const flood = (mark: (p: number) => void): void => {
    while (top > 0) {
      const p = stack[--top] as number;
      const x = p % w;
      const y = (p - x) / w;
      if (x > 0) mark(p - 1);
      if (x < w - 1) mark(p + 1);
      if (y > 0) mark(p - w);
      if (y < h - 1) mark(p + w);
    }
  };
  flood(push);
  const sizes: number[] = [];
  for (let start = 0; start < w * h; start++) {
    if (mask[start] || outside[start] || holes[start]) continue;
    const id = sizes.length + 1;
    let size = 0;
    const claim = (p: number): void => {
      if (!mask[p] && !outside[p] && !holes[p]) {
        holes[p] = id;
        size++;
        stack[top++] = p;
      }
    };
    claim(start);
    flood(claim);
    sizes.push(size);
  }
  return { holes, sizes };
}

type Point = [number, number];

/** The convex hull of a mask's pixel squares, counter-clockwise (Andrew's monotone chain over row ends). */
function convexHull(mask: Uint8Array, w: number, h: number): Point[] {
  const points: Point[] = [];
  for (let y = 0; y < h; y++) {
    let left = -1;
    let right = -1;
    for (let x = 0; x < w; x++) {
      if (!mask[y * w + x]) continue;
      if (left < 0) left = x;
      right = x;
    }
    if (left < 0) continue;
    points.push([left, y], [left, y + 1], [right + 1, y], [right + 1, y + 1]);
  }
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o: Point, a: Point, b: Point): number => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const half = (list: Point[]): Point[] => {
    const chain: Point[] = [];
    for (const p of list) {
      while (chain.length >= 2 && cross(chain[chain.length - 2]!, chain[chain.length - 1]!, p) <= 0) chain.pop();
      chain.push(p);
    }
    chain.pop();
    return chain;
  };
  return [...half(points), ...half([...points].reverse())];
}

function polygonArea(polygon: readonly Point[]): number {
  let twice = 0;
  for (let i = 0; i < polygon.length; i++) {
    const a = polygon[i]!;
    const b = polygon[(i + 1) % polygon.length]!;
    twice += a[0] * b[1] - b[0] * a[1];
  }
  return Math.abs(twice) / 2;
}

const triangleArea = (a: Point, b: Point, c: Point): number => Math.abs((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])) / 2;

/**
 * The largest triangle and the largest quadrilateral with corners on a convex polygon, as
 * fractions of its area: how well three or four corners explain the outline. A triangle fills
 * its hull with three corners, a square or a diamond with four; a disc needs many (0.41 and 0.64),
 * a half-disc or a blob falls between. For each first corner, the best corner on either side of
 * the diagonal only moves forward as the diagonal's far end does (the hull is convex), so two
 * pointers find them in O(n^2) instead of trying every triple.
 */
function cornerFits(hull: readonly Point[]): { three: number; four: number; fourSidesAlignment: number } {
  const n = hull.length;
  const area = polygonArea(hull);
  if (n < 3 || area <= 0) return { three: 1, four: 1, fourSidesAlignment: 0 };
  const at = (i: number): Point => hull[i % n]!;
  let three = 0;
  let four = 0;
  let bestQuad: Point[] = [];
  for (let i = 0; i < n; i++) {
    let j = i + 1;
    let l = i + 3;
    for (let k = i + 2; k <= i + n - 1; k++) {
      while (j + 1 < k && triangleArea(at(i), at(j + 1), at(k)) >= triangleArea(at(i), at(j), at(k))) j++;
      if (l <= k) l = k + 1;
      while (l + 1 < i + n && triangleArea(at(i), at(k), at(l + 1)) >= triangleArea(at(i), at(k), at(l))) l++;
      const sideA = triangleArea(at(i), at(j), at(k));
      const sideB = l < i + n ? triangleArea(at(i), at(k), at(l)) : 0;
      three = Math.max(three, sideA, sideB);
      if (sideA + sideB > four) {
        four = sideA + sideB;
        bestQuad = [at(i), at(j), at(k), at(l)];
      }
    }
  }
  return { three: Math.min(1, three / area), four: Math.min(1, four / area), fourSidesAlignment: sidesAlignment(bestQuad) };
}

/**
 * How the sides of a quadrilateral lie: the length-weighted mean of cos(4 x side angle), 1 when
 * they run along the axes (a square, a little turned: 0.5 at 15 degrees), -1 when they run
 * diagonally (a diamond). It reads the corners the four-corner fit found, so rounding the corners
 * or turning the shape a little moves it smoothly, where the moments mix in every pixel.
 */
function sidesAlignment(quad: readonly Point[]): number {
  let sum = 0;
  let length = 0;
  for (let i = 0; i < quad.length; i++) {
    const a = quad[i]!;
    const b = quad[(i + 1) % quad.length]!;
    const dx = b[0] - a[0];
    const dy = b[1] - a[1];
    const side = Math.hypot(dx, dy);
    if (side === 0) continue;
    sum += side * Math.cos(4 * Math.atan2(dy, dx));
    length += side;
  }
  return length > 0 ? sum / length : 0;
}

/**
 * The mask averaged onto a GRID x GRID picture of the square around its box (the box centred in
 * it, so proportions survive): each cell holds the fraction of its area the mask covers.
 */
function coarsePicture(mask: Uint8Array, w: number, h: number, out: Float32Array, offset: number): void {
  const side = Math.max(w, h);
  const cell = side / GRID;
  const x0 = (w - side) / 2;
  const y0 = (h - side) / 2;
  // Overlap of pixel [p, p + 1) with cell [c0, c0 + cell), per axis.
  const weights = (n: number, start: number): Float32Array => {
    const wts = new Float32Array(GRID * n);
    for (let c = 0; c < GRID; c++) {
      const c0 = start + c * cell;
      const c1 = c0 + cell;
      for (let p = 0; p < n; p++) wts[c * n + p] = Math.max(0, Math.min(p + 1, c1) - Math.max(p, c0));
    }
    return wts;
  };
  const wx = weights(w, x0);
  const wy = weights(h, y0);
  const rows = new Float32Array(GRID * h);
  for (let y = 0; y < h; y++) {
    for (let c = 0; c < GRID; c++) {
      let s = 0;
      for (let x = 0; x < w; x++) s += (wx[c * w + x] as number) * (mask[y * w + x] as number);
      rows[c * h + y] = s;
    }
  }
  const cellArea = cell * cell;
  for (let r = 0; r < GRID; r++) {
    for (let c = 0; c < GRID; c++) {
      let s = 0;
      for (let y = 0; y < h; y++) s += (wy[r * h + y] as number) * (rows[c * h + y] as number);
      out[offset + r * GRID + c] = s / cellArea;
    }
  }
}

/** How crisply a region is drawn: its pixels' mean colour weight, and the share of them under 0.9 (none without weights). */
function crispness(mask: Uint8Array, weights: Float32Array | undefined): { meanWeight: number; softPixels: number } {
  let area = 0;
  let weightSum = 0;
  let soft = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const wt = weights ? (weights[i] as number) : 1;
    area++;
    weightSum += wt;
    if (wt < 0.9) soft++;
  }
  return { meanWeight: weightSum / area, softPixels: soft / area };
}

/**
 * The descriptor vector of a region's mask (w x h, row-major): SHAPE_MEASURES, then the picture.
 * `weights` are its pixels' colour weights (segment.ts); without them the region counts as crisp.
 */
export function describeShape(mask: Uint8Array, w: number, h: number, weights?: Float32Array): Float32Array {
  const out = new Float32Array(DESCRIPTOR_LENGTH);
  const { holes, sizes } = findHoles(mask, w, h);
  let area = 0;
  for (let i = 0; i < w * h; i++) area += mask[i] as number;
  const holeArea = sizes.reduce((a, b) => a + b, 0);
  const filledArea = area + holeArea;
  let largest = 0;
  for (let k = 1; k < sizes.length; k++) if (sizes[k]! > sizes[largest]!) largest = k;

  // Moments of the filled shape (region and holes) about its centroid, lengths in units of
  // sqrt(filled area) so that they do not depend on size.
  const filled = new Uint8Array(w * h);
  let sx = 0;
  let sy = 0;
  let hx = 0;
  let hy = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!mask[i] && !holes[i]) continue;
      filled[i] = 1;
      sx += x + 0.5;
      sy += y + 0.5;
      if (sizes.length > 0 && holes[i] === largest + 1) {
        hx += x + 0.5;
        hy += y + 0.5;
      }
    }
  }
  const cx = sx / filledArea;
  const cy = sy / filledArea;
  const scale = Math.sqrt(filledArea);
  const m = { m20: 0, m02: 0, m11: 0, m30: 0, m03: 0, m21: 0, m12: 0, m40: 0, m04: 0, m22: 0 };
  let perimeter = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!filled[i]) continue;
      const u = (x + 0.5 - cx) / scale;
      const v = (y + 0.5 - cy) / scale;
      const u2 = u * u;
      const v2 = v * v;
      m.m20 += u2;
      m.m02 += v2;
      m.m11 += u * v;
      m.m30 += u2 * u;
      m.m03 += v2 * v;
      m.m21 += u2 * v;
      m.m12 += u * v2;
      m.m40 += u2 * u2;
      m.m04 += v2 * v2;
      m.m22 += u2 * v2;
      // Edges between a filled pixel and the outside (or the box border).
      if (x === 0 || !filled[i - 1]) perimeter++;
      if (x === w - 1 || !filled[i + 1]) perimeter++;
      if (y === 0 || !filled[i - w]) perimeter++;
      if (y === h - 1 || !filled[i + w]) perimeter++;
    }
  }
  const hullPolygon = convexHull(filled, w, h);
  const hull = polygonArea(hullPolygon);
  const corners = cornerFits(hullPolygon);
  // Width of the filled shape along rows and columns across the box (a triangle widens steadily,
  // a diamond widens then narrows, a cross jumps).
  const rowWidth = PROFILE_AT.map((f) => {
    const y = Math.min(h - 1, Math.floor(f * h));
    let n = 0;
    for (let x = 0; x < w; x++) n += filled[y * w + x] as number;
    return n / w;
  });
  const columnHeight = PROFILE_AT.map((f) => {
    const x = Math.min(w - 1, Math.floor(f * w));
    let n = 0;
    for (let y = 0; y < h; y++) n += filled[y * w + x] as number;
    return n / h;
  });
  const crisp = crispness(mask, weights);
  const values: Record<(typeof SHAPE_MEASURES)[number], number> = {
    aspect: Math.log(w / h),
    extent: area / (w * h),
    filledExtent: filledArea / (w * h),
    holeFraction: holeArea / filledArea,
    largestHoleFraction: sizes.length > 0 ? sizes[largest]! / filledArea : 0,
    holeCount: Math.min(3, sizes.length),
    holeOffset: sizes.length > 0 ? Math.hypot(hx / sizes[largest]! - cx, hy / sizes[largest]! - cy) / scale : 0,
    solidity: hull > 0 ? filledArea / hull : 1,
    compactness: (perimeter * perimeter) / (16 * filledArea),
    threeCornerFit: corners.three,
    fourCornerFit: corners.four,
    fourSidesAlignment: corners.fourSidesAlignment,
    centroidX: cx / w - 0.5,
    centroidY: cy / h - 0.5,
    m20: m.m20 / filledArea,
    m02: m.m02 / filledArea,
    m11: m.m11 / filledArea,
    m30: m.m30 / filledArea,
    m03: m.m03 / filledArea,
    m21: m.m21 / filledArea,
    m12: m.m12 / filledArea,
    m40: m.m40 / filledArea,
    m04: m.m04 / filledArea,
    m22: m.m22 / filledArea,
    meanWeight: crisp.meanWeight,
    softPixels: crisp.softPixels,
    row10: rowWidth[0]!,
    row30: rowWidth[1]!,
    row50: rowWidth[2]!,
    row70: rowWidth[3]!,
    row90: rowWidth[4]!,
    column10: columnHeight[0]!,
    column30: columnHeight[1]!,
    column50: columnHeight[2]!,
    column70: columnHeight[3]!,
    column90: columnHeight[4]!,
  };
  SHAPE_MEASURES.forEach((name, k) => (out[k] = values[name]));
  coarsePicture(mask, w, h, out, SHAPE_MEASURES.length);
  return out;
}

/** Small regions are read at about this many sub-pixels a side (at most 4 a pixel): see describeRegion. */
export const SUBPIXEL_SIDE = 32;

/**
 * How lopsided a shape must be before it is read turned (quarterTurned): a triangle's mass along
 * its height has a skewness of about -0.57 whatever its proportions; shapes symmetric about their
 * centre (squares, discs, rings, diamonds, centred crosses) have 0.
 */
export const TURN_SKEWNESS = 0.3;

/**
 * A w x h row-major grid in one of the eight views of the square (`view` 0-7): turned by
 * `view % 4` quarter turns clockwise (on screen, y down), then, from 4 on, mirrored left to right.
 * Returns the grid and its new width.
 */
function viewGrid<T extends Uint8Array | Float32Array>(grid: T, w: number, h: number, view: number): { grid: T; width: number } {
  const quarters = view % 4;
  const mirrored = view >= 4;
  const out = grid.slice() as T;
  const width = quarters % 2 === 0 ? w : h;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [tx, ty] = quarters === 0 ? [x, y] : quarters === 1 ? [h - 1 - y, x] : quarters === 2 ? [w - 1 - x, h - 1 - y] : [y, w - 1 - x];
      out[ty * width + (mirrored ? width - 1 - tx : tx)] = grid[y * w + x]!;
    }
  }
  return { grid: out, width };
}

/** The region in one of the eight views of the square (viewGrid): its mask, weights and coverage alike. */
function regionView(region: Region, view: number): Region {
  if (view === 0) return region;
  const w = region.box[2] - region.box[0];
  const h = region.box[3] - region.box[1];
  const mask = viewGrid(region.mask, w, h, view);
  const weights = viewGrid(region.weights, w, h, view);
  const coverage = viewGrid(region.coverage, w + 2, h + 2, view);
  return { ...region, box: [0, 0, mask.width, (w * h) / mask.width], mask: mask.grid, weights: weights.grid, coverage: coverage.grid };
}

/**
 * The region in all eight views of the square: itself, turned by one, two and three quarter
 * turns, and each of those mirrored. Every class but the triangle is the same class in each.
 */
export function symmetricViews(region: Region): Region[] {
  return [0, 1, 2, 3, 4, 5, 6, 7].map((view) => regionView(region, view));
}

/**
 * The region turned by quarter turns so that its most lopsided axis runs down the picture with its
 * heavier end at the bottom, as a triangle standing on its base: a triangle pointing down, left or
 * right is then read as the one pointing up, the way the classifier learned it. A quarter turn
 * never makes a square a diamond, and the other classes are the same class turned; a shape less
 * lopsided than TURN_SKEWNESS, and every one already heavier at the bottom, is read as it is (the
 * world's renders among them).
 */
export function quarterTurned(region: Region): Region {
  const w = region.box[2] - region.box[0];
  let [total, mx, my] = [0, 0, 0];
  region.weights.forEach((v, i) => {
    total += v;
    mx += v * (i % w);
    my += v * Math.floor(i / w);
  });
  if (total === 0) return region;
  [mx, my] = [mx / total, my / total];
  let [x2, x3, y2, y3] = [0, 0, 0, 0];
  region.weights.forEach((v, i) => {
    const dx = (i % w) - mx;
    const dy = Math.floor(i / w) - my;
    [x2, x3, y2, y3] = [x2 + v * dx * dx, x3 + v * dx * dx * dx, y2 + v * dy * dy, y3 + v * dy * dy * dy];
  });
  const skewX = x2 > 0 ? x3 / total / (x2 / total) ** 1.5 : 0;
  const skewY = y2 > 0 ? y3 / total / (y2 / total) ** 1.5 : 0;
  // The vertical skewness after each quarter turn clockwise (y down: a shape heavier at the
  // bottom has a negative one); the turn that makes it most negative wins, no turn on a tie.
  const after = [skewY, skewX, -skewY, -skewX];
  let quarters = 0;
  for (let q = 1; q < 4; q++) if (after[q]! < after[quarters]! - 1e-9) quarters = q;
  if (quarters === 0 || Math.max(Math.abs(skewX), Math.abs(skewY)) < TURN_SKEWNESS) return region;
  return regionView(region, quarters);
}

/**
 * The descriptor vector of a region, read from its sub-pixel outline. A small anti-aliased disc
 * thresholded at half coverage is the blocky picture of a rounded square; its faint edge pixels
 * say where the outline runs between pixel centres. So the region's coverage (segment.ts) is
 * interpolated bilinearly onto a grid k times finer (k = SUBPIXEL_SIDE / the region's side, 1 to
 * 4) and the outline taken where it crosses one half, the level a straight edge crosses at its
 * true place. A hard-edged region's outline stays its pixels' (its staircase diagonals and
 * corners a little smoothed); a large one is read as it is. How crisply the region is drawn is
 * still measured on its own pixels.
 */
export function describeRegion(region: Region): Float32Array {
  const w = region.box[2] - region.box[0];
  const h = region.box[3] - region.box[1];
  const k = Math.max(1, Math.min(4, Math.round(SUBPIXEL_SIDE / Math.max(w, h))));
  if (k === 1) return describeShape(region.mask, w, h, region.weights);
  const gw = w + 2;
  const gh = h + 2;
  const fine = new Uint8Array(gw * k * gh * k);
  let [x1, y1, x2, y2] = [Infinity, Infinity, -1, -1];
  const at = (x: number, y: number): number => region.coverage[Math.min(gh - 1, Math.max(0, y)) * gw + Math.min(gw - 1, Math.max(0, x))] as number;
  for (let j = 0; j < gh * k; j++) {
    const y = (j + 0.5) / k - 0.5;
    const y0 = Math.floor(y);
    const fy = y - y0;
    for (let i = 0; i < gw * k; i++) {
      const x = (i + 0.5) / k - 0.5;
      const x0 = Math.floor(x);
      const fx = x - x0;
      const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
      const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
      if (top * (1 - fy) + bottom * fy < 0.5) continue;
      fine[j * gw * k + i] = 1;
      [x1, y1, x2, y2] = [Math.min(x1, i), Math.min(y1, j), Math.max(x2, i + 1), Math.max(y2, j + 1)];
    }
  }
  if (x2 < 0) {
    // A region of pixels barely over half with weaker ones all round (a thin stroke in a haze)
    // can leave no sample between centres at half: its own pixels are then its outline.
    region.mask.forEach((on, p) => {
      if (!on) return;
      const gx = (p % w) + 1;
      const gy = Math.floor(p / w) + 1;
      for (let j = gy * k; j < (gy + 1) * k; j++) fine.fill(1, j * gw * k + gx * k, j * gw * k + (gx + 1) * k);
      [x1, y1, x2, y2] = [Math.min(x1, gx * k), Math.min(y1, gy * k), Math.max(x2, (gx + 1) * k), Math.max(y2, (gy + 1) * k)];
    });
  }
  const fw = x2 - x1;
  const fh = y2 - y1;
  const mask = new Uint8Array(fw * fh);
  for (let j = 0; j < fh; j++) mask.set(fine.subarray((y1 + j) * gw * k + x1, (y1 + j) * gw * k + x2), j * fw);
  const out = describeShape(mask, fw, fh);
  const crisp = crispness(region.mask, region.weights);
  out[SHAPE_MEASURES.indexOf('meanWeight')] = crisp.meanWeight;
  out[SHAPE_MEASURES.indexOf('softPixels')] = crisp.softPixels;
  return out;
}
