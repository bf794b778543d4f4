/**
 * A contact sheet of both style families, to look at: one row per held-out style (each class in
 * three sizes), the false-positive cases, then rows of random training-family scenes. Scaled up with hard pixel edges.
 * `npx tsx bench/styles/contact-sheet.ts --out sheet.png [--scale 4] [--seed 1]`
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { encodePng } from '../../daemon/util/png';
import { Rng } from '../../daemon/util/random';
import { CLASSES } from '../../daemon/world/definition';
import type { RgbImage } from '../../daemon/world/render';
import { HELDOUT_STYLES, renderHeldout } from './heldout-family';
import { FALSE_POSITIVE_CASES } from './false-positives';
import { trainingScene } from './training-family';
import { paste, scaleUp } from './sheet';

function main(): void {
  const { values } = parseArgs({ options: { out: { type: 'string' }, scale: { type: 'string' }, seed: { type: 'string' } } });
  const rng = new Rng(Number(values.seed ?? 1));
  const tiles: RgbImage[][] = [];
  for (const style of HELDOUT_STYLES) {
    // Every class at sizes 8, 10, 12 in a 32 x 32 tile per class.
    tiles.push(
      CLASSES.map((shape) =>
        renderHeldout(
          {
            objects: [
              { shape, color: 'red', center: [6, 6], size: 8 },
              { shape, color: 'white', center: [21, 7], size: 10 },
              { shape, color: 'blue', center: [10, 23], size: 12 },
            ],
          },
          32,
          style,
          rng,
        ),
      ),
    );
  }
  for (let start = 0; start < FALSE_POSITIVE_CASES.length; start += 6) tiles.push(FALSE_POSITIVE_CASES.slice(start, start + 6).map((c) => c.make(rng).image));
  for (let row = 0; row < 3; row++) tiles.push(Array.from({ length: 6 }, () => trainingScene(32, rng, { worldShare: 0, noneShare: 0.4 }).image));
  const gap = 2;
  const sheet: RgbImage = { width: 6 * (32 + gap), height: tiles.length * (32 + gap), data: new Uint8Array(6 * (32 + gap) * tiles.length * (32 + gap) * 3).fill(40) };
  tiles.forEach((row, r) => row.forEach((tile, c) => paste(sheet, tile, c * (32 + gap), r * (32 + gap))));
  writeFileSync(values.out ?? 'sheet.png', encodePng(scaleUp(sheet, Number(values.scale ?? 4))));
}

main();
