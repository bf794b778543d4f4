/**
 * The safetensors format (https://huggingface.co/docs/safetensors): 8 bytes of little-endian
 * header length N, N bytes of JSON header ({name: {dtype, shape, data_offsets}, "__metadata__":
 * {string: string}}), then the raw little-endian tensor bytes. Plain data in and out (no tfjs), so
 * it serves checkpoints, the benchmark's shared weights and any tool.
 *
 * Reading validates everything before trusting it: a truncated, padded, overlapping or otherwise
 * corrupt file is an error naming the problem. Our writer also stores the SHA-256 of the data in
 * the metadata (CHECKSUM_KEY; other readers ignore it), so damaged tensor bytes are caught too.
 * Writing is atomic (temp file, fsync, rename).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/fsx';

export type SafeDtype = 'F32' | 'I32' | 'U8' | 'BOOL';
export type SafeData = Float32Array | Int32Array | Uint8Array;

export interface SafeTensor {
  dtype: SafeDtype;
  shape: number[];
  data: SafeData;
}

export interface SafeFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

/** Metadata key of the data section's SHA-256 (hex), written by us and checked when present. */
export const CHECKSUM_KEY = 'data_sha256';

const BYTES: Record<SafeDtype, number> = { F32: 4, I32: 4, U8: 1, BOOL: 1 };
/** The reference implementation's limit on the header. */
const MAX_HEADER = 100_000_000;

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

function checkTensor(name: string, t: SafeTensor): void {
  if (!(t.dtype in BYTES)) throw new Error(`safetensors: tensor "${name}" has unsupported dtype ${String(t.dtype)}`);
  if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`safetensors: tensor "${name}" has a bad shape [${String(t.shape)}]`);
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== n) throw new Error(`safetensors: tensor "${name}" has ${t.data.length} values for shape [${String(t.shape)}]`);
  const want = t.dtype === 'F32' ? Float32Array : t.dtype === 'I32' ? Int32Array : Uint8Array;
  if (!(t.data instanceof want)) throw new Error(`safetensors: tensor "${name}" (${t.dtype}) needs a ${want.name}`);
}

/** The file's bytes. Tensors are laid out in the order given. */
export function encodeSafetensors(tensors: Map<string, SafeTensor>, metadata: Record<string, string> = {}): Buffer {
  if (!isLittleEndian()) throw new Error('safetensors: big-endian hosts are not supported');
  const header: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new Error(`safetensors: metadata "${k}" must be a string`);
  }
  if (CHECKSUM_KEY in metadata) throw new Error(`safetensors: metadata key "${CHECKSUM_KEY}" is reserved`);
  const hash = createHash('sha256');
  for (const t of tensors.values()) hash.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  header['__metadata__'] = { ...metadata, [CHECKSUM_KEY]: hash.digest('hex') };
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__' || name.length === 0) throw new Error(`safetensors: bad tensor name "${name}"`);
    checkTensor(name, t);
    const bytes = t.data.byteLength;
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned (what the reference writer does).
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - ((8 + jsonBytes) % 8)) % 8);
  const headerBuf = Buffer.from(json, 'utf8');
  const out = Buffer.allocUnsafe(8 + headerBuf.length + offset);
  out.writeBigUInt64LE(BigInt(headerBuf.length), 0);
  headerBuf.copy(out, 8);
  let at = 8 + headerBuf.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/** Parses and validates a safetensors file's bytes; `source` names it in errors. */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors data'): SafeFile {
  const bad = (why: string): Error => new Error(`${source}: not a valid safetensors file: ${why}`);
  if (!isLittleEndian()) throw new Error('safetensors: big-endian hosts are not supported');
  if (bytes.length < 8) throw bad(`${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(MAX_HEADER)) throw bad(`header length ${headerLen} exceeds ${MAX_HEADER} bytes`);
  const n = Number(headerLen);
  if (8 + n > bytes.length) throw bad(`header of ${n} bytes runs past the end of the file (${bytes.length} bytes): truncated?`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (err) {
    throw bad(`header is not UTF-8 JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad('header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafeDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw bad(`metadata "${k}" is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (typeof raw !== 'object' || raw === null) throw bad(`entry "${name}" is not an object`);
    const { dtype, shape, data_offsets: offsets } = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || !(dtype in BYTES)) throw bad(`tensor "${name}" has unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(BYTES).join(', ')})`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) throw bad(`tensor "${name}" has a bad shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)) {
      throw bad(`tensor "${name}" has bad data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end - begin !== count * BYTES[dtype as SafeDtype]) {
      throw bad(`tensor "${name}" spans ${end - begin} bytes but [${String(shape)}] ${dtype} needs ${count * BYTES[dtype as SafeDtype]}`);
    }
    entries.push({ name, dtype: dtype as SafeDtype, shape: shape as number[], begin, end });
  }
  // The tensors must tile the data exactly: no gaps, no overlaps, nothing past the end.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of entries) {
    if (e.begin !== expected) throw bad(e.begin < expected ? `tensor "${e.name}" overlaps another` : `gap before tensor "${e.name}"`);
    expected = e.end;
  }
  if (expected > dataLen) throw bad(`tensor data needs ${expected} bytes but the file has ${dataLen} after the header: truncated?`);
  if (expected < dataLen) throw bad(`${dataLen - expected} unexpected bytes after the last tensor`);
  const checksum = metadata[CHECKSUM_KEY];
  if (checksum !== undefined) {
    // Tensors were hashed in file order, which is data order.
    const actual = createHash('sha256').update(bytes.subarray(dataStart, dataStart + dataLen)).digest('hex');
    if (actual !== checksum) throw bad('tensor data does not match its checksum: the file is damaged');
    delete metadata[CHECKSUM_KEY];
  }
  const tensors = new Map<string, SafeTensor>();
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    // Copy: the file's offsets need not be aligned for a typed-array view (and a Buffer's slice is a view).
    const chunk = new Uint8Array(e.end - e.begin);
    chunk.set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    const data = e.dtype === 'F32' ? new Float32Array(chunk.buffer) : e.dtype === 'I32' ? new Int32Array(chunk.buffer) : chunk;
    if (e.dtype === 'BOOL' && data.some((b) => b > 1)) throw bad(`tensor "${e.name}" is BOOL but holds values other than 0 and 1`);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

export function writeSafetensors(file: string, tensors: Map<string, SafeTensor>, metadata: Record<string, string> = {}): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}

export function readSafetensors(file: string): SafeFile {
  return decodeSafetensors(readFileSync(file), file);
}
