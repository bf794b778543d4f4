/**
 * The six shapes as inside-tests in box coordinates u, v in (-1, 1) (y grows downward).
 * The renderer draws with them and the detector compares regions against them, so a clean render
 * and the detector's template of it are the same pixels.
 */
import type { ShapeClass } from './definition';

const EDGE = 1e-9; // boundaries are inclusive; this absorbs rounding on pixel centres that sit exactly on them

export function insideShape(shape: ShapeClass, u: number, v: number, side: number): boolean {
  // Nothing lies outside the box: the renderer only asks inside it, but a caller drawing at other
  // places (another rasteriser, bench/styles) would otherwise get a square or a cross's arms without end.
  if (Math.abs(u) > 1 + EDGE || Math.abs(v) > 1 + EDGE) return false;
  switch (shape) {
    case 'circle':
      return u * u + v * v <= 1 + EDGE;
    case 'square':
      return true;
    case 'triangle':
      // Apex at the top centre, widened by half a pixel so that the top row is never empty.
      return Math.abs(u) <= (v + 1) / 2 + 1 / side + EDGE;
    case 'diamond':
      return Math.abs(u) + Math.abs(v) <= 1 + EDGE;
    case 'cross':
      return Math.abs(u) <= 1 / 3 + EDGE || Math.abs(v) <= 1 / 3 + EDGE;
    case 'ring': {
      const r2 = u * u + v * v;
      return r2 <= 1 + EDGE && r2 >= 0.25 - EDGE;
    }
  }
}

/**
 * The pixels of a shape drawn into the box [x0, x0 + w) x [y0, y0 + h), as a mask of w x h.
 * Boxes may be non-square (the detector fits templates to the boxes it finds).
 */
export function shapeMask(shape: ShapeClass, w: number, h: number): Uint8Array {
  const mask = new Uint8Array(w * h);
  const side = Math.min(w, h);
  for (let y = 0; y < h; y++) {
    const v = (2 * (y + 0.5)) / h - 1;
    for (let x = 0; x < w; x++) {
      const u = (2 * (x + 0.5)) / w - 1;
      if (insideShape(shape, u, v, side)) mask[y * w + x] = 1;
    }
  }
  return mask;
}
