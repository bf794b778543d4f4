/**
 * The first detector (until issue 15), kept so that old and new scores can be compared on the same
 * images (bench/rescore.ts, bench/detector.ts). It matches the world's own templates, so it
 * rejects a recognisable shape drawn another way; detector.ts is the one GenEval uses.
 *
 * It reads pixels only, never the scene that drew them.
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
 *    On large objects the outline is uncertain by a pixel or two (anti-aliasing, resampling), so
 *    pixels within EDGE_TOLERANCE x side of the template's outline are neither missed nor extra;
 *    on the 8-12 px objects of the default canvas that band is empty and the overlap is plain IoU.
 */
import { CLASSES, type ShapeClass } from '../world/definition';
import { BACKGROUND_LABEL, labelColor, labelPixels } from '../world/palette';
import type { RgbImage } from '../world/render';
import { shapeMask } from '../world/shapes';
import type { Detection } from './detector';
import { connectedRegions } from './segment';

/** Overlap at or below which the confidence is 0, and at or above which it is 1. */
export const TEMPLATE_OVERLAP_FLOOR = 0.5;
export const TEMPLATE_OVERLAP_FULL = 0.95;
/** Width of the uncertain band along a template's outline, as a fraction of the box side (floored to whole pixels). */
export const EDGE_TOLERANCE = 0.05;

/** A template with its outline band: `core` must be covered, nothing outside `hull` may be. */
interface Template {
  core: Uint8Array;
  hull: Uint8Array;
}

/** Erodes (value 1 everywhere in the square neighbourhood) or dilates (anywhere) a mask by radius r. */
function morph(mask: Uint8Array, w: number, h: number, r: number, erode: boolean): Uint8Array {
  if (r === 0) return mask;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let all = 1;
      let any = 0;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          const v = xx < 0 || yy < 0 || xx >= w || yy >= h ? 0 : (mask[yy * w + xx] as number);
          all &= v;
          any |= v;
        }
      }
      out[y * w + x] = erode ? all : any;
    }
  }
  return out;
}

const templateCache = new Map<string, Template>();
function template(shape: ShapeClass, w: number, h: number): Template {
  const key = `${shape}:${w}x${h}`;
  let t = templateCache.get(key);
  if (!t) {
    const mask = shapeMask(shape, w, h);
    const r = Math.floor(EDGE_TOLERANCE * Math.min(w, h));
    t = { core: morph(mask, w, h, r, true), hull: morph(mask, w, h, r, false) };
    if (templateCache.size > 4096) templateCache.clear();
    templateCache.set(key, t);
  }
  return t;
}

function overlapToScore(overlap: number): number {
  return Math.max(0, Math.min(1, (overlap - TEMPLATE_OVERLAP_FLOOR) / (TEMPLATE_OVERLAP_FULL - TEMPLATE_OVERLAP_FLOOR)));
}

/** All objects found in an image by template overlap, most confident first. */
export function detectByTemplate(image: RgbImage): Detection[] {
  const { width } = image;
  const detections: Detection[] = [];
  for (const { label, pixels, box } of connectedRegions(labelPixels(image), image.width, image.height, BACKGROUND_LABEL)) {
    const [x1, y1, x2, y2] = box;
    const w = x2 - x1;
    const h = y2 - y1;
    const region = new Uint8Array(w * h);
    for (const p of pixels) region[(((p / width) | 0) - y1) * w + ((p % width) - x1)] = 1;
    let bestClass: ShapeClass = CLASSES[0];
    let bestOverlap = -1;
    for (const shape of CLASSES) {
      // Overlap with tolerance: (region pixels inside the hull) / (region pixels + core pixels
      // the region misses); with an empty band this is exactly intersection over union.
      const { core, hull } = template(shape, w, h);
      let explained = 0;
      let missed = 0;
      for (let i = 0; i < region.length; i++) {
        const a = region[i] as number;
        explained += a & (hull[i] as number);
        missed += (core[i] as number) & (a ^ 1);
      }
      const iou = explained / (pixels.length + missed);
      if (iou > bestOverlap) {
        bestOverlap = iou;
        bestClass = shape;
      }
    }
    detections.push({
      class: bestClass,
      color: labelColor(label)!,
      box,
      score: overlapToScore(bestOverlap),
      area: pixels.length,
    });
  }
  return detections.sort((a, b) => b.score - a.score);
}
