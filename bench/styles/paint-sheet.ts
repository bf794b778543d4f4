/**
 * The paint family's contact sheet: `npx tsx bench/styles/paint-sheet.ts [--out FILE] [--seed N]
 * [--scale K]`. One row per class, twelve 32 x 32 canvases a row (sizes 7, 7, 8, 8, ... 12, 12 px,
 * each object a random colour at a random place), then a row of whole scenes (four objects each,
 * 7-12 px, boxes kept 3 px apart), all enlarged K times (6 by default) with hard pixel edges.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { encodePng } from '../../daemon/util/png';
import { Rng } from '../../daemon/util/random';
import { BACKGROUND_RGB, CLASSES, COLOR_RGB } from '../../daemon/world/definition';
import type { RgbImage } from '../../daemon/world/render';
import { objectBox, type SceneObject } from '../../daemon/world/scene';
import { renderPaint } from './paint-family';
import { checkReport, drawsAlikeFromOneState, paste, randomSheetObject, randomSheetScene, scaleUp } from './sheet';

const CANVAS = 32;
const COLS = 12;
const GAP = 2;


/**
 * Hard edges and boxes: every pixel is the background or exactly the colour of the object whose box
 * holds it; returns the first offence, or '' when there is none.
 */
function offence(image: RgbImage, objects: readonly SceneObject[]): string {
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const px = Array.from(image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3));
      if (px.every((v, k) => v === BACKGROUND_RGB[k])) continue;
      const owner = objects.find((o) => {
        const [x0, y0, x1, y1] = objectBox(o);
        return x >= x0 && x < x1 && y >= y0 && y < y1;
      });
      if (!owner) return `pixel (${x}, ${y}) drawn outside every box`;
      if (!px.every((v, k) => v === COLOR_RGB[owner.color][k])) return `pixel (${x}, ${y}) is not ${owner.color}`;
    }
  }
  return '';
}

function main(): void {
  const { values } = parseArgs({ options: { out: { type: 'string' }, seed: { type: 'string' }, scale: { type: 'string' } } });
  const seed = Number(values.seed ?? 1);
  const scale = Number(values.scale ?? 6);
  const checks = checkReport();
  checks.report('determinism', drawsAlikeFromOneState(renderPaint, seed), 'one rng state, one image');

  const rng = new Rng(seed);
  const rows = CLASSES.length + 1;
  const step = CANVAS + GAP;
  const sheet: RgbImage = { width: COLS * step, height: rows * step, data: new Uint8Array(COLS * step * rows * step * 3).fill(40) };
  const offences: string[] = [];
  const draw = (objects: SceneObject[], c: number, r: number): void => {
    const tile = renderPaint({ objects }, CANVAS, rng);
    const bad = offence(tile, objects);
    if (bad) offences.push(`row ${r} column ${c}: ${bad}`);
    paste(sheet, tile, c * step, r * step);
  };
  CLASSES.forEach((shape, r) => {
    for (let c = 0; c < COLS; c++) draw([{ ...randomSheetObject(rng, CANVAS, 7 + Math.floor(c / 2)), shape }], c, r);
  });
  for (let c = 0; c < COLS; c++) draw(randomSheetScene(rng, CANVAS, 7, 12), c, CLASSES.length);
  checks.report('hard edges in boxes', offences.length === 0, offences[0] ?? 'every pixel background or its own object colour, inside its box');
  const out = values.out ?? '/tmp/paint-sheet.png';
  writeFileSync(out, encodePng(scaleUp(sheet, scale)));
  console.log(`wrote ${out}`);
  if (!checks.held()) process.exitCode = 1;
}

main();
