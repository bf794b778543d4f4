/**
 * The pretrain stage through the run engine (in-process, real worker thread, real training):
 * metrics and checkpoints become events, a cancel reaches the synchronous training loop, and a
 * resume continues the same step count from the model file.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { RunEvent } from '../../schemas/protocol';
import { RunEngine } from '../../daemon/runs';
import { tempDir } from './daemon-harness';

const tinySpec = {
  name: 'tiny-pretrain',
  model: { paradigm: 'masked', architecture: { dim: 16, layers: 1, heads: 2, mlpRatio: 2 } },
  stages: [{ kind: 'pretrain', steps: 6, batchSize: 2, warmupSteps: 2, logEvery: 1, checkpointEvery: 2 }],
};

describe('pretrain stage', () => {
  it('streams training metrics, cancels inside the loop, and resumes to the same step count', async () => {
    const engine = new RunEngine({ runsDir: path.join(tempDir('pre'), 'runs') });
    engine.start();
    try {
      const run = engine.submit(tinySpec, process.cwd());
      const events: RunEvent[] = [];
      let onEvent: (() => void) | undefined;
      engine.subscribe(run.id, 0, (e) => {
        events.push(e);
        onEvent?.();
      });
      await new Promise<void>((resolve) => {
        onEvent = () => {
          if (events.some((e) => e.type === 'checkpoint')) resolve();
        };
      });
      const t0 = Date.now();
      assert.equal((await engine.cancel(run.id)).state, 'cancelled');
      assert.ok(Date.now() - t0 < 2500, `cancel took ${Date.now() - t0} ms`);
      const checkpoint = engine.get(run.id).lastCheckpoint!;
      assert.ok(checkpoint.step >= 2 && checkpoint.step < 6);

      engine.resume(run.id);
      const final = await engine.whenDone(run.id);
      assert.equal(final.state, 'completed', final.error ?? '');
      const rows = engine.metrics(run.id);
      assert.deepEqual(rows.map((r) => r.step), [1, 2, 3, 4, 5, 6]);
      for (const r of rows) {
        assert.equal(typeof r.values['train/loss'], 'number');
        assert.ok((r.values['train/loss'] as number) > 0);
      }
      const file = path.join(engine.dirOf(run.id), 'stages', '0-pretrain', 'model.safetensors');
      assert.ok(fs.statSync(file).size > 0);
      const rewind = events.find((e) => e.type === 'rewind') as Extract<RunEvent, { type: 'rewind' }>;
      assert.equal(rewind.step, checkpoint.step);
    } finally {
      await engine.stop();
    }
  });
});
