/**
 * Runs through a real daemon process: submit, stream, cancel, resume; SIGKILL mid-run and a
 * restart that resumes from the last checkpoint with the metrics intact; several clients and a
 * late subscriber seeing the same events without gaps or duplicates. The stage is GenEval with
 * truth images (553 prompts x 4 images): it needs no model, so these tests exercise the daemon, not
 * training (runs-model-stages.test.ts runs the training stages).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { ErrorCodes, type RunEvent } from '../../schemas/protocol';
import type { MetricRow } from '../../daemon/runs';
import { connect, EventLog, readJsonLines, seqs, startDaemon, stopDaemon, truthSpec, type StartedDaemon } from './daemon-harness';
import { scratchDir } from '../scratch';

const started: StartedDaemon[] = [];
after(async () => {
  for (const d of started) await stopDaemon(d, 'SIGKILL');
});

async function daemonIn(home: string, workspace: string): Promise<StartedDaemon> {
  const d = await startDaemon(home, workspace);
  started.push(d);
  return d;
}

function assertContiguous(events: RunEvent[], from = 1): void {
  assert.deepEqual(
    seqs(events),
    Array.from({ length: events.length }, (_, i) => from + i),
    'events must be numbered without gaps or duplicates',
  );
}

const progressSteps = (events: RunEvent[]): number[] => events.filter((e) => e.type === 'progress').map((e) => (e).step);

/** Metric rows strictly increasing in step within the stage: no duplicates, no going back. */
function assertMonotonic(rows: MetricRow[]): void {
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i]!.step > rows[i - 1]!.step, `metric step ${rows[i]!.step} after ${rows[i - 1]!.step}`);
}

describe('daemon runs', () => {
  it('submits, streams, cancels, resumes from the checkpoint and completes', async () => {
    const workspace = scratchDir('ws');
    const d = await daemonIn(scratchDir('home'), workspace);
    const client = await connect(d);
    const changes: string[] = [];
    client.on('runs/changed', ({ run }) => changes.push(run.state));
    const run = await client.request('runs/submit', { spec: truthSpec('cancel-resume') });
    assert.match(run.id, /cancel-resume/);
    const log = new EventLog(client, run.id);
    const sub = await client.request('runs/subscribe', { runId: run.id });
    assert.equal(sub.runId, run.id);
    await log.waitFor((es) => es.some((e) => e.type === 'checkpoint' && e.step >= 50), 'a checkpoint at step 50');

    // (How soon a cancel lands is the engine's grace period, not something a test on a loaded machine can time.)
    const cancelled = await client.request('runs/cancel', { runId: run.id });
    assert.equal(cancelled.state, 'cancelled');
    await log.waitForState('cancelled');
    const checkpointStep = (await client.request('runs/get', { runId: run.id })).lastCheckpoint!.step;
    assert.ok(checkpointStep >= 50 && checkpointStep < 553);
    await assert.rejects(client.request('runs/delete', { runId: 'nope' }), (e: { code: number }) => e.code === ErrorCodes.RunNotFound);

    const resumed = await client.request('runs/resume', { runId: run.id });
    assert.ok(resumed.state === 'queued' || resumed.state === 'running', resumed.state);
    await log.waitForState('completed');
    assertContiguous(log.events);

    // The resume restarted the stage at its checkpoint and said so before any new progress.
    const rewindAt = log.events.findIndex((e) => e.type === 'rewind');
    const rewind = log.events[rewindAt] as Extract<RunEvent, { type: 'rewind' }>;
    assert.equal(rewind.step, checkpointStep);
    const after = progressSteps(log.events.slice(rewindAt));
    assert.equal(after[0], checkpointStep + 1, 'the resumed stage continues from the step after its checkpoint');
    assert.equal(after[after.length - 1], 553);

    const result = log.events.find((e) => e.type === 'result') as Extract<RunEvent, { type: 'result' }>;
    assert.equal(result.result.totalImages, 553 * 4);
    assert.equal(result.result.totalPrompts > 0, true);
    assert.equal(result.result.overall, 1, 'truth images score 1.0');

    const runDir = path.join(workspace, 'runs', run.id);
    const metrics = readJsonLines<MetricRow>(path.join(runDir, 'metrics.jsonl'));
    assertMonotonic(metrics);
    assert.equal(metrics[metrics.length - 1]!.step, 553);
    assert.equal(metrics[metrics.length - 1]!.values['geneval/overall'], 1);
    // The official layout: one folder per prompt, 4 images each, results.jsonl with one row an image.
    const images = path.join(runDir, 'stages', '0-geneval', 'images');
    assert.equal(fs.readdirSync(images).filter((n) => /^\d{5}$/.test(n)).length, 553);
    assert.equal(fs.readdirSync(path.join(images, '00552', 'samples')).length, 4);
    assert.equal(readJsonLines(path.join(runDir, 'stages', '0-geneval', 'results.jsonl')).length, 553 * 4);

    // Files of the run can be read, but nothing outside the run folder.
    const sample = log.events.find((e) => e.type === 'sample') as Extract<RunEvent, { type: 'sample' }>;
    const file = await client.request('runs/readFile', { runId: run.id, path: sample.image.path });
    assert.equal(file.base64, sample.image.pngBase64);
    for (const bad of ['../../x', '/etc/passwd', 'samples/../../../etc/hostname']) {
      await assert.rejects(client.request('runs/readFile', { runId: run.id, path: bad }), (e: { code: number }) => e.code === ErrorCodes.PathNotAllowed);
    }
    // (After a round trip, so every notification sent before it has arrived.)
    assert.ok(changes.includes('cancelled') && changes.includes('completed'), `runs/changed saw ${changes.join(',')}`);
    await client.request('runs/delete', { runId: run.id });
    assert.equal(fs.existsSync(runDir), false);
    await client.close();
  });

  it('survives SIGKILL mid-run: the restarted daemon resumes from the last checkpoint with the metrics intact', async () => {
    const home = scratchDir('home');
    const workspace = scratchDir('ws');
    const first = await daemonIn(home, workspace);
    const client = await connect(first);
    const run = await client.request('runs/submit', { spec: truthSpec('sigkill') });
    const log = new EventLog(client, run.id);
    await client.request('runs/subscribe', { runId: run.id });
    await log.waitFor((es) => es.some((e) => e.type === 'checkpoint' && e.step >= 100), 'a checkpoint at step 100');
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    const runDir = path.join(workspace, 'runs', run.id);
    const state = JSON.parse(fs.readFileSync(path.join(runDir, 'state.json'), 'utf8')) as { state: string; lastCheckpoint: { step: number } };
    assert.equal(state.state, 'running', 'the killed daemon left the run running on disk');
    const checkpointStep = state.lastCheckpoint.step;
    assert.ok(checkpointStep >= 100 && checkpointStep < 553, `checkpoint at ${checkpointStep}`);
    const before = readJsonLines<MetricRow>(path.join(runDir, 'metrics.jsonl')).filter((r) => r.step <= checkpointStep);
    assert.ok(before.length >= 4);

    // Restart: the stale connection file names a dead pid, so a new daemon may take over.
    const second = await daemonIn(home, workspace);
    const again = await connect(second);
    const log2 = new EventLog(again, run.id);
    await again.request('runs/subscribe', { runId: run.id });
    await log2.waitForState('completed');
    assertContiguous(log2.events);
    const states = log2.events.filter((e) => e.type === 'state').map((e) => (e).state);
    assert.deepEqual(states.slice(-4), ['interrupted', 'queued', 'running', 'completed']);
    const rewind = log2.events.find((e) => e.type === 'rewind') as Extract<RunEvent, { type: 'rewind' }>;
    assert.equal(rewind.step, checkpointStep);

    const afterRows = readJsonLines<MetricRow>(path.join(runDir, 'metrics.jsonl'));
    assert.deepEqual(afterRows.slice(0, before.length), before, 'every metric row up to the checkpoint is kept as it was');
    assertMonotonic(afterRows);
    assert.equal(afterRows[afterRows.length - 1]!.step, 553);
    const result = log2.events.find((e) => e.type === 'result') as Extract<RunEvent, { type: 'result' }>;
    assert.equal(result.result.totalImages, 553 * 4);
    assert.equal(result.result.overall, 1);
    await again.close();
  });

  it('gives two clients the same events, and a late subscriber the full history without gaps', async () => {
    const d = await daemonIn(scratchDir('home'), scratchDir('ws'));
    const a = await connect(d);
    const b = await connect(d);
    const run = await a.request('runs/submit', { spec: truthSpec('two-clients') });
    const logA = new EventLog(a, run.id);
    const logB = new EventLog(b, run.id);
    await a.request('runs/subscribe', { runId: run.id });
    await b.request('runs/subscribe', { runId: run.id });
    // A third client arrives mid-run and a fourth resumes from a seq it had already seen.
    await logA.waitFor((es) => progressSteps(es).some((s) => s >= 200), 'step 200');
    const c = await connect(d);
    const logC = new EventLog(c, run.id);
    const subC = await c.request('runs/subscribe', { runId: run.id });
    assert.ok(subC.replayThrough > 0);
    const dClient = await connect(d);
    const logD = new EventLog(dClient, run.id);
    await dClient.request('runs/subscribe', { runId: run.id, afterSeq: 100 });

    for (const log of [logA, logB, logC, logD]) await log.waitForState('completed');
    assertContiguous(logA.events);
    assert.deepEqual(logB.events, logA.events);
    assert.deepEqual(logC.events, logA.events, 'the late subscriber got the history, then the live stream, with nothing lost or repeated');
    assertContiguous(logD.events, 101);
    assert.deepEqual(logD.events, logA.events.slice(100));
    // After the run: a fresh subscriber replays everything from disk.
    const e = await connect(d);
    const logE = new EventLog(e, run.id);
    const subE = await e.request('runs/subscribe', { runId: run.id });
    await logE.waitFor((es) => es.length === subE.replayThrough, 'the whole history');
    assert.deepEqual(logE.events, logA.events);
    for (const client of [a, b, c, dClient, e]) await client.close();
  });

  it('refuses an invalid spec with its problems', async () => {
    const d = await daemonIn(scratchDir('home'), scratchDir('ws'));
    const client = await connect(d);
    const spec = { name: 'later', stages: [{ kind: 'sft' }, { kind: 'grpo', groupSize: 1 }, { kind: 'geneval', generator: 'truth' }] };
    await assert.rejects(client.request('runs/submit', { spec }), (e: { code: number; data: { problems: { pointer: string; message: string }[] } }) => {
      assert.equal(e.code, ErrorCodes.InvalidSpec);
      const messages = e.data.problems.map((p) => `${p.pointer}: ${p.message}`);
      assert.ok(messages.includes('/stages/0/kind: this sft stage needs a model: set model.checkpoint, or put a pretrain stage before it'), messages.join('\n'));
      assert.ok(messages.includes('/stages/1/kind: this grpo stage needs a model: set model.checkpoint, or put a pretrain stage before it'), messages.join('\n'));
      assert.ok(messages.some((m) => m.startsWith('/stages/1/groupSize: groupSize must be at least 2')), messages.join('\n'));
      return true;
    });
    const { problems } = await client.request('spec/validate', { spec: truthSpec('fine') });
    assert.deepEqual(problems, []);
    assert.deepEqual((await client.request('runs/list')).runs, []);
    await client.close();
  });

  it('stops on daemon/shutdown: the running run is left interrupted, the connection file removed, and the next daemon resumes it', async () => {
    const home = scratchDir('home');
    const workspace = scratchDir('ws');
    const d = await daemonIn(home, workspace);
    const client = await connect(d);
    const run = await client.request('runs/submit', { spec: truthSpec('shutdown') });
    const log = new EventLog(client, run.id);
    await client.request('runs/subscribe', { runId: run.id });
    await log.waitFor((es) => es.some((e) => e.type === 'checkpoint'), 'a checkpoint');
    const exited = new Promise<number | null>((resolve) => d.child.once('exit', (code) => resolve(code)));
    assert.deepEqual(await client.request('daemon/shutdown'), { ok: true });
    assert.equal(await exited, 0);
    assert.equal(fs.existsSync(path.join(home, 'daemon.json')), false);
    const state = JSON.parse(fs.readFileSync(path.join(workspace, 'runs', run.id, 'state.json'), 'utf8')) as { state: string };
    assert.equal(state.state, 'interrupted');

    const again = await connect(await daemonIn(home, workspace));
    const log2 = new EventLog(again, run.id);
    await again.request('runs/subscribe', { runId: run.id });
    await log2.waitForState('completed');
    assertContiguous(log2.events);
    await again.close();
  });
});
