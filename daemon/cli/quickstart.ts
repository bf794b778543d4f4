import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { GenevalResult, RunEvent, RunSummary } from '../../schemas/protocol';
import requirements from '../../native/requirements.json';
import { initCompute, type BackendChoice, type ComputeInfo } from '../compute';
import { overallChange, readResults, type ResultRow } from '../geneval';
import { nodeContext, validateSpec } from '../spec';
import { packageRoot } from '../util/paths';
import type { Command } from './command';
import { exitCodeOf, runSpecFile } from './run';

export const QUICKSTART_SPEC = 'examples/quickstart.unirl.json';

/** How much faster the quickstart runs with the native kernels than on plain wasm (measured: README, "The main job"). */
export const NATIVE_SPEEDUP: number = requirements.speedup;

/**
 * The quickstart without the native kernels: the same prompts and the same GRPO, fewer GRPO steps,
 * so that a newcomer waits minutes rather than half an hour (README has both times). GenEval keeps
 * its 4 images a prompt: it is the cheap part, and at 2 the before/after noise (about 0.05) was
 * wide enough to flag a chance difference as a change.
 */
export const PLAIN_SIZE = { imagesPerPrompt: 4, grpoSteps: 10 };

interface QuickstartSpec {
  backend?: BackendChoice;
  model?: { checkpoint?: string };
  stages: { kind: string; name?: string; imagesPerPrompt?: number; steps?: number; checkpointEvery?: number }[];
}

export const quickstartCommand: Command = {
  name: 'quickstart',
  summary: 'the main job on the built-in default: UniRL-GRPO from the autoregressive base with the headline recipe, GenEval before and after',
  help: `unirl quickstart [--runs DIR] [--spec FILE] [--full]

Runs ${QUICKSTART_SPEC}: GenEval of the committed autoregressive base at both floors
(models/shapes-ar-reader-base) on the 60-prompt quick set (held-out compositional prompts, 4 images
each), a short UniRL-GRPO rewarded by the frozen base's own probability of the prompt's facts about
each of its images (no external images, nothing from the detector), generation trained through an
image expert of its own so that the reader keeps the base's weights (the recipe of the headline run
models/shapes-ar-expert-unirl-grpo), and GenEval again; then prints the before/after table and the reward
and grounding gap at the start and end of GRPO, and what the longer committed runs measured (from
their cards in models/; the runs from the same base first).
It first says which backend and kernels it runs on. Without the native kernels (plain wasm, about
${NATIVE_SPEEDUP}x slower) it runs a smaller version: at most ${PLAIN_SIZE.imagesPerPrompt} images per prompt and ${PLAIN_SIZE.grpoSteps} GRPO steps.
  --runs DIR   the runs folder (default ./runs)
  --spec FILE  another spec with GenEval stages to compare (default the quickstart spec; run as it is)
  --full       the full quickstart even without the native kernels`,
  async run(args) {
    const { values } = parseArgs({ args, options: { runs: { type: 'string' }, spec: { type: 'string' }, full: { type: 'boolean' } }, strict: true });
    const specFile = values.spec ?? join(packageRoot(), QUICKSTART_SPEC);
    if (!existsSync(specFile)) throw new Error(`${specFile}: no such spec file`);
    const text = readFileSync(specFile, 'utf8');
    const spec = JSON.parse(text) as QuickstartSpec;

    // The backend the run's stages will get (the same choice, made here first so it can be said).
    const compute = await initCompute({ backend: spec.backend ?? 'auto' });
    process.stdout.write(`${backendLine(compute)}\n`);
    const hint = nativeHint(compute);
    if (hint) process.stdout.write(`${hint}\n`);
    let specText: string | undefined;
    if (values.spec === undefined && !values.full && slowBackend(compute)) {
      specText = JSON.stringify(sizedForPlain(spec), null, 2);
      process.stdout.write(
        `Running a smaller quickstart sized for ${compute.backend === 'wasm' ? 'plain wasm' : `the ${compute.backend} backend`}: ` +
          `${[
            ...(PLAIN_SIZE.imagesPerPrompt < imagesOf(spec) ? [`GenEval with ${PLAIN_SIZE.imagesPerPrompt} images per prompt (not ${imagesOf(spec)})`] : []),
            `${PLAIN_SIZE.grpoSteps} GRPO steps (not ${grpoStepsOf(spec)})`,
          ].join(', ')}; --full runs the full one.\n`,
      );
    }

    const results = new Map<number, GenevalResult>();
    const resultFolders = new Map<number, string>();
    const metrics: Record<string, number | null>[] = [];
    const started = Date.now();
    const final = await runSpecFile(specFile, {
      runsDir: values.runs ?? 'runs',
      json: false,
      ...(specText !== undefined ? { specText } : {}),
      onEvent: (e: RunEvent) => {
        if (e.type === 'result') {
          results.set(e.stage, e.result);
          resultFolders.set(e.stage, e.path);
        }
        if (e.type === 'metric' && 'grpo/reward' in e.values) metrics.push(e.values);
      },
    });
    const geneval = spec.stages.flatMap((s, i) => (s.kind === 'geneval' ? [i] : []));
    process.stdout.write(`\n${beforeAfterReport(geneval, results, final)}\n`);
    const [first, last] = [geneval[0], geneval.at(-1)];
    const folderOf = (stage: number | undefined): string | undefined => (stage === undefined ? undefined : resultFolders.get(stage));
    const [beforeDir, afterDir] = [folderOf(first), first === last ? undefined : folderOf(last)];
    if (beforeDir !== undefined && afterDir !== undefined) {
      const rows = (dir: string): ResultRow[] => readResults(join(final.dir, dir, 'results.jsonl'));
      process.stdout.write(`${noiseLine(overallChange(rows(beforeDir), rows(afterDir)))}\n`);
    }
    if (metrics.length > 0) process.stdout.write(`${grpoSummary(metrics)}\n`);
    const record = recordLines(join(packageRoot(), 'models'), { checkpoint: spec.model?.checkpoint, grpo: grpoRecipe(text, specFile) });
    if (record.length > 0) process.stdout.write(`\nLonger runs, measured before (their cards; not run now):\n${record.join('\n')}\n`);
    process.stdout.write(`${final.state} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    return exitCodeOf(final.state);
  },
};

interface CardScore {
  set?: string;
  imagesPerPrompt?: number;
  sampling?: { cfg?: number; steps?: number };
  geneval?: { overall?: number };
  /** Understanding on truth scenes, the run's and its base's by the same command. */
  understanding?: { overall?: number };
  base?: { overall?: number; understanding?: number };
  /** The same run repeated with other seeds: their mean and spread (standard deviation) on the same set. */
  seeds?: { count?: number; mean?: number; spread?: number };
}

/**
 * One line per score of a committed post-trained checkpoint that stands beside its base's on the
 * same set and sampling: what the longer runs measured, read from the cards (the one place those
 * numbers live), so the short run above is read against them. A card scored at two guidance
 * weights gets a line for each (a gain at one weight need not hold at another). Cards without such
 * a score are left out. The runs from `from.checkpoint` (the short run's own starting checkpoint)
 * come first, the longest first, and among them those trained with `from.grpo`'s recipe (every
 * setting of RECIPE_SETTINGS alike) before the others: they are the short run continued.
 */
export function recordLines(modelsDir: string, from: { checkpoint?: string | undefined; grpo?: Record<string, unknown> | undefined } = {}): string[] {
  if (!existsSync(modelsDir)) return [];
  type Card = { label?: string; kind?: string; paradigm?: string; step?: number; base?: string; grpo?: Record<string, unknown>; scores?: CardScore[] };
  const cards: { file: string; card: Card }[] = [];
  for (const file of readdirSync(modelsDir).filter((f) => f.endsWith('.json')).sort()) {
    try {
      cards.push({ file, card: JSON.parse(readFileSync(join(modelsDir, file), 'utf8')) as Card });
    } catch {
      continue;
    }
  }
  const { checkpoint, grpo } = from;
  const own = (c: Card): boolean => checkpoint !== undefined && typeof c.base === 'string' && basename(c.base) === basename(checkpoint);
  const sameRecipe = (c: Card): number => (grpo !== undefined && RECIPE_SETTINGS.every((k) => settingOf(c.grpo?.[k]) === settingOf(grpo[k])) ? 1 : 0);
  const lines: string[] = [];
  // The short run's own recipe continued, longest first; then the rest from its base; then the rest by name.
  const ownRuns = cards.filter((c) => own(c.card)).sort((a, b) => sameRecipe(b.card) - sameRecipe(a.card) || (b.card.step ?? 0) - (a.card.step ?? 0));
  for (const { file, card } of [...ownRuns, ...cards.filter((c) => !own(c.card))]) {
    const what = card.label ?? card.kind ?? 'post-trained';
    for (const score of card.scores ?? []) {
      if (typeof score.geneval?.overall !== 'number' || typeof score.base?.overall !== 'number') continue;
      const [before, after] = [score.base.overall, score.geneval.overall];
      const { count, mean, spread } = score.seeds ?? {};
      const seeds = typeof count === 'number' && typeof mean === 'number' && typeof spread === 'number' ? `; ${count} seeds: ${mean.toFixed(3)} ± ${spread.toFixed(3)}` : '';
      // A masked card says its MaskGIT steps: the default changed (12 -> 24) and older cards sampled 12.
      const maskgit = card.paradigm === 'masked' && typeof score.sampling?.steps === 'number' ? `, ${score.sampling.steps} MaskGIT steps` : '';
      const cfg = typeof score.sampling?.cfg === 'number' ? `, cfg ${score.sampling.cfg}${maskgit}` : maskgit;
      lines.push(
        `  models/${file.replace(/\.json$/, '')} (${what}${card.step !== undefined ? `; ${card.step} steps` : ''}): GenEval ${before.toFixed(3)} -> ${after.toFixed(3)} ` +
          `(${after - before >= 0 ? '+' : ''}${(after - before).toFixed(3)}) on ${score.set ?? 'its set'}${score.imagesPerPrompt ? `, ${score.imagesPerPrompt} images a prompt` : ''}${cfg}${seeds}${understandingOf(score)}`,
      );
    }
  }
  return lines;
}

/** The spec's GRPO stage with the defaults it leaves out filled in (undefined without one). */
export function grpoRecipe(text: string, specFile: string): Record<string, unknown> | undefined {
  const resolved = validateSpec(text, nodeContext(dirname(resolve(specFile)))).spec;
  return resolved?.stages.find((s) => s.kind === 'grpo') as Record<string, unknown> | undefined;
}

/** The GRPO settings that make a recipe, as far as reading a longer run against the short one goes. */
export const RECIPE_SETTINGS = ['reward', 'judge', 'trainUnderstanding', 'generationAdapter', 'generationAttentionAdapter', 'generationExpert', 'generationExpertPrompt'] as const;

/** A setting's value with "off" spelled one way: cards written before a setting existed lack it. */
function settingOf(value: unknown): unknown {
  return value === undefined || value === null || value === false || value === 0 ? 'off' : value;
}

/** "; understanding B -> A" where a score has the run's and its base's understanding: the other half of a UniRL result. */
function understandingOf(score: CardScore): string {
  const [before, after] = [score.base?.understanding, score.understanding?.overall];
  return typeof before === 'number' && typeof after === 'number' ? `; understanding ${before.toFixed(3)} -> ${after.toFixed(3)}` : '';
}

const MIN_PROMPTS_FOR_NOISE = 5;

/** The overall change beside the noise of the images drawn, so a reader can tell signal from noise. */
export function noiseLine({ change, standardError, promptsPerTag }: { change: number; standardError: number; promptsPerTag: number }): string {
  const head = `overall change ${change >= 0 ? '+' : ''}${change.toFixed(3)}`;
  // A variance from fewer prompts than this says little (two prompts that moved alike give 0).
  if (promptsPerTag < MIN_PROMPTS_FOR_NOISE) return `${head} (too few prompts a tag, ${promptsPerTag}, to estimate its noise)`;
  const verdict = Math.abs(change) > 2 * standardError ? 'more than twice the noise' : 'within the noise (no measurable change)';
  return `${head} ± ${standardError.toFixed(3)} (standard error of the images drawn, paired by prompt): ${verdict}`;
}

/** Which backend and kernels the run computes on, in one line. */
export function backendLine(info: ComputeInfo): string {
  if (info.backend !== 'wasm') return `backend: ${info.backend} (${info.reason})`;
  if (!info.native.active) return `backend: wasm without the native kernels: ${info.native.reason}`;
  const blas = info.native.blas?.split(' ').slice(0, 2).join(' ') ?? 'BLAS';
  return `backend: wasm with the native kernels (${blas}, ${info.native.threads ?? 1} thread${info.native.threads === 1 ? '' : 's'})`;
}

/** Plain wasm and the pure-JS backend: the backends on which the full quickstart takes too long. */
function slowBackend(info: ComputeInfo): boolean {
  return (info.backend === 'wasm' && !info.native.active) || info.backend === 'cpu';
}

/** One line on the native kernels when they are not in use on wasm: what they would give, and how to get them. */
export function nativeHint(info: ComputeInfo, platform: NodeJS.Platform = process.platform): string | undefined {
  if (info.backend !== 'wasm' || info.native.active) return undefined;
  const faster = `The native kernels would make this about ${NATIVE_SPEEDUP}x faster`;
  if (info.native.reason.includes('UNIRL_NATIVE=0')) return `${faster}: unset UNIRL_NATIVE to use them.`;
  if (info.native.loaded || info.native.reason.includes('out of date')) return `${faster}: npm run build:native`;
  // The same command `npm install` prints when it cannot build them (native/build.mjs).
  const install = (requirements.install as Record<string, string | undefined>)[platform];
  if (!install) return `${faster}: see native/README.md`;
  const note = (requirements.installNote as Record<string, string | undefined>)[platform];
  return `${faster}: ${install} && npm run build:native${note ? `   (${note})` : ''}`;
}

const imagesOf = (spec: QuickstartSpec): number => spec.stages.find((s) => s.kind === 'geneval')?.imagesPerPrompt ?? 4;
const grpoStepsOf = (spec: QuickstartSpec): number => spec.stages.find((s) => s.kind === 'grpo')?.steps ?? 0;

/** The quickstart spec with PLAIN_SIZE: fewer images per GenEval prompt, fewer GRPO steps. */
export function sizedForPlain(spec: QuickstartSpec): QuickstartSpec {
  return {
    ...spec,
    stages: spec.stages.map((s) => {
      if (s.kind === 'geneval') return { ...s, imagesPerPrompt: Math.min(s.imagesPerPrompt ?? 4, PLAIN_SIZE.imagesPerPrompt) };
      if (s.kind !== 'grpo') return s;
      const steps = Math.min(s.steps ?? PLAIN_SIZE.grpoSteps, PLAIN_SIZE.grpoSteps);
      return { ...s, steps, ...(s.checkpointEvery !== undefined ? { checkpointEvery: Math.min(s.checkpointEvery, steps) } : {}) };
    }),
  };
}

/**
 * The before/after table from what was measured only: "before" is the first GenEval stage's
 * result, "after" the last one's. A GenEval that did not finish is said to be missing, with why;
 * it is never filled in from the other one.
 */
export function beforeAfterReport(genevalStages: readonly number[], results: ReadonlyMap<number, GenevalResult>, final: Pick<RunSummary, 'state'>): string {
  const first = genevalStages[0];
  const last = genevalStages.length > 1 ? genevalStages[genevalStages.length - 1] : undefined;
  const why = final.state === 'completed' ? 'no result' : `the run ${final.state}`;
  const before = first === undefined ? undefined : results.get(first);
  const after = last === undefined ? undefined : results.get(last);
  if (!before) return first === undefined ? 'GenEval: the spec has no GenEval stage' : `GenEval: not measured (${why} before the first GenEval finished)`;
  const lines = [beforeAfterTable(before, after)];
  if (last === undefined) lines.push('after: the spec has only one GenEval stage');
  else if (!after) lines.push(`after: not measured (${why} before the last GenEval finished)`);
  return lines.join('\n');
}

/** GenEval per tag, before against after; without an "after", its columns are "-". */
export function beforeAfterTable(before: GenevalResult, after: GenevalResult | undefined): string {
  const tags = Object.keys(before.tags);
  const score = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : x.toFixed(3)).padStart(8);
  const change = (a: number | null | undefined, b: number | null | undefined): string =>
    (a === null || a === undefined || b === null || b === undefined ? '-' : `${b - a >= 0 ? '+' : ''}${(b - a).toFixed(3)}`).padStart(8);
  const row = (name: string, a: number | null | undefined, b: number | null | undefined): string => `${name.padEnd(16)}${score(a)}${score(b)}${change(a, b)}`;
  const lines = [`${'GenEval'.padEnd(16)}${'before'.padStart(8)}${'after'.padStart(8)}${'change'.padStart(8)}`];
  for (const tag of tags) lines.push(row(tag, before.tags[tag]?.score, after?.tags[tag]?.score));
  lines.push(row('overall', before.overall, after?.overall));
  return lines.join('\n');
}

/** GRPO's rewards and grounding gap: one step's reward is one or two groups, so the means of the first and last quarter of steps. */
function grpoSummary(metrics: readonly Record<string, number | null>[]): string {
  const k = Math.max(1, Math.floor(metrics.length / 4));
  const meanOf = (rows: typeof metrics, key: string): string => {
    const v = rows.map((r) => r[key]).filter((x): x is number => typeof x === 'number');
    return v.length === 0 ? '-' : (v.reduce((a, b) => a + b, 0) / v.length).toFixed(3);
  };
  const [head, tail] = [metrics.slice(0, k), metrics.slice(-k)];
  return (
    `GRPO (${metrics.length} steps), mean of the first ${k} steps -> the last ${k}: self reward ${meanOf(head, 'grpo/reward')} -> ${meanOf(tail, 'grpo/reward')}, ` +
    `detector reward ${meanOf(head, 'grpo/rewards/detector/mean')} -> ${meanOf(tail, 'grpo/rewards/detector/mean')}, ` +
    `grounding gap ${meanOf(head, 'grpo/grounding_gap')} -> ${meanOf(tail, 'grpo/grounding_gap')}, ` +
    `judge AUC (its own verdicts ranked against the detector's within a group; 0.5 is chance) ${meanOf(head, 'grpo/judge_auc')} -> ${meanOf(tail, 'grpo/judge_auc')}`
  );
}
