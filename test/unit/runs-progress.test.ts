import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { RunEvent } from '../../schemas/protocol';
import { formatDuration, progressLine } from '../../daemon/cli/progress';
import { RunFolder } from '../../daemon/runs';
import { validateSpec } from '../../daemon/spec';
import { scratchDir } from '../scratch';

const progress = (step: number, total: number, eta: number | null, rate: number | null): Extract<RunEvent, { type: 'progress' }> => ({
  type: 'progress',
  stage: 0,
  step,
  total,
  etaSeconds: eta,
  stepsPerSecond: rate,
  seq: 1,
  time: '',
});

describe('progress lines', () => {
  it('shows the bar, the count and the rate, and the ETA only once the engine has one', () => {
    assert.equal(progressLine(progress(5, 20, null, null), 'stage 0 geneval', 8), 'stage 0 geneval [##......] 5/20  25%');
    assert.equal(progressLine(progress(15, 20, 3725, 2.5), 'x', 8), 'x [######..] 15/20  75%  2.5 steps/s  ETA 1:02:05');
    assert.equal(formatDuration(59.6), '1:00');
    assert.equal(formatDuration(0), '0:00');
  });
});

describe('run folder', () => {
  it('cuts a torn last line and rebuilds metrics.jsonl from the event log, rewinds applied', () => {
    const runs = scratchDir('folder');
    const { spec } = validateSpec({ name: 'f', stages: [{ kind: 'geneval', generator: 'truth' }] });
    const folder = RunFolder.create(runs, spec!, runs);
    for (const step of [10, 20, 30]) folder.append({ type: 'metric', stage: 0, step, values: { 'geneval/overall': step / 100 } });
    folder.append({ type: 'rewind', stage: 0, step: 20 });
    folder.append({ type: 'metric', stage: 0, step: 30, values: { 'geneval/overall': 0.5 } });
    folder.close();
    // A kill in the middle of an append, and a metrics file that disagrees with the log.
    fs.appendFileSync(path.join(folder.dir, 'events.jsonl'), '{"type":"metric","stage":0,"st');
    fs.writeFileSync(path.join(folder.dir, 'metrics.jsonl'), '');

    const reopened = RunFolder.open(folder.dir);
    assert.equal(reopened.lastSeq, 5);
    assert.equal(fs.readFileSync(path.join(folder.dir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).length, 5);
    assert.deepEqual(reopened.readMetrics().map((r) => [r.step, r.values['geneval/overall']]), [[10, 0.1], [20, 0.2], [30, 0.5]]);
    assert.deepEqual(reopened.readEvents(3).map((e) => e.seq), [4, 5]);
    const next = reopened.append({ type: 'log', level: 'info', message: 'after the repair' });
    assert.equal(next.seq, 6);
    reopened.close();
  });
});
