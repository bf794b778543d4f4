/** Contact sheets to look at: tiles pasted onto one image, scaled up with hard pixel edges. */
import type { RgbImage } from '../../daemon/world/render';

/** Copies a tile into the sheet with its top-left corner at (x0, y0). */
export function paste(sheet: RgbImage, tile: RgbImage, x0: number, y0: number): void {
  for (let y = 0; y < tile.height; y++) {
    for (let x = 0; x < tile.width; x++) sheet.data.set(tile.data.subarray((y * tile.width + x) * 3, (y * tile.width + x) * 3 + 3), ((y0 + y) * sheet.width + x0 + x) * 3);
  }
}

/** Each pixel as a k x k block (nearest neighbour), so single pixels stay visible. */
export function scaleUp(image: RgbImage, k: number): RgbImage {
  const out = { width: image.width * k, height: image.height * k, data: new Uint8Array(image.width * k * image.height * k * 3) };
  for (let y = 0; y < out.height; y++) {
    for (let x = 0; x < out.width; x++) {
      const i = (((y / k) | 0) * image.width + ((x / k) | 0)) * 3;
      out.data.set(image.data.subarray(i, i + 3), (y * out.width + x) * 3);
    }
  }
  return out;
}
