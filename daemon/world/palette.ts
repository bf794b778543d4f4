/**
 * Reading colours back from pixels: every pixel takes the nearest of the eleven palette colours
 * (the background and GenEval's ten). The detector and the image tokenizer both see images this way.
 */
import { BACKGROUND_RGB, COLOR_RGB, COLORS, type ColorName, type RGB } from './definition';
import type { RgbImage } from './render';

/** Label 0 is the background; label 1 + i is COLORS[i]. */
export const BACKGROUND_LABEL = 0;
export const PALETTE: readonly RGB[] = [BACKGROUND_RGB, ...COLORS.map((c) => COLOR_RGB[c])];

export const labelColor = (label: number): ColorName | undefined => COLORS[label - 1];
export const colorLabel = (color: ColorName): number => COLORS.indexOf(color) + 1;

/** The nearest palette label of every pixel (squared RGB distance). */
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
