/**
 * PNG in and out of the project's RGB images (fast-png does the codec). Any PNG a program may
 * write is read: grey, grey+alpha, RGB, RGBA, palette, 1-16 bits; transparency is composited over
 * the world's background, since that is what an empty pixel means here.
 */
import { convertIndexedToRgb, decode, encode, hasPngSignature } from 'fast-png';
import { BACKGROUND_RGB } from '../world/definition';
import type { RgbImage } from '../world/render';

export class PngError extends Error {
  override name = 'PngError';
}

/** Largest side accepted: a bound on memory for hostile files, far above anything GenEval writes. */
export const MAX_PNG_SIDE = 8192;

export function decodePng(bytes: Uint8Array, source: string): RgbImage {
  if (!hasPngSignature(bytes)) throw new PngError(`${source}: not a PNG file (no PNG signature)`);
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes);
  } catch (err) {
    throw new PngError(`${source}: damaged PNG (${(err as Error).message})`);
  }
  const { width, height } = png;
  if (!(width > 0 && height > 0) || width > MAX_PNG_SIDE || height > MAX_PNG_SIDE) {
    throw new PngError(`${source}: unsupported PNG size ${width} x ${height} (at most ${MAX_PNG_SIDE} a side)`);
  }
  let data = png.data;
  let channels = png.channels;
  let max = png.depth === 16 ? 65535 : 255;
  if (png.palette) {
    data = convertIndexedToRgb(png);
    channels = png.palette[0]?.length ?? 3;
    max = 255;
  } else if (png.depth < 8) {
    max = (1 << png.depth) - 1;
  }
  const expected = width * height * channels;
  if (data.length < expected) throw new PngError(`${source}: damaged PNG (pixel data is short: ${data.length} of ${expected} values)`);
  const out = new Uint8Array(width * height * 3);
  const hasAlpha = channels === 2 || channels === 4;
  const colorChannels = channels >= 3 ? 3 : 1;
  for (let i = 0; i < width * height; i++) {
    const alpha = hasAlpha ? (data[i * channels + channels - 1] as number) / max : 1;
    for (let k = 0; k < 3; k++) {
      const raw = (data[i * channels + (colorChannels === 3 ? k : 0)] as number) / max;
      const value = raw * 255 * alpha + (BACKGROUND_RGB[k] as number) * (1 - alpha);
      out[i * 3 + k] = Math.max(0, Math.min(255, Math.round(value)));
    }
  }
  return { width, height, data: out };
}

export function encodePng(image: RgbImage): Uint8Array {
  return encode({ width: image.width, height: image.height, data: image.data, channels: 3, depth: 8 });
}
