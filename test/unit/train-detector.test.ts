/**
 * The detector trainer's cache folder and merge, run as a user runs them (the real script, a few
 * scenes): a cache made with other options is refused and left as it was, never overwritten, and
 * a merge under options that draw another family than the networks learned from is refused before
 * anything is drawn or written (its temperature would be fitted on the wrong family).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const INSTALLED = 'daemon/geneval/shape-classifier.json';
const TURNED = 'daemon/geneval/turned-classifier.json';
const dir = mkdtempSync(join(tmpdir(), 'unirl-train-detector-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function trainer(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/train-detector.ts', '--scenes', '40', '--seed', '1', ...args], { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('bench/train-detector.ts', () => {
  it('refuses a cache folder made with other options and leaves it as it was', () => {
    const cache = join(dir, 'cache');
    const first = trainer('--cache', cache, '--weights', INSTALLED);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /\| daemon\/geneval\/shape-classifier\.json \| \d/);
    const regions = readFileSync(join(cache, 'validation.bin'));
    const key = readFileSync(join(cache, 'validation.bin.json'), 'utf8');

    const other = trainer('--cache', cache, '--triangles-four-ways', '--weights', INSTALLED);
    assert.notEqual(other.status, 0);
    assert.match(other.stderr, /validation\.bin was made with other options .*give another --cache folder/);
    assert.deepEqual(readFileSync(join(cache, 'validation.bin')), regions);
    assert.equal(readFileSync(join(cache, 'validation.bin.json'), 'utf8'), key);

    // The same options as the first run still read it.
    assert.equal(trainer('--cache', cache, '--weights', INSTALLED).status, 0);
  });

  it('refuses to merge networks under options that draw another family, before drawing or writing anything', () => {
    const cache = join(dir, 'merge-cache');
    const out = join(dir, 'merged.json');
    const run = trainer('--cache', cache, '--triangles-four-ways', '--merge', '--weights', INSTALLED, '--weights', INSTALLED, '--out', out);
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /--merge: daemon\/geneval\/shape-classifier\.json learned from "training family .*", but these options draw ".*40% of triangles pointing down, left or right"/);
    assert.equal(existsSync(out), false);
    assert.equal(existsSync(cache), false);
  });

  it('refuses to merge networks that read regions turned with --turned left out, and the other way round', () => {
    const cache = join(dir, 'turned-cache');
    const out = join(dir, 'turned-merged.json');
    // Copies of the committed files as networks of the default family (a file without a family
    // field learned from it), so that only how they read regions differs from the options, whatever
    // family the installed networks learned from.
    const copy = (file: string, name: string, descriptors?: string): string => {
      const weights = JSON.parse(readFileSync(file, 'utf8')) as { provenance: Record<string, unknown> };
      const { family: _family, ...provenance } = weights.provenance;
      writeFileSync(join(dir, name), JSON.stringify({ ...weights, provenance: descriptors === undefined ? provenance : { ...provenance, descriptors } }));
      return join(dir, name);
    };
    const drawn = copy(INSTALLED, 'drawn.json');
    const asDrawn = trainer('--cache', cache, '--turned', '--merge', '--weights', drawn, '--weights', drawn, '--out', out);
    assert.notEqual(asDrawn.status, 0);
    assert.match(asDrawn.stderr, /--merge: .*drawn\.json reads regions as "describeRegion[^"]*since session 20", these options as "[^"]*heavier end down[^"]*": leave out --turned/);
    const turnedCopy = copy(TURNED, 'turned.json');
    const turned = trainer('--cache', cache, '--merge', '--weights', turnedCopy, '--weights', turnedCopy, '--out', out);
    assert.notEqual(turned.status, 0);
    assert.match(turned.stderr, /--merge: .*turned\.json reads regions as "[^"]*heavier end down[^"]*", these options as "describeRegion[^"]*since session 20": give --turned/);
    // Networks of other descriptors (an older reading of regions) are refused whatever the options.
    const older = copy(INSTALLED, 'older.json', 'describeRegion: half-covered pixels');
    const old = trainer('--cache', cache, '--merge', '--weights', drawn, '--weights', older, '--out', out);
    assert.notEqual(old.status, 0);
    assert.match(old.stderr, /--merge: .*older\.json reads regions as "describeRegion: half-covered pixels", .*: retrain it with this code/);
    assert.equal(existsSync(out), false);
    assert.equal(existsSync(cache), false);
  });
});
