import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  Adam,
  decodeSafetensors,
  encodeSafetensors,
  initCompute,
  loadCheckpoint,
  optimizerFileFor,
  Parameters,
  readSafetensors,
  saveCheckpoint,
  writeSafetensors,
  type SafeTensor,
} from '../../daemon/compute';
import { scratchDir } from '../scratch';

const dir = scratchDir('safetensors');

function sample(): Map<string, SafeTensor> {
  return new Map<string, SafeTensor>([
    ['w', { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1.5, -2, 3.25, 0, 1e-30, -7]) }],
    ['ids', { dtype: 'I32', shape: [3], data: Int32Array.from([7, -1, 2147483647]) }],
    ['bytes', { dtype: 'U8', shape: [1, 2], data: Uint8Array.from([0, 255]) }],
    ['flags', { dtype: 'BOOL', shape: [2], data: Uint8Array.from([1, 0]) }],
    ['empty', { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) }],
  ]);
}

/** A file with a hand-written header around the given data bytes. */
function handMade(header: unknown, data: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

describe('safetensors', () => {
  it('round-trips every supported dtype, shapes and metadata', () => {
    const file = join(dir, 'round.safetensors');
    writeSafetensors(file, sample(), { config: '{"a":1}', step: '12' });
    const back = readSafetensors(file);
    assert.deepEqual(back.metadata, { config: '{"a":1}', step: '12' });
    for (const [name, t] of sample()) {
      const b = back.tensors.get(name);
      assert.ok(b, name);
      assert.equal(b.dtype, t.dtype);
      assert.deepEqual(b.shape, t.shape);
      assert.deepEqual([...b.data], [...t.data]);
      assert.equal(b.data.constructor, t.data.constructor);
    }
  });

  it('writes the standard layout: u64 LE header length, JSON header, aligned contiguous data', () => {
    const bytes = encodeSafetensors(sample(), { note: 'x' });
    const n = Number(bytes.readBigUInt64LE(0));
    assert.equal((8 + n) % 8, 0);
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    assert.deepEqual(header['w'], { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    assert.deepEqual(header['ids'], { dtype: 'I32', shape: [3], data_offsets: [24, 36] });
    assert.equal(new Float32Array(bytes.buffer.slice(bytes.byteOffset + 8 + n, bytes.byteOffset + 8 + n + 24))[2], 3.25);
    assert.equal(bytes.length, 8 + n + 24 + 12 + 2 + 2);
  });

  it('reads files from other writers (no checksum, unordered offsets)', () => {
    const data = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
    const file = handMade({ b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] }, a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, data);
    const back = decodeSafetensors(file);
    assert.deepEqual([...back.tensors.get('a')!.data], [1, 2]);
    assert.deepEqual([...back.tensors.get('b')!.data], [3]);
  });

  it('every truncation of a file is a clear error, never a partial result', () => {
    const bytes = encodeSafetensors(sample(), { step: '1' });
    for (let len = 0; len < bytes.length; len++) {
      assert.throws(() => decodeSafetensors(bytes.subarray(0, len), 'cut.safetensors'), /cut\.safetensors: not a valid safetensors file/, `length ${len}`);
    }
  });

  it('damaged tensor bytes fail the checksum; damaged headers fail validation', () => {
    const bytes = encodeSafetensors(sample());
    const n = Number(bytes.readBigUInt64LE(0));
    const flipped = Buffer.from(bytes);
    flipped[8 + n + 5] = (flipped[8 + n + 5] ?? 0) ^ 0x10;
    assert.throws(() => decodeSafetensors(flipped), /does not match its checksum/);
    const rng = (seed: number) => () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const r = rng(3);
    for (let trial = 0; trial < 300; trial++) {
      const damaged = Buffer.from(bytes);
      const at = Math.floor(r() * (8 + n));
      damaged[at] = Math.floor(r() * 256);
      if (damaged[at] === bytes[at]) continue;
      try {
        const back = decodeSafetensors(damaged);
        // A change that keeps the header valid (e.g. inside a metadata string) must keep the data intact.
        assert.deepEqual([...back.tensors.get('w')!.data], [...sample().get('w')!.data]);
      } catch (err) {
        assert.match((err as Error).message, /not a valid safetensors file/);
      }
    }
  });

  it('names the problem in malformed headers', () => {
    const f4 = new Uint8Array(8);
    const cases: [unknown, Uint8Array, RegExp][] = [
      [{ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, f4, /spans 4 bytes but \[2\] F32 needs 8/],
      [{ a: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, f4.subarray(0, 4), /unsupported dtype "F16"/],
      [{ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [2, 6] } }, f4, /overlaps/],
      [{ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f4, /gap before tensor "a"/],
      [{ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f4, /4 unexpected bytes after the last tensor/],
      [{ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f4, /bad shape/],
      [{ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }, f4, /bad data_offsets/],
      [{ __metadata__: { step: 3 } }, new Uint8Array(0), /metadata "step" is not a string/],
      [[1, 2], new Uint8Array(0), /header is not a JSON object/],
      [{ a: { dtype: 'BOOL', shape: [2], data_offsets: [0, 2] } }, Uint8Array.from([1, 2]), /holds values other than 0 and 1/],
    ];
    for (const [header, data, why] of cases) assert.throws(() => decodeSafetensors(handMade(header, data)), why);
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(2n ** 60n);
    assert.throws(() => decodeSafetensors(huge), /header length .* exceeds/);
    const notJson = Buffer.concat([Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{x]')]);
    assert.throws(() => decodeSafetensors(notJson), /header is not UTF-8 JSON/);
  });

  it('writes atomically: a failed write leaves the old file and no temporary files', () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    const file = join(sub, 'model.safetensors');
    writeSafetensors(file, sample());
    const before = readFileSync(file);
    const bad = new Map<string, SafeTensor>([['w', { dtype: 'F32', shape: [3], data: new Float32Array(2) }]]);
    assert.throws(() => writeSafetensors(file, bad), /2 values for shape \[3\]/);
    assert.deepEqual(readFileSync(file), before);
    // A parent that is a file: the write fails before any byte lands.
    assert.throws(() => writeSafetensors(join(sub, 'model.safetensors', 'x.safetensors'), sample()), /EEXIST|ENOTDIR/);
    assert.deepEqual(readdirSync(sub), ['model.safetensors']);
  });
});

describe('checkpoints', () => {
  before(async () => {
    await initCompute({ backend: 'wasm' });
  });

  function model(seed: number): Parameters {
    const p = new Parameters(seed);
    p.add('a.w', [3, 4], { normal: 1 });
    p.add('a.b', [4], 'zeros');
    return p;
  }

  it('round-trips parameters, config, step and Adam state', async () => {
    const file = join(dir, 'ckpt.safetensors');
    const p = model(1);
    const opt = new Adam({ lr: 0.1 });
    const grads = new Map([['a.w', tf.onesLike(p.get('a.w'))], ['a.b', tf.onesLike(p.get('a.b'))]]);
    opt.apply(p, grads);
    await saveCheckpoint(file, p, { config: { width: 4 }, step: 1, optimizer: opt });
    assert.ok(existsSync(optimizerFileFor(file)));
    const q = model(2);
    const opt2 = new Adam({ lr: 0.1 });
    const info = loadCheckpoint(file, q, opt2);
    assert.deepEqual(info.config, { width: 4 });
    assert.equal(info.step, 1);
    assert.deepEqual(q.get('a.w').dataSync(), p.get('a.w').dataSync());
    assert.equal(opt2.step, 1);
    assert.deepEqual(opt2.state().v.get('a.w')?.dataSync(), opt.state().v.get('a.w')?.dataSync());
    for (const g of grads.values()) g.dispose();
    for (const x of [p, q, opt, opt2]) x.dispose();
  });

  it('refuses a checkpoint that does not fit the model or lacks the optimizer state', async () => {
    const file = join(dir, 'small.safetensors');
    const p = model(1);
    await saveCheckpoint(file, p, { config: null, step: 5 });
    const other = new Parameters(0);
    other.add('a.w', [3, 4], 'zeros');
    assert.throws(() => loadCheckpoint(file, other), /missing: none; unexpected: a\.b/);
    const wrong = new Parameters(0);
    wrong.add('a.w', [4, 3], 'zeros');
    wrong.add('a.b', [4], 'zeros');
    assert.throws(() => loadCheckpoint(file, wrong), /"a\.w" is F32 \[3,4\], the model has F32 \[4,3\]/);
    assert.throws(() => loadCheckpoint(file, model(1), new Adam({ lr: 1 })), /has no optimizer state/);
    writeSafetensors(join(dir, 'plain.safetensors'), new Map());
    assert.throws(() => loadCheckpoint(join(dir, 'plain.safetensors'), p), /not a UniRL checkpoint/);
    for (const x of [p, other, wrong]) x.dispose();
  });

  it('finds the optimizer state of a renamed checkpoint, under its new name or its old one', async () => {
    const file = join(dir, 'first-name.safetensors');
    const p = model(1);
    const opt = new Adam({ lr: 0.1 });
    await saveCheckpoint(file, p, { config: null, step: 4, optimizer: opt });
    // Both files renamed, as a published base is: the state is found under the model's new name.
    const renamed = join(dir, 'published.safetensors');
    renameSync(file, renamed);
    renameSync(optimizerFileFor(file), optimizerFileFor(renamed));
    assert.equal(loadCheckpoint(renamed, model(2), new Adam({ lr: 0.1 })).optimizerFile, optimizerFileFor(renamed));
    // Only the model renamed: the name it was saved with is still read.
    const copied = join(dir, 'copied.safetensors');
    copyFileSync(renamed, copied);
    copyFileSync(optimizerFileFor(renamed), join(dir, 'first-name.optimizer.safetensors'));
    assert.equal(loadCheckpoint(copied, model(2), new Adam({ lr: 0.1 })).optimizerFile, join(dir, 'first-name.optimizer.safetensors'));
    // Neither beside it: a clear error, not a missing-file trace.
    const alone = join(dir, 'alone.safetensors');
    copyFileSync(renamed, alone);
    rmSync(join(dir, 'first-name.optimizer.safetensors'));
    assert.throws(() => loadCheckpoint(alone, model(2), new Adam({ lr: 0.1 })), /alone\.safetensors: its optimizer state alone\.optimizer\.safetensors is not beside it/);
    assert.doesNotThrow(() => loadCheckpoint(alone, model(2)), 'the weights alone still load');
    for (const x of [p, opt]) x.dispose();
  });

  it('refuses optimizer state from another step than the model', async () => {
    const file = join(dir, 'mixed.safetensors');
    const p = model(1);
    const opt = new Adam({ lr: 0.1 });
    await saveCheckpoint(file, p, { config: null, step: 3, optimizer: opt });
    const older = join(dir, 'older.safetensors');
    await saveCheckpoint(older, p, { config: null, step: 2, optimizer: opt });
    writeFileSync(optimizerFileFor(file), readFileSync(optimizerFileFor(older)));
    assert.throws(() => loadCheckpoint(file, model(1), new Adam({ lr: 0.1 })), /optimizer state is from step 2, the model from step 3/);
    p.dispose();
  });
});
