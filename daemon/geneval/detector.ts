/**
 * The shapes world's object detector: it reads pixels only, never the scene that drew them.
 *
 * 1. Every pixel takes the nearest of the eleven palette colours (background + GenEval's ten).
 * 2. Pixels of one colour that touch (8-neighbourhood) form a region; specks below a minimum
 *    area are noise. Objects never touch in this world, so a region is one object.
 * 3. The region's class is the shape whose template, drawn into the region's own bounding box
 *    with the renderer's inside-tests, overlaps it best (intersection over union). Templates
 *    rather than hand-made shape features: features confused diamond and cross in calibration.
 * 4. The confidence is that best overlap mapped onto [0, 1]: a clean render overlaps its
 *    template exactly (1.0); a blurred, noisy or misshapen region scores lower, so GenEval's
 *    thresholds (0.3, and 0.9 for counting) mean what they mean for a real detector.
 */
import { BACKGROUND_RGB, CLASSES, COLOR_RGB, COLORS, type ColorName, type RGB, type ShapeClass } from '../world/definition';
import type { Box } from '../world/relations';
import type { RgbImage } from '../world/render';
import { shapeMask } from '../world/shapes';

export interface Detection {
  class: ShapeClass;
  color: ColorName;
  /** [x1, y1, x2, y2] in pixels, x2 and y2 exclusive, as GenEval's boxes. */
  box: Box;
  /** Confidence in [0, 1]. */
  score: number;
  /** Pixels in the region. */
  area: number;
  /** Overlap with every class's template, for diagnostics. */
  overlaps: Record<ShapeClass, number>;
}

/** Overlap at or below which the confidence is 0, and at or above which it is 1. */
export const OVERLAP_FLOOR = 0.5;
export const OVERLAP_FULL = 0.95;
/** Regions smaller than this fraction of the image are noise (a 32 px canvas: 12 px; the smallest object covers 28). */
export const MIN_AREA_FRACTION = 0.012;

const PALETTE: readonly RGB[] = [BACKGROUND_RGB, ...COLORS.map((c) => COLOR_RGB[c])];
const BACKGROUND_LABEL = 0;

/** Label each pixel with the index of its nearest palette colour (0 = background, 1 + i = COLORS[i]). */
export function labelPixels(image: RgbImage): Uint8Array {
  const n = image.width * image.height;
  const labels = new Uint8Array(n);
  const d = image.data;
  for (let i = 0; i < n; i++) {
    const r = d[i * 3] as number;
    const g = d[i * 3 + 1] as number;
    const b = d[i * 3 + 2] as number;
    let best = 0;
    let bestDist = Infinity;
    for (let k = 0; k < PALETTE.length; k++) {
      const p = PALETTE[k]!;
      const dist = (r - p[0]) ** 2 + (g - p[1]) ** 2 + (b - p[2]) ** 2;
      if (dist < bestDist) {
        bestDist = dist;
        best = k;
      }
    }
    labels[i] = best;
  }
  return labels;
}

const templateCache = new Map<string, Uint8Array>();
function template(shape: ShapeClass, w: number, h: number): Uint8Array {
  const key = `${shape}:${w}x${h}`;
  let mask = templateCache.get(key);
  if (!mask) {
    mask = shapeMask(shape, w, h);
    if (templateCache.size > 4096) templateCache.clear();
    templateCache.set(key, mask);
  }
  return mask;
}

export function overlapToScore(overlap: number): number {
  return Math.max(0, Math.min(1, (overlap - OVERLAP_FLOOR) / (OVERLAP_FULL - OVERLAP_FLOOR)));
}

/** All objects found in an image, most confident first. */
export function detect(image: RgbImage): Detection[] {
  const { width, height } = image;
  const labels = labelPixels(image);
  const seen = new Uint8Array(width * height);
  const minArea = Math.max(4, Math.round(MIN_AREA_FRACTION * width * height));
  const stack = new Int32Array(width * height);
  const detections: Detection[] = [];

  for (let start = 0; start < width * height; start++) {
    const label = labels[start] as number;
    if (seen[start] || label === BACKGROUND_LABEL) continue;
    // Flood-fill the region of this colour.
    const pixels: number[] = [];
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let x1 = width;
    let y1 = height;
    let x2 = -1;
    let y2 = -1;
    while (top > 0) {
      const p = stack[--top] as number;
      pixels.push(p);
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
    if (pixels.length < minArea) continue;

    const w = x2 - x1 + 1;
    const h = y2 - y1 + 1;
    const region = new Uint8Array(w * h);
    for (const p of pixels) region[(((p / width) | 0) - y1) * w + ((p % width) - x1)] = 1;
    const overlaps = {} as Record<ShapeClass, number>;
    let bestClass: ShapeClass = CLASSES[0];
    let bestOverlap = -1;
    for (const shape of CLASSES) {
      const t = template(shape, w, h);
      let inter = 0;
      let union = 0;
      for (let i = 0; i < region.length; i++) {
        const a = region[i] as number;
        const b = t[i] as number;
        inter += a & b;
        union += a | b;
      }
      const iou = union === 0 ? 0 : inter / union;
      overlaps[shape] = iou;
      if (iou > bestOverlap) {
        bestOverlap = iou;
        bestClass = shape;
      }
    }
    detections.push({
      class: bestClass,
      color: COLORS[label - 1]!,
      box: [x1, y1, x2 + 1, y2 + 1],
      score: overlapToScore(bestOverlap),
      area: pixels.length,
      overlaps,
    });
  }
  return detections.sort((a, b) => b.score - a.score);
}
