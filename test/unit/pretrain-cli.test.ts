/**
 * `unirl pretrain` through the real CLI: a run is resumed from its own file at its own model size,
 * with or without repeating its size options, and options that contradict it are refused before
 * any training.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { keptFile, optimizerFileFor, readSafetensors } from '../../daemon/compute';
import { checkpointModelConfig } from '../../daemon/models';
import { scratchDir } from '../scratch';

const bin = join(__dirname, '..', '..', 'bin', 'unirl.js');
const dir = scratchDir('pretrain-cli');

const pretrain = (...args: string[]): ReturnType<typeof spawnSync> =>
  spawnSync(process.execPath, [bin, 'pretrain', '--batch', '2', '--warmup', '1', '--log-every', '1', '--checkpoint-every', '1', ...args], { encoding: 'utf8' });

describe('unirl pretrain', () => {
  it('resumes a file at its own model size, with no size options, and refuses ones that contradict it', () => {
    const file = join(dir, 'small.safetensors');
    const first = pretrain('--out', file, '--paradigm', 'autoregressive', '--dim', '16', '--layers', '1', '--heads', '2', '--steps', '1');
    assert.equal(first.status, 0, String(first.stderr));
    assert.ok(existsSync(optimizerFileFor(file)));
    const resumed = pretrain('--out', file, '--steps', '2');
    assert.equal(resumed.status, 0, String(resumed.stderr));
    assert.match(String(resumed.stderr), /stopped at step 2/);
    const { paradigm, dim, layers, heads } = checkpointModelConfig(file);
    assert.deepEqual({ paradigm, dim, layers, heads }, { paradigm: 'autoregressive', dim: 16, layers: 1, heads: 2 });
    // The starting command again (its size options agree with the file) resumes too.
    const again = pretrain('--out', file, '--paradigm', 'autoregressive', '--dim', '16', '--layers', '1', '--heads', '2', '--steps', '3');
    assert.equal(again.status, 0, String(again.stderr));
    assert.match(String(again.stderr), /stopped at step 3/);
    const contradicted = pretrain('--out', file, '--steps', '4', '--dim', '32', '--heads', '2');
    assert.equal(contradicted.status, 2);
    assert.match(String(contradicted.stderr), /small\.safetensors exists and is resumed at its own model size \(dim 16\); leave out --dim or choose another --out/);
    const otherParadigm = pretrain('--out', file, '--steps', '4', '--paradigm', 'masked');
    assert.equal(otherParadigm.status, 2);
    assert.match(String(otherParadigm.stderr), /small\.safetensors is an autoregressive checkpoint, not masked/);
  });

  it('--keep-every keeps the weights of those steps beside the file, loadable and without optimizer state', () => {
    const file = join(dir, 'kept.safetensors');
    const run = pretrain('--out', file, '--paradigm', 'masked', '--dim', '16', '--layers', '1', '--heads', '2', '--steps', '4', '--keep-every', '2');
    assert.equal(run.status, 0, String(run.stderr));
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('kept.step-')).sort(), ['kept.step-2.safetensors', 'kept.step-4.safetensors']);
    for (const step of [2, 4]) {
      const kept = keptFile(file, step);
      assert.equal(readSafetensors(kept).metadata['step'], String(step));
      assert.equal(readSafetensors(kept).metadata['optimizer'], undefined);
      assert.equal(checkpointModelConfig(kept).dim, 16);
    }
    const bad = pretrain('--out', join(dir, 'bad.safetensors'), '--steps', '2', '--keep-every', '-1');
    assert.equal(bad.status, 2);
    assert.match(String(bad.stderr), /--keep-every/);
  });

  it('--grid-positions with --init grows the row and column tables into the continued file; a masked model refuses it', () => {
    const source = join(dir, 'source.safetensors');
    assert.equal(pretrain('--out', source, '--paradigm', 'autoregressive', '--dim', '16', '--layers', '1', '--heads', '2', '--steps', '1').status, 0);
    const grown = join(dir, 'grown.safetensors');
    const run = pretrain('--out', grown, '--init', source, '--grid-positions', '--steps', '1', '--lr', '1e-9', '--min-lr', '0', '--warmup', '0');
    assert.equal(run.status, 0, String(run.stderr));
    assert.equal(checkpointModelConfig(grown).gridPositions, true);
    const { tensors } = readSafetensors(grown);
    assert.deepEqual(tensors.get('enc.row')!.shape, [8, 1, 16]);
    assert.deepEqual(tensors.get('enc.col')!.shape, [1, 8, 16]);
    const masked = pretrain('--out', join(dir, 'masked-grid.safetensors'), '--paradigm', 'masked', '--dim', '16', '--layers', '1', '--heads', '2', '--steps', '1', '--grid-positions');
    assert.notEqual(masked.status, 0);
    assert.match(String(masked.stderr), /gridPositions is an autoregressive setting/);
  });
});
