/**
 * GenEval's prompt metadata (one JSON object a line), read in this world's words.
 * Every check names the line and the offending word, so a COCO metadata file is refused
 * with a message a person can act on instead of a crash deep in a sampler or a scorer.
 */
import {
  isColorName,
  isRelation,
  isShapeClass,
  MAX_COUNT,
  MIN_COUNT,
  type ColorName,
  type Relation,
  type ShapeClass,
} from './definition';

export const TAGS = ['single_object', 'two_object', 'counting', 'colors', 'position', 'color_attr'] as const;
export type Tag = (typeof TAGS)[number];

export interface IncludeItem {
  class: ShapeClass;
  count: number;
  color?: ColorName;
  /** [relation, index]: this group's relation to the group include[index]. */
  position?: [Relation, number];
}

export interface ExcludeItem {
  class: ShapeClass;
  count: number;
}

export interface Metadata {
  tag: Tag;
  include: IncludeItem[];
  exclude?: ExcludeItem[];
  prompt: string;
  /** UniRL's question about an image for this prompt, and the answer the prompt implies. */
  question?: string;
  answer?: string;
}

export class MetadataError extends Error {
  constructor(
    message: string,
    readonly line: number | undefined,
    readonly source: string | undefined,
  ) {
    super(message);
    this.name = 'MetadataError';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks one parsed metadata object; `where` prefixes every message ("file.jsonl:12"). */
export function checkMetadata(value: unknown, where: string): Metadata {
  const fail = (msg: string): never => {
    throw new Error(`${where}: ${msg}`);
  };
  if (!isRecord(value)) return fail('expected a JSON object');
  const tag = value['tag'];
  if (typeof tag !== 'string' || !(TAGS as readonly string[]).includes(tag)) {
    return fail(`unknown tag ${JSON.stringify(tag)} (expected one of ${TAGS.join(', ')})`);
  }
  const prompt = value['prompt'];
  if (typeof prompt !== 'string' || prompt.length === 0) return fail('"prompt" must be a non-empty string');
  const includeRaw = value['include'];
  if (!Array.isArray(includeRaw) || includeRaw.length === 0) return fail('"include" must be a non-empty list');

  const readClass = (item: Record<string, unknown>, field: string): ShapeClass => {
    const cls = item['class'];
    if (typeof cls !== 'string') return fail(`${field}.class must be a string`);
    if (!isShapeClass(cls)) {
      return fail(`${field}: class "${cls}" is not a class of the shapes world (circle, square, triangle, diamond, cross, ring)`);
    }
    return cls;
  };
  const readCount = (item: Record<string, unknown>, field: string, max: number): number => {
    const count = item['count'];
    if (typeof count !== 'number' || !Number.isInteger(count) || count < MIN_COUNT || count > max) {
      return fail(`${field}.count must be an integer from ${MIN_COUNT} to ${max}, got ${JSON.stringify(count)}`);
    }
    return count;
  };

  const include: IncludeItem[] = includeRaw.map((raw: unknown, i: number) => {
    const field = `include[${i}]`;
    if (!isRecord(raw)) return fail(`${field} must be an object`);
    const item: IncludeItem = { class: readClass(raw, field), count: readCount(raw, field, MAX_COUNT) };
    if (raw['color'] !== undefined) {
      const color = raw['color'];
      if (typeof color !== 'string' || !isColorName(color)) {
        return fail(`${field}: color ${JSON.stringify(color)} is not one of GenEval's ten colours`);
      }
      item.color = color;
    }
    if (raw['position'] !== undefined) {
      const pos = raw['position'];
      if (!Array.isArray(pos) || pos.length !== 2) return fail(`${field}.position must be [relation, index]`);
      const [rel, index] = pos as [unknown, unknown];
      if (typeof rel !== 'string' || !isRelation(rel)) {
        return fail(`${field}: relation ${JSON.stringify(rel)} is not one of left of, right of, above, below`);
      }
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= includeRaw.length || index === i) {
        return fail(`${field}.position index ${JSON.stringify(index)} must name another include item`);
      }
      item.position = [rel, index];
    }
    return item;
  });

  const meta: Metadata = { tag: tag as Tag, include, prompt };
  const excludeRaw = value['exclude'];
  if (excludeRaw !== undefined) {
    if (!Array.isArray(excludeRaw)) return fail('"exclude" must be a list');
    meta.exclude = excludeRaw.map((raw: unknown, i: number) => {
      const field = `exclude[${i}]`;
      if (!isRecord(raw)) return fail(`${field} must be an object`);
      // An exclude count is one more than the largest allowed count.
      return { class: readClass(raw, field), count: readCount(raw, field, MAX_COUNT + 1) };
    });
  }
  for (const key of ['question', 'answer'] as const) {
    const text = value[key];
    if (text === undefined) continue;
    if (typeof text !== 'string') return fail(`"${key}" must be a string`);
    meta[key] = text;
  }
  return meta;
}

/** The text without a leading UTF-8 byte-order mark (Windows editors write one; JSON.parse refuses it). */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Parses a whole metadata file (JSON lines; blank lines skipped; a leading byte-order mark ignored). */
export function parseMetadataLines(text: string, source: string): Metadata[] {
  const out: Metadata[] = [];
  const lines = withoutBom(text).split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${source}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new MetadataError(`${where}: not valid JSON (${(err as Error).message})`, i + 1, source);
    }
    try {
      out.push(checkMetadata(value, where));
    } catch (err) {
      throw new MetadataError((err as Error).message, i + 1, source);
    }
  });
  if (out.length === 0) throw new MetadataError(`${source}: no metadata lines`, undefined, source);
  return out;
}

/**
 * A metadata object as Python's json.dumps writes it (", " and ": " separators, ASCII only),
 * which is how GenEval's results.jsonl stores it and how its summary groups images into prompts.
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : JSON.stringify(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{${entries.map(([k, v]) => `${pythonJsonDumps(k)}: ${pythonJsonDumps(v)}`).join(', ')}}`;
}
