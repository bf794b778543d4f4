/**
 * A viewer study: does a person name the objects the detector loses as what they were drawn to be?
 *
 * `npx tsx bench/viewer-study.ts sheets [--style 'held out: varied'] [--seeds 1-6] [--tag counting] [--controls 2] [--out DIR]`
 * draws the default prompt set (4 scenes a prompt) in one row of the style table (style-rows.ts;
 * `--style` a part of its name that no other row's has, as `seventh`), reads the images of
 * one tag with the installed learned detector, and takes every truth object it loses (no detection
 * of its class above the counting threshold, 0.9, on its box and colour) and, for each, `--controls`
 * objects it reads right above 0.9 of the same class and size. They are shuffled and drawn as
 * enlarged 16 x 16 windows around their boxes (pixels beyond box + 2 painted background, so a
 * neighbour does not show), 12 a sheet: DIR/sheet-NN.png, and DIR/key.json, which says which is
 * which. Show a viewer the sheets only: they name each cell (4 columns x 3 rows, in reading order)
 * as one of the classes or "unsure: A/B" (or, forced to choose, `class, sure|likely|guess`), one line a cell.
 *
 * `npx tsx bench/viewer-study.ts score --key DIR/key.json RATINGS...` prints, per viewer and group
 * (lost, controls), how many they named as drawn, how many unsure with the drawn class as the first
 * guess, unsure otherwise, and named as another class; and the lost objects by class.
 *
 * Why: every remaining loss of a held-out style is either the detector's or the style's (a picture
 * no person names as its class, which the issue's styles must not draw). The detector cannot tell
 * the two apart; a viewer who sees neither the code nor the key can.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { detect } from '../daemon/geneval';
import { writeFileAtomic } from '../daemon/util/fsx';
import { encodePng } from '../daemon/util/png';
import { Rng } from '../daemon/util/random';
import { BACKGROUND_RGB, CLASSES } from '../daemon/world/definition';
import type { RgbImage } from '../daemon/world/render';
import { defaultPromptSet } from '../daemon/util/paths';
import { objectBox, parseMetadataLines, TAGS } from '../daemon/world';
import { forEachImage, parseSeeds, selectRows, STYLE_ROWS } from './style-rows';
import { paste, scaleUp } from './styles/sheet';

/** The counting threshold: GenEval counts an object only above it. */
const SURE = 0.9;
/** Window side around an object, enlargement, cells a sheet (4 x 3). */
const WINDOW = 16;
const ENLARGE = 10;
const COLUMNS = 4;
const ROWS_A_SHEET = 3;
const GUTTER = 12;

interface KeyEntry {
  sheet: number;
  position: number;
  shape: string;
  size: number;
  lost: boolean;
  /** What the detector made of it: class and score, or "not found". */
  read: string;
  seed: number;
}

/** The object's window: its box and two pixels around it as drawn, the rest background. */
function windowAround(image: RgbImage, box: readonly number[]): RgbImage {
  const tile: RgbImage = { width: WINDOW, height: WINDOW, data: new Uint8Array(WINDOW * WINDOW * 3) };
  const cx = Math.round((box[0]! + box[2]!) / 2);
  const cy = Math.round((box[1]! + box[3]!) / 2);
  for (let y = 0; y < WINDOW; y++) {
    for (let x = 0; x < WINDOW; x++) {
      const sx = cx - WINDOW / 2 + x;
      const sy = cy - WINDOW / 2 + y;
      const shown = sx >= box[0]! - 2 && sx < box[2]! + 2 && sy >= box[1]! - 2 && sy < box[3]! + 2 && sx >= 0 && sy >= 0 && sx < image.width && sy < image.height;
      const at = (sy * image.width + sx) * 3;
      tile.data.set(shown ? image.data.subarray(at, at + 3) : BACKGROUND_RGB, (y * WINDOW + x) * 3);
    }
  }
  return tile;
}

interface Options {
  style?: string;
  seeds?: string;
  tag?: string;
  controls?: string;
  out?: string;
  key?: string;
}

function sheets(values: Options): void {
  const wanted = values.style ?? 'held out: varied';
  // A row named exactly so is that row ("held out: varied" is also part of its JPEG copy's name).
  const exact = STYLE_ROWS.filter((r) => r.name === wanted);
  const rows = exact.length > 0 ? exact : selectRows([wanted], '--style');
  if (rows.length !== 1) throw new Error(`--style: "${wanted}" names ${rows.length} rows of the style table (${rows.map((r) => r.name).join('; ')}); give a longer part of one name`);
  const row = rows[0]!;
  const tag = values.tag ?? 'counting';
  if (!(TAGS as readonly string[]).includes(tag)) throw new Error(`--tag: one of ${TAGS.join(', ')}`);
  const perLost = Number(values.controls ?? 2);
  if (!Number.isInteger(perLost) || perLost < 0 || perLost > 10) throw new Error('--controls: a whole number from 0 to 10');
  const out = values.out ?? 'viewer-study';
  const file = defaultPromptSet();
  const prompts = parseMetadataLines(readFileSync(file, 'utf8'), file);
  type Item = Omit<KeyEntry, 'sheet' | 'position'> & { tile: RgbImage };
  const lost: Item[] = [];
  const right: Item[] = [];
  for (const seed of parseSeeds(values.seeds ?? '1-6')) {
    // Every scene is drawn, whatever its tag, so each tag's images are the style table's.
    forEachImage(row, prompts, 4, seed, (meta, scene, image) => {
      if (meta.tag !== tag) return;
      const detections = detect(image);
      for (const obj of scene.objects) {
        const box = objectBox(obj);
        const onBox = (b: readonly number[]): boolean => Math.abs((b[0]! + b[2]!) / 2 - (box[0] + box[2]) / 2) <= 1.5 && Math.abs((b[1]! + b[3]!) / 2 - (box[1] + box[3]) / 2) <= 1.5;
        const found = detections.find((d) => d.color === obj.color && onBox(d.box));
        const item = { shape: obj.shape, size: obj.size, lost: !(found && found.class === obj.shape && found.score > SURE), read: found ? `${found.class} ${found.score.toFixed(3)}` : 'not found', seed, tile: windowAround(image, box) };
        (item.lost ? lost : right).push(item);
      }
    });
  }
  // Controls of the same class and size, so that a difference between the groups is not one of size or class.
  const pick = new Rng(42);
  const controls: Item[] = [];
  for (const l of lost) {
    const pool = right.filter((r) => r.shape === l.shape && r.size === l.size && !controls.includes(r));
    for (let i = 0; i < perLost && pool.length > 0; i++) controls.push(pool.splice(pick.int(0, pool.length - 1), 1)[0]!);
  }
  const items = pick.shuffle([...lost, ...controls]);
  mkdirSync(out, { recursive: true });
  const cell = WINDOW * ENLARGE;
  const perSheet = COLUMNS * ROWS_A_SHEET;
  const key: KeyEntry[] = [];
  for (let s = 0; s * perSheet < items.length; s++) {
    const width = COLUMNS * cell + (COLUMNS + 1) * GUTTER;
    const height = ROWS_A_SHEET * cell + (ROWS_A_SHEET + 1) * GUTTER;
    const sheet: RgbImage = { width, height, data: new Uint8Array(width * height * 3).fill(40) };
    items.slice(s * perSheet, (s + 1) * perSheet).forEach(({ tile, ...entry }, j) => {
      paste(sheet, scaleUp(tile, ENLARGE), GUTTER + (j % COLUMNS) * (cell + GUTTER), GUTTER + Math.floor(j / COLUMNS) * (cell + GUTTER));
      key.push({ sheet: s + 1, position: j + 1, ...entry });
    });
    writeFileAtomic(`${out}/sheet-${String(s + 1).padStart(2, '0')}.png`, encodePng(sheet));
  }
  writeFileAtomic(`${out}/key.json`, `${JSON.stringify(key, null, 1)}\n`);
  process.stdout.write(`${row.name}, ${tag} images, seeds ${values.seeds ?? '1-6'}: ${lost.length} lost, ${controls.length} controls, ${Math.ceil(items.length / perSheet)} sheets in ${out}\n`);
}

type Answer = { kind: 'named'; shape: string } | { kind: 'unsure'; first: string };

/**
 * A viewer's answers, one line a cell: `sheet-position: class`, `sheet-position: unsure: A/B`, or a
 * forced choice `sheet-position: class, sure|likely|guess` (a guess counts as unsure, its class
 * first). Any other line is an error that names it.
 */
function readRatings(file: string): Map<string, Answer> {
  const answers = new Map<string, Answer>();
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const m = /^\s*(\d+)-(\d+):\s*(?:unsure:\s*([a-z]+)\s*\/\s*[a-z]+|([a-z]+)(?:\s*,\s*(sure|likely|guess))?)\s*$/i.exec(line);
    const shape = (m?.[3] ?? m?.[4])?.toLowerCase();
    if (!m || !shape || !(CLASSES as readonly string[]).includes(shape)) throw new Error(`${file}:${i + 1}: "${line}" is not "sheet-position: class", "sheet-position: unsure: class/class" or "sheet-position: class, sure|likely|guess"`);
    const unsure = m[3] !== undefined || m[5]?.toLowerCase() === 'guess';
    answers.set(`${Number(m[1])}-${Number(m[2])}`, unsure ? { kind: 'unsure', first: shape } : { kind: 'named', shape });
  });
  return answers;
}

function score(values: Options, files: string[]): void {
  if (!values.key || files.length === 0) throw new Error('score: give --key DIR/key.json and one ratings file a viewer');
  const key = JSON.parse(readFileSync(values.key, 'utf8')) as KeyEntry[];
  const lines = ['| viewer | group | objects | named as drawn | unsure, drawn class first | unsure, another first | named another class |', '|---|---|---|---|---|---|---|'];
  const byClass: string[] = [];
  for (const file of files) {
    const answers = readRatings(file);
    const missing = key.filter((k) => !answers.has(`${k.sheet}-${k.position}`));
    if (missing.length > 0) throw new Error(`${file}: no answer for ${missing.length} cells (first: ${missing[0]!.sheet}-${missing[0]!.position})`);
    for (const lostGroup of [true, false]) {
      const group = key.filter((k) => k.lost === lostGroup);
      const tally = [0, 0, 0, 0];
      for (const k of group) {
        const a = answers.get(`${k.sheet}-${k.position}`)!;
        tally[a.kind === 'named' ? (a.shape === k.shape ? 0 : 3) : a.first === k.shape ? 1 : 2]!++;
      }
      lines.push(`| ${file.replace(/.*\//, '')} | ${lostGroup ? 'lost' : 'controls'} | ${group.length} | ${tally.join(' | ')} |`);
    }
    const lostNames = CLASSES.map((c) => {
      const group = key.filter((k) => k.lost && k.shape === c);
      if (group.length === 0) return '';
      const named = new Map<string, number>();
      for (const k of group) {
        const a = answers.get(`${k.sheet}-${k.position}`)!;
        const label = a.kind === 'named' ? a.shape : 'unsure';
        named.set(label, (named.get(label) ?? 0) + 1);
      }
      return `${c} ${group.length}: ${[...named].sort((x, y) => y[1] - x[1]).map(([l, n]) => `${l} ${n}`).join(', ')}`;
    }).filter((s) => s !== '');
    byClass.push(`${file.replace(/.*\//, '')}, lost objects by drawn class: ${lostNames.join('; ')}`);
  }
  process.stdout.write(`${lines.join('\n')}\n\n${byClass.join('\n')}\n`);
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { style: { type: 'string' }, seeds: { type: 'string' }, tag: { type: 'string' }, controls: { type: 'string' }, out: { type: 'string' }, key: { type: 'string' } } });
  const [command, ...rest] = positionals;
  if (command === 'sheets') sheets(values);
  else if (command === 'score') score(values, rest);
  else throw new Error('usage: viewer-study.ts sheets [--style "held out: varied"] [--seeds 1-6] [--tag counting] [--out DIR] | score --key DIR/key.json RATINGS...');
}

main();
