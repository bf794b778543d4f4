/**
 * From pixels to candidate objects: every pixel is read as a blend of the grey background and one
 * palette colour, and touching pixels of one colour form a region.
 *
 * Why a blend and not the nearest palette colour: an anti-aliased or blurred edge pixel is a mix
 * of its object's colour and the background, and the nearest palette colour to such a mix is often
 * a third colour (white half-mixed with grey is nearest to pink), which would wrap a white disc in
 * a pink "ring". Projecting the pixel onto each colour's line from the background finds the colour
 * it is a mix of, and the mix weight says whether it is more object than background. On pure
 * palette colours (the world's renders) the two readings agree exactly.
 */
import { BACKGROUND_RGB, COLORS, COLOR_RGB, type ColorName } from '../world/definition';
import { findHoles } from './descriptors';
import type { RgbImage } from '../world/render';

/** Regions smaller than this fraction of the image are noise (a 32 px canvas: 12 px; the smallest object covers 28). */
export const MIN_AREA_FRACTION = 0.012;
/** A pixel belongs to a colour when it is at least this much that colour (and the rest background). */
export const FOREGROUND_WEIGHT = 0.5;
/**
 * Pieces of one colour too small to be objects are joined through pixels at least this much that
 * colour: an anti-aliased stroke under a pixel wide (a small ring's thin wall) has no pixel above
 * half its colour on its diagonal runs, and falls apart into specks at FOREGROUND_WEIGHT alone.
 */
export const FAINT_WEIGHT = 0.25;

/**
 * Pieces join a region found whole only when together they are at least this share of its pixels
 * (see findRegions): a thin ring's wall falls into an arc and pieces of a third to a half of it;
 * noise around a solid object adds a pixel or two to tens.
 */
export const JOINED_SHARE = 0.25;

/**
 * With no region found whole among them, pieces are read as one region when their faint group
 * reaches the minimum area, encloses a hole, and they are this share of it or more (candidates 42-43).
 */
export const LONE_STROKE_SHARE = 2 / 3;

/** Label 0 is the background; label 1 + i is COLORS[i]. */
const BACKGROUND = 0;
const DIRECTIONS = COLORS.map((c) => COLOR_RGB[c].map((v, k) => v - (BACKGROUND_RGB[k] as number)));
const DIRECTION_NORMS = DIRECTIONS.map((d) => d[0]! * d[0]! + d[1]! * d[1]! + d[2]! * d[2]!);

/**
 * The colour label of every pixel: the palette colour whose background-to-colour line passes
 * closest to the pixel, when the pixel lies at least FOREGROUND_WEIGHT of the way along it; and
 * how far along it lies (1: the pure colour), which says how crisply the pixel is drawn; and, in
 * `blends`, the colour a pixel is a blend of even when it is less than half that colour (an
 * anti-aliased edge's faint pixels, which the outline passes through).
 */
export function labelForeground(image: RgbImage): { labels: Uint8Array; weights: Float32Array; blends: Uint8Array } {
  const n = image.width * image.height;
  const labels = new Uint8Array(n);
  const weights = new Float32Array(n);
  const blends = new Uint8Array(n);
  const d = image.data;
  const [gr, gg, gb] = BACKGROUND_RGB;
  for (let i = 0; i < n; i++) {
    const r = (d[i * 3] as number) - gr;
    const g = (d[i * 3 + 1] as number) - gg;
    const b = (d[i * 3 + 2] as number) - gb;
    // Staying background costs the pixel's whole distance from grey.
    let bestResidual = r * r + g * g + b * b;
    let best = BACKGROUND;
    let bestWeight = 0;
    for (let k = 0; k < DIRECTIONS.length; k++) {
      const dir = DIRECTIONS[k]!;
      let w = (r * dir[0]! + g * dir[1]! + b * dir[2]!) / DIRECTION_NORMS[k]!;
      if (w <= 0) continue;
      if (w > 1) w = 1;
      const er = r - w * dir[0]!;
      const eg = g - w * dir[1]!;
      const eb = b - w * dir[2]!;
      const residual = er * er + eg * eg + eb * eb;
      if (residual < bestResidual) {
        bestResidual = residual;
        best = k + 1;
        bestWeight = w;
      }
    }
    labels[i] = bestWeight >= FOREGROUND_WEIGHT ? best : BACKGROUND;
    weights[i] = bestWeight;
    blends[i] = best;
  }
  return { labels, weights, blends };
}

/** One connected patch of one colour. */
export interface Region {
  color: ColorName;
  /** Bounding box [x1, y1, x2, y2] in pixels, x2 and y2 exclusive. */
  box: [number, number, number, number];
  /** The region's pixels in its box, row-major, (x2 - x1) x (y2 - y1). */
  mask: Uint8Array;
  /** Each pixel's colour weight (see labelForeground) in the same layout; 0 outside the region. */
  weights: Float32Array;
  /**
   * How much of each pixel of the box grown by one pixel on every side, (w + 2) x (h + 2), is the
   * region's colour: its weight inside the region, and around it the weight of the faint pixels
   * (less than half the colour) that touch it, which an anti-aliased outline leaves; 0 elsewhere.
   * The sub-pixel outline is read from it (descriptors.ts, `describeRegion`).
   */
  coverage: Float32Array;
  area: number;
}

/**
 * Every region of at least the minimum area (8-neighbourhood), in scan order; then the regions
 * joined from pieces each under it (see FAINT_WEIGHT) whose pixels together reach it. Two regions
 * found whole are never joined to each other: pieces joined through faint pixels to exactly one
 * whole region become part of it (a thin stroke under half its colour in places, as a ring's wall
 * under a pixel wide, is read as one outline rather than its largest arc, since session 40), and
 * pieces around two or more whole regions are left out, so objects of one colour whose haloes
 * touch stay apart. Pure-colour images (the world's renders) have no faint pixels to join through.
 */
export function findRegions(image: RgbImage): Region[] {
  const { width, height } = image;
  const { labels, weights, blends } = labelForeground(image);
  const whole = connectedRegions(labels, width, height, BACKGROUND);
  // 1 + the index of the whole region a pixel is in (0: none).
  const inWhole = new Int32Array(width * height);
  whole.forEach((r, k) => {
    for (const p of r.pixels) inWhole[p] = k + 1;
  });
  const faint = new Uint8Array(width * height);
  for (let i = 0; i < faint.length; i++) if (weights[i]! >= FAINT_WEIGHT) faint[i] = blends[i]!;
  const minArea = minimumArea(width, height);
  const joined: LabelRegion[] = [];
  for (const group of connectedRegions(faint, width, height, BACKGROUND, 1)) {
    const pieces = group.pixels.filter((p) => labels[p] === group.label && inWhole[p] === 0);
    const owners = new Set<number>();
    for (const p of group.pixels) if (inWhole[p] !== 0) owners.add(inWhole[p]! - 1);
    // A faint stroke alone (a pale thin ring) may leave pieces short of the minimum area while its
    // faint group reaches it: its pieces are read when they are most of that area and the group is
    // a closed band, which the faint groups noise leaves rarely are (candidates 42-43).
    const alone = owners.size === 0 && (pieces.length >= minArea || (group.pixels.length >= minArea && pieces.length >= LONE_STROKE_SHARE * minArea && enclosesHole(group.pixels, width)));
    if (alone) joined.push({ label: group.label, pixels: pieces, box: boxOf(pieces, width) });
    if (owners.size !== 1 || pieces.length === 0) continue;
    const owner = owners.values().next().value as number;
    // A stroke that fell apart leaves a good part of itself in pieces; noise leaves a speck or two
    // at an edge, which would only roughen a solid object's outline.
    if (pieces.length < JOINED_SHARE * whole[owner]!.pixels.length) continue;
    const pixels = Int32Array.from([...whole[owner]!.pixels, ...pieces]);
    whole[owner] = { label: whole[owner]!.label, pixels, box: boxOf(pixels, width) };
  }
  return [...whole, ...joined].map((r) => regionOf(r, width, height, labels, weights, blends));
}

/** Whether these pixels (8-connected) enclose a pixel that is not theirs: a band around an empty middle. */
function enclosesHole(pixels: Int32Array, width: number): boolean {
  const [x1, y1, x2, y2] = boxOf(pixels, width);
  const w = x2 - x1;
  const mask = new Uint8Array(w * (y2 - y1));
  for (const p of pixels) mask[(((p / width) | 0) - y1) * w + (p % width) - x1] = 1;
  return findHoles(mask, w, y2 - y1).sizes.length > 0;
}

/** The box [x1, y1, x2, y2) of these pixels. */
function boxOf(pixels: Int32Array, width: number): [number, number, number, number] {
  let [x1, y1, x2, y2] = [Infinity, Infinity, -1, -1];
  for (const p of pixels) {
    const x = p % width;
    const y = (p - x) / width;
    x1 = Math.min(x1, x);
    y1 = Math.min(y1, y);
    x2 = Math.max(x2, x);
    y2 = Math.max(y2, y);
  }
  return [x1, y1, x2 + 1, y2 + 1];
}

/** A region's mask, colour weights and coverage from its pixels. */
function regionOf({ label, pixels, box }: LabelRegion, width: number, height: number, labels: Uint8Array, weights: Float32Array, blends: Uint8Array): Region {
  const [x1, y1, x2, y2] = box;
  const w = x2 - x1;
  const h = y2 - y1;
  const mask = new Uint8Array(w * h);
  const regionWeights = new Float32Array(mask.length);
  const coverage = new Float32Array((w + 2) * (h + 2));
  for (const p of pixels) {
    const px = p % width;
    const py = (p / width) | 0;
    mask[(py - y1) * w + (px - x1)] = 1;
    regionWeights[(py - y1) * w + (px - x1)] = weights[p] as number;
    coverage[(py - y1 + 1) * (w + 2) + (px - x1 + 1)] = weights[p] as number;
  }
  // The faint pixels touching the region that are a blend of its colour.
  for (const p of pixels) {
    const px = p % width;
    const py = (p / width) | 0;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const nx = px + dx;
        const ny = py + dy;
        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
        const q = ny * width + nx;
        if (labels[q] === BACKGROUND && blends[q] === label) coverage[(ny - y1 + 1) * (w + 2) + (nx - x1 + 1)] = weights[q] as number;
      }
    }
  }
  return { color: COLORS[label - 1]!, box, mask, weights: regionWeights, coverage, area: pixels.length };
}

/** The fewest pixels a region of an image this size must have (MIN_AREA_FRACTION). */
function minimumArea(width: number, height: number): number {
  return Math.max(4, Math.round(MIN_AREA_FRACTION * width * height));
}

/** A region of one label: its pixel indices and its box [x1, y1, x2, y2) in pixels. */
export interface LabelRegion {
  label: number;
  pixels: Int32Array;
  box: [number, number, number, number];
}

/**
 * The 8-connected regions of equal labels other than `background`, in scan order, those smaller
 * than `minArea` (by default MIN_AREA_FRACTION of the image) left out: specks are not objects.
 * Both detectors segment with it.
 */
export function connectedRegions(labels: Uint8Array, width: number, height: number, background: number, minArea = minimumArea(width, height)): LabelRegion[] {
  const seen = new Uint8Array(width * height);
  const stack = new Int32Array(width * height);
  const pixels = new Int32Array(width * height);
  const regions: LabelRegion[] = [];
  for (let start = 0; start < width * height; start++) {
    const label = labels[start] as number;
    if (seen[start] || label === background) continue;
    let count = 0;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let x1 = width;
    let y1 = height;
    let x2 = -1;
    let y2 = -1;
    while (top > 0) {
      const p = stack[--top] as number;
      pixels[count++] = p;
      const px = p % width;
      const py = (p - px) / width;
      if (px < x1) x1 = px;
      if (px > x2) x2 = px;
      if (py < y1) y1 = py;
      if (py > y2) y2 = py;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = py + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = px + dx;
          if (nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (!seen[q] && labels[q] === label) {
            seen[q] = 1;
            stack[top++] = q;
          }
        }
      }
    }
    if (count >= minArea) regions.push({ label, pixels: pixels.slice(0, count), box: [x1, y1, x2 + 1, y2 + 1] });
  }
  return regions;
}
