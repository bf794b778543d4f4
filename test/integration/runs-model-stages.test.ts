/**
 * The model stages through the run engine (in-process, real worker thread, real training on a
 * tiny model): metrics, samples and checkpoints become events, a cancel reaches a synchronous
 * training loop, a resume continues the same step count, and each stage starts from the model the
 * one before it left.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { RunEvent } from '../../schemas/protocol';
import { readSafetensors } from '../../daemon/compute';
import { RunEngine } from '../../daemon/runs';
import { HANG_GUARD_MS } from './daemon-harness';
import { scratchDir } from '../scratch';

const tinySpec = {
  name: 'tiny-pretrain',
  model: { paradigm: 'masked', architecture: { dim: 16, layers: 1, heads: 2, mlpRatio: 2 } },
  stages: [{ kind: 'pretrain', steps: 6, batchSize: 2, warmupSteps: 2, logEvery: 1, checkpointEvery: 2 }],
};

describe('model stages', () => {
  it('streams training metrics, cancels inside the loop, and resumes at the same step count', async () => {
    // A grace period longer than any test: the engine never terminates the thread, so a cancel
    // returns only once the training loop itself has seen the flag, checkpointed and stopped.
    const engine = new RunEngine({ runsDir: path.join(scratchDir('pre'), 'runs'), cancelGraceMs: HANG_GUARD_MS });
    engine.start();
    try {
      // Far more steps than the loop can take while a cancel reaches it (a step or two), on any
      // machine; with 6 steps a loaded machine sometimes finished the run before the cancel arrived.
      const steps = 1000;
      const run = engine.submit({ ...tinySpec, stages: [{ ...tinySpec.stages[0], steps }] }, process.cwd());
      const events: RunEvent[] = [];
      let onEvent: (() => void) | undefined;
      engine.subscribe(run.id, 0, (e) => {
        events.push(e);
        onEvent?.();
      });
      const nextCheckpoint = (from: number): Promise<void> =>
        new Promise<void>((resolve) => {
          onEvent = () => {
            if (events.slice(from).some((e) => e.type === 'checkpoint')) resolve();
          };
        });
      const lastMetricStep = (): number => engine.metrics(run.id).at(-1)!.step;

      await nextCheckpoint(0);
      assert.equal((await engine.cancel(run.id)).state, 'cancelled');
      const stopped = engine.get(run.id).lastCheckpoint!.step;
      // The loop checkpointed the step it stopped at.
      assert.equal(stopped, lastMetricStep());
      assert.ok(stopped >= 2 && stopped < steps, `stopped at ${stopped}`);

      const resumedFrom = events.length;
      engine.resume(run.id);
      await nextCheckpoint(resumedFrom);
      assert.equal((await engine.cancel(run.id)).state, 'cancelled');
      const rewind = events.slice(resumedFrom).find((e) => e.type === 'rewind') as Extract<RunEvent, { type: 'rewind' }>;
      assert.equal(rewind.step, stopped);
      // The same step count: one row per step, none lost or repeated across the resume.
      const rows = engine.metrics(run.id);
      assert.deepEqual(rows.map((r) => r.step), Array.from({ length: lastMetricStep() }, (_, i) => i + 1));
      assert.ok(rows.length > stopped);
      for (const r of rows) {
        assert.equal(typeof r.values['train/loss'], 'number');
        assert.ok((r.values['train/loss'] as number) > 0);
      }
      const file = path.join(engine.dirOf(run.id), 'stages', '0-pretrain', 'model.safetensors');
      assert.ok(fs.statSync(file).size > 0);
    } finally {
      await engine.stop();
    }
  });

  // npm test runs this file again with UNIRL_NATIVE=0: every stage kind of both paradigms on plain wasm.
  for (const paradigm of ['masked', 'autoregressive'] as const) {
    it(`${paradigm}: chains pretrain, SFT, GRPO, GenEval of the model and sampling, each starting from the model the one before left`, async () => {
      const engine = new RunEngine({ runsDir: path.join(scratchDir('chain'), 'runs') });
      engine.start();
      try {
        const sampling = { steps: 2 };
        const spec = {
          name: 'chain',
          model: { ...tinySpec.model, paradigm },
          stages: [
            { kind: 'pretrain', steps: 2, batchSize: 2, warmupSteps: 1, logEvery: 1, checkpointEvery: 2, keepEvery: 1 },
            { kind: 'sft', steps: 1, promptsPerStep: 1, imagesPerPrompt: 1, gradientSteps: 1, sampling, logEvery: 1, checkpointEvery: 1, samplesEvery: 1 },
            { kind: 'grpo', steps: 2, promptsPerStep: 1, groupSize: 2, policySteps: 1, sampling, logEvery: 1, checkpointEvery: 1, keepEvery: 2, samplesEvery: 1 },
            { kind: 'geneval', generator: 'model', limit: 3, imagesPerPrompt: 2, sampling, checkpointEvery: 2 },
            { kind: 'sample', prompts: ['a photo of two red circles'], imagesPerPrompt: 2, sampling },
          ],
        };
        const run = engine.submit(spec, process.cwd());
        const events: RunEvent[] = [];
        engine.subscribe(run.id, 0, (e) => events.push(e));
        const final = await engine.whenDone(run.id);
        assert.equal(final.state, 'completed', final.error ?? '');
        const of = <T extends RunEvent['type']>(type: T, stage: number): Extract<RunEvent, { type: T }>[] =>
          events.filter((e) => e.type === type && 'stage' in e && e.stage === stage) as Extract<RunEvent, { type: T }>[];
        const logs = events.filter((e) => e.type === 'log').map((e) => (e).message);
        const backend = logs.find((m) => m.startsWith('backend: '));
        assert.ok(backend?.startsWith('backend: wasm'), logs.join('\n'));
        if (process.env['UNIRL_NATIVE'] === '0') assert.ok(backend!.includes('without native kernels'), backend);
        assert.ok(logs.some((m) => m.startsWith('SFT from ') && m.includes('0-pretrain/model.safetensors')), logs.join('\n'));
        assert.ok(logs.some((m) => m.startsWith('GRPO from ') && m.includes('1-sft/model.safetensors')), logs.join('\n'));
        assert.ok(logs.some((m) => m.startsWith('GenEval of ') && m.includes('2-grpo/model.safetensors')), logs.join('\n'));
        assert.deepEqual(of('metric', 1).map((m) => m.step), [1]);
        assert.deepEqual(of('metric', 2).map((m) => m.step), [1, 2]);
        const grpoSamples = of('sample', 2);
        assert.ok(grpoSamples.length > 0 && grpoSamples.every((s) => typeof s.reward === 'number' && typeof s.advantage === 'number' && typeof s.answer === 'string'));
        const result = of('result', 3)[0]!;
        assert.equal(result.result.totalImages, 6);
        assert.ok(result.result.overall !== null && result.result.overall >= 0 && result.result.overall <= 1);
        assert.equal(of('sample', 4).length, 2);
        assert.ok(fs.existsSync(path.join(engine.dirOf(run.id), 'stages', '2-grpo', 'model.safetensors')));

        // keepEvery: the weights of those steps beside the model, weights only, each its own step;
        // the last kept is the model itself; no stage keeps what it was not asked to.
        const stages = path.join(engine.dirOf(run.id), 'stages');
        const kept = (stage: string): string[] => fs.readdirSync(path.join(stages, stage)).filter((f) => /\.step-\d+\./.test(f)).sort();
        assert.deepEqual(kept('0-pretrain'), ['model.step-1.safetensors', 'model.step-2.safetensors']);
        assert.deepEqual(kept('1-sft'), []);
        assert.deepEqual(kept('2-grpo'), ['model.step-2.safetensors']);
        const pretrained = (f: string): ReturnType<typeof readSafetensors> => readSafetensors(path.join(stages, '0-pretrain', f));
        const [one, two, model] = ['model.step-1.safetensors', 'model.step-2.safetensors', 'model.safetensors'].map(pretrained);
        assert.deepEqual([one!.metadata['step'], two!.metadata['step'], one!.metadata['optimizer'], two!.metadata['optimizer']], ['1', '2', undefined, undefined]);
        assert.ok(model!.metadata['optimizer'], 'the model keeps its optimizer state');
        const weights = (f: ReturnType<typeof readSafetensors>): number[] => [...f.tensors.values()].flatMap((t) => Array.from(t.data as Float32Array));
        assert.deepEqual(weights(two!), weights(model!));
        assert.notDeepEqual(weights(one!), weights(two!));
        const grpoKept = readSafetensors(path.join(stages, '2-grpo', 'model.step-2.safetensors'));
        assert.deepEqual(weights(grpoKept), weights(readSafetensors(path.join(stages, '2-grpo', 'model.safetensors'))));
      } finally {
        await engine.stop();
      }
    });
  }
});
