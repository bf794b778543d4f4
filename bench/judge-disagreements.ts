/**
 * Where two scorings of the same images disagree: a contact sheet to look at, so that which judge a
 * person would side with is seen, not assumed. Reads two results.jsonl of one folder (e.g. the
 * template detector's and the learned one's), keeps one tag's images that A fails and B passes (or,
 * with --reverse, A passes and B fails), and draws up to --count of them, spread evenly over the
 * list, scaled up with hard pixel edges; prints each one's prompt and both reasons.
 *
 *   npx tsx bench/judge-disagreements.ts --a DIR/results.jsonl --b DIR/results-learned.jsonl
 *       [--tag counting] [--reverse] [--count 12] [--scale 8] --out sheet.png
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readResults } from '../daemon/geneval';
import { decodePng, encodePng } from '../daemon/util/png';
import type { RgbImage } from '../daemon/world/render';
import { paste, scaleUp } from './styles/sheet';

const { values } = parseArgs({
  options: { a: { type: 'string' }, b: { type: 'string' }, tag: { type: 'string' }, reverse: { type: 'boolean' }, count: { type: 'string' }, scale: { type: 'string' }, out: { type: 'string' } },
});
if (!values.a || !values.b || !values.out) throw new Error('--a, --b and --out are required');
const [a, b] = [readResults(values.a), readResults(values.b)];
if (a.length !== b.length || a.some((row, i) => row.filename !== b[i]!.filename)) throw new Error('the two results are not of the same images in the same order');
const tag = values.tag ?? 'counting';
const count = Number(values.count ?? 12);
const scale = Number(values.scale ?? 8);
const wanted = a.flatMap((row, i) => (row.tag === tag && row.correct === Boolean(values.reverse) && b[i]!.correct !== Boolean(values.reverse) ? [{ row, other: b[i]! }] : []));
const total = a.filter((r) => r.tag === tag).length;
console.log(`${tag}: ${wanted.length} of ${total} images ${values.reverse ? 'A passes and B fails' : 'A fails and B passes'}`);
const step = Math.max(1, Math.floor(wanted.length / count));
const chosen = wanted.filter((_, i) => i % step === 0).slice(0, count);
if (chosen.length === 0) process.exit(0);

const images = chosen.map(({ row }) => scaleUp(decodePng(readFileSync(row.filename), row.filename), scale));
const cell = Math.max(...images.map((im) => Math.max(im.width, im.height))) + 8;
const columns = Math.min(6, images.length);
const width = columns * cell;
const height = Math.ceil(images.length / columns) * cell;
const sheet: RgbImage = { width, height, data: new Uint8Array(width * height * 3).fill(255) };
images.forEach((im, n) => {
  paste(sheet, im, (n % columns) * cell, Math.floor(n / columns) * cell);
  const { row, other } = chosen[n]!;
  console.log(`${n + 1}. ${row.prompt} | A: ${row.reason || 'correct'} | B: ${other.reason || 'correct'}`);
});
writeFileSync(values.out, encodePng(sheet));
console.log(`wrote ${values.out} (left to right, top to bottom)`);
