/**
 * GenEval's folder layout: `<dir>/<00000>/metadata.jsonl` (that prompt's line) and
 * `<dir>/<00000>/samples/<0000>.png`. Only all-digit folder names and `\d+.png` files are read,
 * as the official script does (it anchors the image pattern at the start only; here it is
 * anchored at both ends, so `0000.png.bak` is skipped rather than read).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng, decodePng } from '../util/png';
import { readTextFile, writeFileAtomic, writeFolderAtomic } from '../util/fsx';
import { Rng } from '../util/random';
import type { WorldConfig } from '../world/definition';
import { checkMetadata, pythonJsonDumps, withoutBom, type Metadata } from '../world/metadata';
import { renderScene, type RgbImage } from '../world/render';
import { sampleScene } from '../world/scene';
import { defaultDetector } from './default-detector';
import type { Detector } from './detector';
import { evaluateDetections, keepDetections } from './rules';
import { summarize, type ResultRow, type Summary } from './summary';

const PROMPT_DIR = /^\d+$/;
const IMAGE_FILE = /^\d+\.png$/;

export const promptFolderName = (index: number): string => String(index).padStart(5, '0');
export const sampleFileName = (index: number): string => `${String(index).padStart(4, '0')}.png`;

export interface PromptFolder {
  folder: string;
  /** The metadata object exactly as read (key order kept for results.jsonl). */
  raw: unknown;
  metadata: Metadata;
  images: string[];
}

/** Lists and checks a GenEval image folder before anything is scored, so errors come first and whole. */
export function readImageFolder(dir: string): PromptFolder[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir}: no such folder`);
  const folders = readdirSync(dir)
    .filter((name) => PROMPT_DIR.test(name) && statSync(join(dir, name)).isDirectory())
    .sort();
  if (folders.length === 0) throw new Error(`${dir}: no prompt folders (expected 00000/metadata.jsonl and 00000/samples/0000.png, ...)`);
  return folders.map((folder) => {
    const metaPath = join(dir, folder, 'metadata.jsonl');
    if (!existsSync(metaPath)) throw new Error(`${metaPath}: missing (every prompt folder needs its metadata line)`);
    let raw: unknown;
    try {
      raw = JSON.parse(withoutBom(readFileSync(metaPath, 'utf8')));
    } catch (err) {
      throw new Error(`${metaPath}: not valid JSON (${(err as Error).message})`, { cause: err });
    }
    const metadata = checkMetadata(raw, metaPath);
    const samplesDir = join(dir, folder, 'samples');
    if (!existsSync(samplesDir) || !statSync(samplesDir).isDirectory()) throw new Error(`${samplesDir}: missing samples folder`);
    const images = readdirSync(samplesDir)
      .filter((name) => IMAGE_FILE.test(name) && statSync(join(samplesDir, name)).isFile())
      .sort((a, b) => parseInt(a, 10) - parseInt(b, 10))
      .map((name) => join(samplesDir, name));
    if (images.length === 0) throw new Error(`${samplesDir}: no images (expected 0000.png, 0001.png, ...)`);
    return { folder, raw, metadata, images };
  });
}

/** Scores one image against its prompt's metadata (with the default detector unless another is given). */
export function scoreImage(image: RgbImage, metadata: Metadata, raw: unknown, filename: string, detector: Detector = defaultDetector): ResultRow {
  const kept = keepDetections(detector(image), metadata.tag);
  const verdict = evaluateDetections(kept, metadata);
  const details: Record<string, number[][]> = {};
  for (const [cls, dets] of kept) details[cls] = dets.map((d) => [...d.box, d.score]);
  return {
    filename,
    tag: metadata.tag,
    prompt: metadata.prompt,
    correct: verdict.correct,
    reason: verdict.reason,
    metadata: pythonJsonDumps(raw),
    details: pythonJsonDumps(details),
  };
}

export interface ScoreOptions {
  /** Called after each image, for progress. */
  onImage?: (done: number, total: number) => void;
  /** The detector (default: defaultDetector); bench/rescore.ts passes each detector in turn to compare. */
  detector?: Detector;
}

/** Scores every image of a folder in GenEval's layout. Nothing is written; see writeResults. */
export function scoreImageFolder(dir: string, options: ScoreOptions = {}): { rows: ResultRow[]; summary: Summary } {
  const prompts = readImageFolder(dir);
  const total = prompts.reduce((n, p) => n + p.images.length, 0);
  const rows: ResultRow[] = [];
  for (const p of prompts) {
    for (const file of p.images) {
      const image = decodePng(readFileSync(file), file);
      rows.push(scoreImage(image, p.metadata, p.raw, file, options.detector));
      options.onImage?.(rows.length, total);
    }
  }
  return { rows, summary: summarize(rows) };
}

/** results.jsonl with the official fields, one row an image, written atomically. */
export function writeResults(path: string, rows: readonly ResultRow[]): void {
  writeFileAtomic(path, rows.map((r) => pythonJsonDumps(r)).join('\n') + '\n');
}

/**
 * A results.jsonl (this project's or the official script's): one row an image. Every line is
 * checked for the fields the summary and a comparison read, and a bad one is named by file and line.
 */
export function readResults(file: string): ResultRow[] {
  const rows: ResultRow[] = [];
  withoutBom(readTextFile(file)).split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${file}:${i + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (err) {
      throw new Error(`${where}: not JSON (${(err as Error).message})`, { cause: err });
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new Error(`${where}: a result must be a JSON object`);
    const r = row as Record<string, unknown>;
    for (const key of ['filename', 'tag', 'metadata'] as const) {
      if (typeof r[key] !== 'string' || r[key] === '') throw new Error(`${where}: "${key}" must be a non-empty string`);
    }
    if (typeof r['correct'] !== 'boolean') throw new Error(`${where}: "correct" must be true or false`);
    rows.push(row as ResultRow);
  });
  if (rows.length === 0) throw new Error(`${file}: no results`);
  return rows;
}

export interface TruthOptions {
  metadata: readonly Metadata[];
  outDir: string;
  imagesPerPrompt: number;
  seed: number;
  world: WorldConfig;
  onPrompt?: (done: number, total: number) => void;
}

/** One prompt's truth images: random scenes that satisfy it, rendered (seeded per prompt index). */
export function truthImages(meta: Metadata, index: number, n: number, seed: number, world: WorldConfig): RgbImage[] {
  const rng = new Rng((seed * 1_000_003 + index) >>> 0);
  return Array.from({ length: n }, () => renderScene(sampleScene(meta, world, rng), world));
}

/**
 * Renders truth images for every prompt into a new folder in GenEval's layout. The folder
 * appears complete or not at all; an existing folder is refused.
 */
export async function writeTruthImages(options: TruthOptions): Promise<void> {
  const { metadata, outDir, imagesPerPrompt, seed, world } = options;
  if (existsSync(outDir)) throw new Error(`${outDir}: already exists (choose a new folder; results are never overwritten)`);
  await writeFolderAtomic(outDir, (tmp) => {
    metadata.forEach((meta, index) => {
      writePromptFolder(tmp, index, meta, truthImages(meta, index, imagesPerPrompt, seed, world));
      options.onPrompt?.(index + 1, metadata.length);
    });
  });
}

/** Writes one prompt's folder (metadata line and samples) under a GenEval output folder. */
export function writePromptFolder(dir: string, index: number, meta: Metadata, images: readonly RgbImage[]): void {
  const folder = join(dir, promptFolderName(index));
  writeFileAtomic(join(folder, 'metadata.jsonl'), `${pythonJsonDumps(meta)}\n`);
  images.forEach((image, i) => writeFileAtomic(join(folder, 'samples', sampleFileName(i)), encodePng(image)));
}
