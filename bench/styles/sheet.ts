/** Contact sheets to look at: tiles pasted onto one image, scaled up with hard pixel edges. */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { encodePng } from '../../daemon/util/png';
import { Rng } from '../../daemon/util/random';
import { BACKGROUND_RGB, CLASSES, COLORS } from '../../daemon/world/definition';
import type { RgbImage } from '../../daemon/world/render';
import { objectBox, type Scene, type SceneObject } from '../../daemon/world/scene';

/** A drawing program of the style families: a scene onto a canvas x canvas image. */
export type StyleRenderer = (scene: Scene, canvas: number, rng: Rng) => RgbImage;

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

/** True when the same rng state draws the same image (six objects of every class on a 32 px canvas). */
export function drawsAlikeFromOneState(render: StyleRenderer, seed: number): boolean {
  const scene = { objects: CLASSES.map((shape, k) => ({ shape, color: COLORS[k]!, center: [6 + (k % 3) * 10, 6 + Math.floor(k / 3) * 16] as [number, number], size: 8 + (k % 3) * 2 })) };
  const a = render(scene, 32, new Rng(seed));
  const b = render(scene, 32, new Rng(seed));
  return a.data.every((v, i) => v === b.data[i]);
}

/** True when pixel `pixel` (row-major index) is exactly the background. */
export function isBackground(image: RgbImage, pixel: number): boolean {
  const i = pixel * 3;
  return image.data[i] === BACKGROUND_RGB[0] && image.data[i + 1] === BACKGROUND_RGB[1] && image.data[i + 2] === BACKGROUND_RGB[2];
}

/**
 * Where a pixel lies on the line from the background to a colour: `alpha` (0 the background, 1 the
 * colour; not clamped) and `off`, its distance from that line in RGB units. A program that only
 * blends its colours over the background draws pixels with `off` near 0.
 */
export function backgroundBlend(image: RgbImage, pixel: number, rgb: readonly number[]): { alpha: number; off: number } {
  const i = pixel * 3;
  let dot = 0;
  let norm = 0;
  for (let c = 0; c < 3; c++) {
    dot += (image.data[i + c]! - BACKGROUND_RGB[c]!) * (rgb[c]! - BACKGROUND_RGB[c]!);
    norm += (rgb[c]! - BACKGROUND_RGB[c]!) ** 2;
  }
  const alpha = dot / norm;
  let off = 0;
  for (let c = 0; c < 3; c++) off += (image.data[i + c]! - BACKGROUND_RGB[c]! - alpha * (rgb[c]! - BACKGROUND_RGB[c]!)) ** 2;
  return { alpha, off: Math.sqrt(off) };
}

/** A sheet's self-checks: `report` prints each named result, `held` says whether every one passed. */
export function checkReport(): { report: (name: string, pass: boolean, detail: string) => void; held: () => boolean } {
  let ok = true;
  return {
    report: (name, pass, detail) => {
      console.log(`${pass ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
      ok &&= pass;
    },
    held: () => ok,
  };
}

const TILE = 16;
const SIZES = [8, 10, 12];

/**
 * A style program's contact sheet, the command line of its sheet script (`--out sheet.png
 * [--scale 6] [--draws 2] [--seed 1]`): one row per class and size (8, 10, 12), one 16 x 16 tile per
 * colour and random draw. `checks(seed)` runs first (the program's own arithmetic); the process
 * exits non-zero when it returns false.
 */
export function styleSheetMain(render: StyleRenderer, checks: (seed: number) => boolean): void {
  const { values } = parseArgs({ options: { out: { type: 'string' }, scale: { type: 'string' }, draws: { type: 'string' }, seed: { type: 'string' } } });
  const seed = Number(values.seed ?? 1);
  const draws = Number(values.draws ?? 2);
  const ok = checks(seed);
  // Rows: class x size; columns: colour x draw, each tile its own random draw of the object.
  const rng = new Rng(seed + 1);
  const gap = 1;
  const cols = COLORS.length * draws;
  const rows = CLASSES.length * SIZES.length;
  const sheet: RgbImage = { width: cols * (TILE + gap), height: rows * (TILE + gap), data: new Uint8Array(cols * (TILE + gap) * rows * (TILE + gap) * 3).fill(40) };
  CLASSES.forEach((shape, s) =>
    SIZES.forEach((size, z) => {
      for (let d = 0; d < draws; d++) {
        COLORS.forEach((color, c) => {
          const tile = render({ objects: [{ shape, color, center: [TILE / 2, TILE / 2], size }] }, TILE, rng);
          paste(sheet, tile, (d * COLORS.length + c) * (TILE + gap), (s * SIZES.length + z) * (TILE + gap));
        });
      }
    }),
  );
  writeFileSync(values.out ?? 'sheet.png', encodePng(scaleUp(sheet, Number(values.scale ?? 6))));
  if (!ok) process.exitCode = 1;
}

/** One object of a random class and colour, of the given size, anywhere on a canvas x canvas image. */
export function randomSheetObject(rng: Rng, canvas: number, size: number): SceneObject {
  const x0 = rng.int(0, canvas - size);
  const y0 = rng.int(0, canvas - size);
  return { shape: rng.pick(CLASSES), color: rng.pick(COLORS), center: [x0 + size / 2, y0 + size / 2], size };
}

/** Up to four objects of random classes and sizes (minSize-maxSize), their boxes at least 3 px apart: a sheet's row of whole scenes. */
export function randomSheetScene(rng: Rng, canvas: number, minSize: number, maxSize: number): SceneObject[] {
  const placed: SceneObject[] = [];
  for (let tries = 0; tries < 400 && placed.length < 4; tries++) {
    const obj = randomSheetObject(rng, canvas, rng.int(minSize, maxSize));
    const b = objectBox(obj);
    const apart = placed.every((o) => {
      const c = objectBox(o);
      return b[2] + 3 <= c[0] || c[2] + 3 <= b[0] || b[3] + 3 <= c[1] || c[3] + 3 <= b[1];
    });
    if (apart) placed.push(obj);
  }
  return placed;
}
