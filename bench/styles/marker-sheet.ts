/**
 * The marker family's contact sheet: `npx tsx bench/styles/marker-sheet.ts [--out FILE] [--seed N]
 * [--scale K]`. One row per class, ten 32 x 32 canvases a row (sizes 8, 8, 9, 9, ... 12, 12 px, each
 * object a random colour at a random place), then a row of whole scenes (four objects each, boxes
 * kept 3 px apart), all enlarged K times (6 by default) with hard pixel edges.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { encodePng } from '../../daemon/util/png';
import { Rng } from '../../daemon/util/random';
import { CLASSES } from '../../daemon/world/definition';
import type { RgbImage } from '../../daemon/world/render';
import { renderMarker } from './marker-family';
import { checkReport, drawsAlikeFromOneState, paste, randomSheetObject, randomSheetScene, scaleUp } from './sheet';

const CANVAS = 32;
const COLS = 10;
const GAP = 2;


function main(): void {
  const { values } = parseArgs({ options: { out: { type: 'string' }, seed: { type: 'string' }, scale: { type: 'string' } } });
  const seed = Number(values.seed ?? 1);
  const scale = Number(values.scale ?? 6);
  const checks = checkReport();
  checks.report('determinism', drawsAlikeFromOneState(renderMarker, seed), 'one rng state, one image');

  const rng = new Rng(seed);
  const rows = CLASSES.length + 1;
  const step = CANVAS + GAP;
  const sheet: RgbImage = { width: COLS * step, height: rows * step, data: new Uint8Array(COLS * step * rows * step * 3).fill(40) };
  CLASSES.forEach((shape, r) => {
    for (let c = 0; c < COLS; c++) {
      const obj = { ...randomSheetObject(rng, CANVAS, 8 + Math.floor(c / 2)), shape };
      paste(sheet, renderMarker({ objects: [obj] }, CANVAS, rng), c * step, r * step);
    }
  });
  for (let c = 0; c < COLS; c++) paste(sheet, renderMarker({ objects: randomSheetScene(rng, CANVAS, 8, 12) }, CANVAS, rng), c * step, CLASSES.length * step);
  const out = values.out ?? '/tmp/marker-sheet.png';
  writeFileSync(out, encodePng(scaleUp(sheet, scale)));
  console.log(`wrote ${out}`);
  if (!checks.held()) process.exitCode = 1;
}

main();
