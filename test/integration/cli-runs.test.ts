/** The run commands of the `unirl` CLI, as a user runs them (the built bin/unirl.js, no TTY). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { RunSummary } from '../../schemas/protocol';
import { BIN } from './daemon-harness';
import { scratchDir } from '../scratch';

function unirl(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, UNIRL_HOME: path.join(cwd, '.home') } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('unirl validate / run / runs', () => {
  const dir = scratchDir('cli');
  fs.writeFileSync(path.join(dir, 'good.unirl.json'), JSON.stringify({ name: 'good', stages: [{ kind: 'geneval', generator: 'truth', limit: 40, checkpointEvery: 10 }] }, null, 2));
  fs.writeFileSync(path.join(dir, 'bad.unirl.json'), '{\n  "name": "bad",\n  "stages": [\n    { "kind": "sft" },\n    { "kind": "grpo", "groupSize": 1 }\n  ]\n}\n');

  it('validate: ok for a good spec; one line per problem with line and column, exit 1, for a bad one', () => {
    const good = unirl(['validate', 'good.unirl.json'], dir);
    assert.equal(good.code, 0);
    assert.equal(good.stdout, 'good.unirl.json: ok\n');
    const bad = unirl(['validate', 'bad.unirl.json'], dir);
    assert.equal(bad.code, 1);
    assert.deepEqual(bad.stdout.trim().split('\n'), [
      'bad.unirl.json:4:7: error: /stages/0/kind: this sft stage needs a model: set model.checkpoint, or put a pretrain stage before it',
      'bad.unirl.json:5:7: error: /stages/1/kind: this grpo stage needs a model: set model.checkpoint, or put a pretrain stage before it',
      'bad.unirl.json:5:23: error: /stages/1/groupSize: groupSize must be at least 2: GRPO normalises rewards within a group, and a group of 1 has no spread',
    ]);
    const missing = unirl(['validate', 'nope.unirl.json'], dir);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.unirl\.json: cannot read \(ENOENT\)/);
  });

  it('run: plain progress lines without a terminal, the GenEval result, exit 0; a bad spec exits 1 with its problems', () => {
    const r = unirl(['run', 'good.unirl.json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.ok(!r.stderr.includes('\r'), 'no in-place redraws when stderr is not a terminal');
    const bars = lines.filter((l) => l.startsWith('stage 0 geneval ['));
    assert.ok(bars.length >= 3 && bars.length <= 14, `${bars.length} progress lines`);
    assert.ok(bars[bars.length - 1]!.includes('40/40 100%'));
    assert.ok(!bars[0]!.includes('ETA'), 'no ETA before the warm-up steps');
    assert.ok(lines.some((l) => l.startsWith('GenEval overall 1.00000 (single_object 1.000)')), r.stderr);
    assert.equal(lines[lines.length - 1], 'run completed');

    const bad = unirl(['run', 'bad.unirl.json'], dir);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bad\.unirl\.json: error: \/stages\/0\/kind: this sft stage needs a model/);
  });

  it('quickstart --spec: runs the spec and prints GenEval before and after, tag by tag', () => {
    const stage = { kind: 'geneval', generator: 'truth', limit: 12, checkpointEvery: 6 };
    fs.writeFileSync(path.join(dir, 'twice.unirl.json'), JSON.stringify({ name: 'twice', stages: [{ ...stage, name: 'before' }, { ...stage, name: 'after' }] }));
    const r = unirl(['quickstart', '--spec', 'twice.unirl.json', '--runs', 'quick-runs'], dir);
    assert.equal(r.code, 0, r.stderr);
    const table = r.stdout.split('\n').filter((l) => /^(GenEval|single_object|overall) /.test(l));
    assert.deepEqual(table, [
      'GenEval           before   after  change',
      'single_object      1.000   1.000  +0.000',
      'overall            1.000   1.000  +0.000',
      // Truth images score the same both times: no change, no noise, 12 prompts of the one tag.
      'overall change +0.000 ± 0.000 (standard error of the images drawn, paired by prompt): within the noise (no measurable change)',
    ]);
    assert.match(r.stdout, /^completed in \d+ s$/m);
    assert.match(r.stdout.split('\n')[0]!, /^backend: wasm (with|without) the native kernels/);
    const missing = unirl(['quickstart', '--spec', 'nope.unirl.json'], dir);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.unirl\.json: no such spec file/);
  });

  it('quickstart: a failed "after" GenEval is reported as not measured, never copied from "before"', () => {
    fs.writeFileSync(path.join(dir, 'broken.safetensors'), 'not a safetensors file');
    const spec = {
      name: 'fails',
      model: { checkpoint: 'broken.safetensors', paradigm: 'masked' },
      stages: [
        { kind: 'geneval', generator: 'truth', name: 'before', limit: 4, checkpointEvery: 4 },
        { kind: 'geneval', generator: 'model', name: 'after', limit: 4, checkpointEvery: 4 },
      ],
    };
    fs.writeFileSync(path.join(dir, 'fails.unirl.json'), JSON.stringify(spec));
    const r = unirl(['quickstart', '--spec', 'fails.unirl.json', '--runs', 'failing-runs'], dir);
    assert.equal(r.code, 1, r.stderr);
    const table = r.stdout.split('\n').filter((l) => /^(GenEval|single_object|overall|after)\b/.test(l));
    assert.deepEqual(table, [
      'GenEval           before   after  change',
      'single_object      1.000       -       -',
      'overall            1.000       -       -',
      'after: not measured (the run failed before the last GenEval finished)',
    ]);
    assert.match(r.stdout, /^failed in \d+ s$/m);
    // The error names the stage, how far it got, and what to do.
    assert.match(r.stderr, /stage 1 geneval "after" failed before finishing its first prompt: .*broken\.safetensors: not a valid safetensors file.* What to do: /);
  });

  it('runs: lists the runs of a folder', () => {
    const r = unirl(['runs', '--runs', 'runs', '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const runs = JSON.parse(r.stdout) as RunSummary[];
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.state, 'completed');
    assert.equal(runs[0]!.step, 40);
    const table = unirl(['runs', '--runs', 'runs'], dir);
    assert.match(table.stdout, /^ID +STATE +STAGES +STEP +ERROR\n\S+-good-\S+ +completed +geneval +40\/40\n$/);
  });

  it('a misspelled option or one without its value is a usage error (exit 2) that names it', () => {
    const unknown = unirl(['runs', '--runz', 'runs'], dir);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^unirl runs: Unknown option '--runz'/);
    const valueless = unirl(['run', 'good.unirl.json', '--runs'], dir);
    assert.equal(valueless.code, 2);
    assert.match(valueless.stderr, /--runs/);
  });
});

describe('unirl eval / geneval compare --understanding', () => {
  const dir = scratchDir('cli-eval');
  // Two prompts of each tag from the default set; a reader that was trained and a model that never was.
  const lines = fs.readFileSync(path.join(__dirname, '..', '..', 'examples', 'prompts', 'shapes-geneval.jsonl'), 'utf8').trim().split('\n');
  const perTag = new Map<string, string[]>();
  for (const line of lines) {
    const tag = (JSON.parse(line) as { tag: string }).tag;
    if ((perTag.get(tag) ?? []).length < 2) perTag.set(tag, [...(perTag.get(tag) ?? []), line]);
  }
  fs.writeFileSync(path.join(dir, 'prompts.jsonl'), `${[...perTag.values()].flat().join('\n')}\n`);
  const reader = path.join(__dirname, '..', '..', 'models', 'shapes-ar-reader-base.safetensors');

  it('eval writes each answer about a truth scene as a result row, and compare --understanding pairs two checkpoints\' answers', () => {
    const untrained = unirl(['pretrain', '--out', 'untrained.safetensors', '--paradigm', 'autoregressive', '--steps', '1', '--dim', '32', '--layers', '1', '--heads', '2'], dir);
    assert.equal(untrained.code, 0, untrained.stderr);
    for (const [name, checkpoint] of [['before', 'untrained.safetensors'], ['after', reader]] as const) {
      const r = unirl(['eval', '--checkpoint', checkpoint, '--metadata', 'prompts.jsonl', '--n', '2', '--out', name], dir);
      assert.equal(r.code, 0, r.stderr);
    }
    const evalOf = (name: string): { understanding: { overall: number; tags: Record<string, number> } } => JSON.parse(fs.readFileSync(path.join(dir, name, 'eval.json'), 'utf8')) as { understanding: { overall: number; tags: Record<string, number> } };
    const rows = fs.readFileSync(path.join(dir, 'after', 'understanding.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { tag: string; correct: boolean; reason: string });
    // Twelve prompts, two scenes each; the rows' accuracy per tag is eval.json's.
    assert.equal(rows.length, 24);
    for (const [tag, accuracy] of Object.entries(evalOf('after').understanding.tags)) {
      const own = rows.filter((r) => r.tag === tag);
      assert.equal(own.filter((r) => r.correct).length / own.length, accuracy, tag);
    }
    assert.match(rows[0]!.reason, /^asked "What is the main item in this image\?", answered ".*"$/);
    const compared = unirl(['geneval', 'compare', '--understanding', 'before', 'after', '--json'], dir);
    assert.equal(compared.code, 0, compared.stderr);
    const change = (JSON.parse(compared.stdout) as { runs: { change: number; standardError: number }[] }).runs[0]!;
    assert.ok(Math.abs(change.change - (evalOf('after').understanding.overall - evalOf('before').understanding.overall)) < 1e-12);
    assert.ok(change.change > 0.3, `the trained reader against an untrained model: ${change.change}`);
    const text = unirl(['geneval', 'compare', '--understanding', 'before', 'after'], dir);
    assert.match(text.stdout, /^Understanding /);
    // A folder scored by GenEval alone has no answers to compare.
    fs.mkdirSync(path.join(dir, 'scored-only'));
    fs.copyFileSync(path.join(dir, 'after', 'results.jsonl'), path.join(dir, 'scored-only', 'results.jsonl'));
    const refused = unirl(['geneval', 'compare', '--understanding', 'before', 'scored-only'], dir);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /scored-only: a folder without understanding\.jsonl/);
  });
});
