/**
 * Image degradations for measuring the detector the way generated images will stress it:
 * pixel noise, speckles, blur and real JPEG compression (jpeg-js), all seeded.
 */
import jpeg from 'jpeg-js';
import type { RgbImage } from '../daemon/world/render';
import type { Rng } from '../daemon/util/random';

const clamp = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));

export function gaussianNoise(image: RgbImage, sigma: number, rng: Rng): RgbImage {
  const data = image.data.map((v) => clamp(v + sigma * rng.normal()));
  return { ...image, data };
}

/** Replaces a fraction of pixels with random colours. */
export function speckles(image: RgbImage, fraction: number, rng: Rng): RgbImage {
  const data = image.data.slice();
  for (let i = 0; i < image.width * image.height; i++) {
    if (rng.float() < fraction) for (let k = 0; k < 3; k++) data[i * 3 + k] = rng.int(0, 255);
  }
  return { ...image, data };
}

/** Separable Gaussian blur, edges clamped. */
export function gaussianBlur(image: RgbImage, sigma: number): RgbImage {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const sum = kernel.reduce((a, b) => a + b, 0);
  const k = kernel.map((v) => v / sum);
  const { width: w, height: h } = image;
  const pass = (src: Float32Array, horizontal: boolean): Float32Array => {
    const out = new Float32Array(src.length);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let c = 0; c < 3; c++) {
          let acc = 0;
          for (let t = -radius; t <= radius; t++) {
            const xx = horizontal ? Math.min(w - 1, Math.max(0, x + t)) : x;
            const yy = horizontal ? y : Math.min(h - 1, Math.max(0, y + t));
            acc += (k[t + radius] as number) * (src[(yy * w + xx) * 3 + c] as number);
          }
          out[(y * w + x) * 3 + c] = acc;
        }
      }
    }
    return out;
  };
  const blurred = pass(pass(Float32Array.from(image.data), true), false);
  return { ...image, data: Uint8Array.from(blurred, clamp) };
}

/** A real JPEG round trip at the given quality (1-100). */
export function jpegRoundTrip(image: RgbImage, quality: number): RgbImage {
  const rgba = new Uint8Array(image.width * image.height * 4);
  for (let i = 0; i < image.width * image.height; i++) {
    rgba.set(image.data.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = 255;
  }
  const encoded = jpeg.encode({ data: rgba, width: image.width, height: image.height }, quality);
  const decoded = jpeg.decode(encoded.data, { useTArray: true, formatAsRGBA: false });
  return { width: decoded.width, height: decoded.height, data: Uint8Array.from(decoded.data) };
}

/** Bilinear upscaling by an integer factor: soft edges like an image drawn by an anti-aliasing program. */
export function bilinearUpscale(image: RgbImage, factor: number): RgbImage {
  const w = image.width * factor;
  const h = image.height * factor;
  const data = new Uint8Array(w * h * 3);
  const at = (x: number, y: number, c: number): number =>
    image.data[(Math.min(image.height - 1, Math.max(0, y)) * image.width + Math.min(image.width - 1, Math.max(0, x))) * 3 + c] as number;
  for (let y = 0; y < h; y++) {
    const sy = (y + 0.5) / factor - 0.5;
    const y0 = Math.floor(sy);
    const fy = sy - y0;
    for (let x = 0; x < w; x++) {
      const sx = (x + 0.5) / factor - 0.5;
      const x0 = Math.floor(sx);
      const fx = sx - x0;
      for (let c = 0; c < 3; c++) {
        const top = at(x0, y0, c) * (1 - fx) + at(x0 + 1, y0, c) * fx;
        const bottom = at(x0, y0 + 1, c) * (1 - fx) + at(x0 + 1, y0 + 1, c) * fx;
        data[(y * w + x) * 3 + c] = clamp(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return { width: w, height: h, data };
}
