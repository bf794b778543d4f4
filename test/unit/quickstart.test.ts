/**
 * What the main job tells a newcomer: the backend line, the one-line hint when the native kernels
 * are missing, the smaller quickstart for plain wasm, a before/after table of measured numbers
 * only, and a failed stage's message (stage, step, error, what to do).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { GenevalResult } from '../../schemas/protocol';
import { backendLine, beforeAfterReport, grpoRecipe, nativeHint, noiseLine, PLAIN_SIZE, QUICKSTART_SPEC, RECIPE_SETTINGS, recordLines, sizedForPlain } from '../../daemon/cli/quickstart';
import type { ComputeInfo } from '../../daemon/compute';
import { nodeContext, validateSpec } from '../../daemon/spec';
import { stageFailure } from '../../daemon/runs/worker';
import { scratchDir } from '../scratch';

const wasm = (native: ComputeInfo['native']): ComputeInfo => ({ backend: 'wasm', requested: 'auto', reason: 'wasm', native });
const missing = wasm({ loaded: false, active: false, reason: 'not built (OpenBLAS is missing)' });
const built = wasm({ loaded: true, active: true, reason: 'loaded', blas: 'OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH', threads: 1 });

function result(overall: number, single: number): GenevalResult {
  return { overall, tags: { single_object: { correct: 1, total: 2, score: single } }, totalImages: 8, totalPrompts: 2, correctImages: 4, correctPrompts: 1 };
}

describe('the quickstart says what it runs on', () => {
  it('names the backend and the kernels', () => {
    assert.equal(backendLine(built), 'backend: wasm with the native kernels (OpenBLAS 0.3.21, 1 thread)');
    assert.equal(backendLine(missing), 'backend: wasm without the native kernels: not built (OpenBLAS is missing)');
  });

  it('says in one line how much faster the native kernels are and how to get them, per platform', () => {
    assert.equal(nativeHint(built), undefined);
    assert.match(nativeHint(missing, 'linux')!, /^The native kernels would make this about \dx faster: sudo apt-get install -y build-essential python3 libopenblas-dev && npm run build:native/);
    assert.match(nativeHint(missing, 'darwin')!, /: xcode-select --install && npm run build:native$/);
    assert.match(nativeHint(wasm({ loaded: false, active: false, reason: 'disabled by UNIRL_NATIVE=0' }))!, /unset UNIRL_NATIVE/);
    assert.equal(nativeHint({ ...built, backend: 'tensorflow' }), undefined);
    for (const info of [missing, built]) assert.ok(!(nativeHint(info) ?? '').includes('\n'));
  });

  it('sizes the committed quickstart down for plain wasm: same prompts and stages, fewer images and GRPO steps, still a valid spec', () => {
    const spec = JSON.parse(readFileSync(join(process.cwd(), QUICKSTART_SPEC), 'utf8')) as Parameters<typeof sizedForPlain>[0];
    const small = sizedForPlain(spec);
    assert.deepEqual(small.stages.map((s) => s.kind), spec.stages.map((s) => s.kind));
    for (const s of small.stages) {
      if (s.kind === 'geneval') assert.equal(s.imagesPerPrompt, PLAIN_SIZE.imagesPerPrompt);
      if (s.kind === 'grpo') assert.equal(s.steps, PLAIN_SIZE.grpoSteps);
    }
    const { problems } = validateSpec(JSON.stringify(small), nodeContext(join(process.cwd(), 'examples')));
    assert.deepEqual(problems.filter((p) => p.severity === 'error'), []);
  });
});

describe('the before/after table', () => {
  it('compares the first and the last GenEval stage', () => {
    const report = beforeAfterReport([0, 2], new Map([[0, result(0.5, 0.25)], [2, result(0.75, 0.5)]]), { state: 'completed' });
    assert.deepEqual(report.split('\n'), [
      'GenEval           before   after  change',
      'single_object      0.250   0.500  +0.250',
      'overall            0.500   0.750  +0.250',
    ]);
  });

  it('puts the overall change beside the noise of the images drawn', () => {
    assert.equal(noiseLine({ change: 0.1, standardError: 0.03, promptsPerTag: 10 }), 'overall change +0.100 ± 0.030 (standard error of the images drawn, paired by prompt): more than twice the noise');
    assert.match(noiseLine({ change: -0.04, standardError: 0.03, promptsPerTag: 10 }), /^overall change -0\.040 ± 0\.030 .*: within the noise \(no measurable change\)$/);
    assert.equal(noiseLine({ change: 0.5, standardError: 0, promptsPerTag: 2 }), 'overall change +0.500 (too few prompts a tag, 2, to estimate its noise)');
  });

  it('shows a missing "after" as not measured, with why, never as a copy of "before"', () => {
    const report = beforeAfterReport([0, 2], new Map([[0, result(0.5, 0.25)]]), { state: 'failed' });
    assert.deepEqual(report.split('\n'), [
      'GenEval           before   after  change',
      'single_object      0.250       -       -',
      'overall            0.500       -       -',
      'after: not measured (the run failed before the last GenEval finished)',
    ]);
    assert.equal(beforeAfterReport([0, 2], new Map(), { state: 'cancelled' }), 'GenEval: not measured (the run cancelled before the first GenEval finished)');
    assert.match(beforeAfterReport([0], new Map([[0, result(0.5, 0.25)]]), { state: 'completed' }), /after: the spec has only one GenEval stage$/);
  });
});

describe('a failed stage', () => {
  it('names the stage, how far it got, the error and what to do', () => {
    const oom = stageFailure(1, { kind: 'grpo', name: 'unirl-grpo' }, undefined, new WebAssembly.RuntimeError('Aborted(). Build with -sASSERTIONS for more info.'));
    assert.equal(
      oom,
      'stage 1 grpo "unirl-grpo" failed before finishing its first step: Aborted(). Build with -sASSERTIONS for more info. ' +
        'What to do: TensorFlow.js ran out of wasm memory (at most 4 GiB): make this stage smaller (fewer prompts, images or MaskGIT steps per step), then resume the run.',
    );
    const other = stageFailure(0, { kind: 'geneval' }, { step: 12, total: 60 }, new Error('disk full'));
    assert.equal(other, 'stage 0 geneval failed after prompt 12 of 60: disk full. What to do: fix the cause, then resume the run (its checkpoints are kept) or start it again.');
  });
});

describe('the quickstart reads the longer runs from their cards', () => {
  it('prints a card that scores the checkpoint beside its base, with its own numbers, and skips the others', () => {
    const dir = scratchDir('cards');
    const set = 'full (held out)';
    writeFileSync(join(dir, 'b-control.json'), JSON.stringify({ label: 'the control', step: 450, base: 'models/masked-base.safetensors', scores: [{ set, imagesPerPrompt: 4, geneval: { overall: 0.4924 }, understanding: { overall: 0.887 }, base: { overall: 0.3915, understanding: 0.9081 } }] }));
    writeFileSync(join(dir, 'a-no-base.json'), JSON.stringify({ kind: 'unirl-grpo', scores: [{ geneval: { overall: 0.46 } }] }));
    writeFileSync(join(dir, 'c-broken.json'), '{ not json');
    writeFileSync(
      join(dir, 'd-seeds.json'),
      JSON.stringify({
        label: 'self',
        step: 300,
        scores: [
          { set, sampling: { cfg: 3 }, geneval: { overall: 0.4 }, base: { overall: 0.331 }, seeds: { count: 3, mean: 0.3837, spread: 0.0148 } },
          { set, sampling: { cfg: 0.5 }, geneval: { overall: 0.581 }, base: { overall: 0.585 } },
        ],
      }),
    );
    writeFileSync(join(dir, 'e-masked.json'), JSON.stringify({ label: 'masked', paradigm: 'masked', step: 50, base: 'models/masked-base.safetensors', scores: [{ set, sampling: { steps: 12, cfg: 2 }, geneval: { overall: 0.161 }, base: { overall: 0.158 } }] }));
    writeFileSync(join(dir, 'weights.safetensors'), '');
    assert.deepEqual(recordLines(dir), [
      '  models/b-control (the control; 450 steps): GenEval 0.392 -> 0.492 (+0.101) on full (held out), 4 images a prompt; understanding 0.908 -> 0.887',
      '  models/d-seeds (self; 300 steps): GenEval 0.331 -> 0.400 (+0.069) on full (held out), cfg 3; 3 seeds: 0.384 ± 0.015',
      '  models/d-seeds (self; 300 steps): GenEval 0.585 -> 0.581 (-0.004) on full (held out), cfg 0.5',
      '  models/e-masked (masked; 50 steps): GenEval 0.158 -> 0.161 (+0.003) on full (held out), cfg 2, 12 MaskGIT steps',
    ]);
    assert.deepEqual(recordLines(join(dir, 'absent')), []);
    // The runs from the short run's own base come first, whichever folder the spec names it from.
    assert.deepEqual(recordLines(dir, { checkpoint: '../models/masked-base.safetensors' }).map((l) => l.split(' (')[0]), ['  models/b-control', '  models/e-masked', '  models/d-seeds', '  models/d-seeds']);
    assert.deepEqual(recordLines(dir, { checkpoint: 'other/e-base.safetensors' }).map((l) => l.split(' (')[0]), ['  models/b-control', '  models/d-seeds', '  models/d-seeds', '  models/e-masked']);
  });

  it('puts the runs of the short run\'s own recipe before the other runs from its base, whatever their names', () => {
    const dir = scratchDir('recipes');
    const score = { set: 'full', geneval: { overall: 0.7 }, base: { overall: 0.65 } };
    const base = 'models/reader-base.safetensors';
    // Cards written before a setting existed lack it: absent, false and 0 all mean "off".
    writeFileSync(join(dir, 'a-adapter.json'), JSON.stringify({ step: 2000, base, grpo: { reward: 'self_likelihood', judge: 'base', generationAdapter: 96 }, scores: [score] }));
    writeFileSync(join(dir, 'b-expert.json'), JSON.stringify({ step: 2000, base, grpo: { reward: 'self_likelihood', judge: 'base', generationAdapter: 0, generationExpert: true }, scores: [score] }));
    writeFileSync(join(dir, 'c-plain.json'), JSON.stringify({ step: 1000, base, grpo: { reward: 'self_likelihood', judge: 'base' }, scores: [score] }));
    writeFileSync(join(dir, 'd-other-base.json'), JSON.stringify({ step: 3000, base: 'models/x.safetensors', grpo: { reward: 'self_likelihood', judge: 'base', generationExpert: true }, scores: [score] }));
    const names = (grpo: Record<string, unknown>): string[] => recordLines(dir, { checkpoint: base, grpo }).map((l) => l.split(' (')[0]!.trim());
    assert.deepEqual(names({ reward: 'self_likelihood', judge: 'base', generationExpert: true, generationAdapter: undefined }), ['models/b-expert', 'models/a-adapter', 'models/c-plain', 'models/d-other-base']);
    assert.deepEqual(names({ reward: 'self_likelihood', judge: 'base', generationExpert: false }), ['models/c-plain', 'models/a-adapter', 'models/b-expert', 'models/d-other-base']);
    assert.deepEqual(names({ reward: 'detector', judge: 'base' }), ['models/a-adapter', 'models/b-expert', 'models/c-plain', 'models/d-other-base']);
  });

  it('the committed quickstart prints the headline run of its own recipe first', () => {
    const file = join(process.cwd(), QUICKSTART_SPEC);
    const text = readFileSync(file, 'utf8');
    const spec = JSON.parse(text) as { model: { checkpoint: string } };
    const grpo = grpoRecipe(text, file);
    assert.ok(grpo, 'the quickstart spec has a GRPO stage');
    const first = recordLines(join(process.cwd(), 'models'), { checkpoint: spec.model.checkpoint, grpo })[0] ?? '';
    const card = JSON.parse(readFileSync(join(process.cwd(), 'models', `${first.trim().split(' ')[0]!.replace('models/', '')}.json`), 'utf8')) as { base: string; grpo: Record<string, unknown> };
    assert.equal(card.base.split('/').pop(), spec.model.checkpoint.split('/').pop());
    // Every setting of the recipe alike, "off" however a card spells it (absent, false or 0).
    const off = (v: unknown): unknown => (v === undefined || v === false || v === 0 ? 'off' : v);
    for (const key of RECIPE_SETTINGS) assert.equal(off(card.grpo[key]), off(grpo[key]), key);
  });

  it('finds the committed detector-rewarded control among the committed cards', () => {
    const lines = recordLines(join(process.cwd(), 'models'));
    assert.ok(lines.some((l) => l.startsWith('  models/shapes-ar-grpo-detector (GRPO rewarded by the shapes-world GenEval detector')), lines.join('\n'));
  });
});
