/**
 * The GRPO machinery sweep (docs/results.md, "GRPO machinery"): one GRPO run from a base with some
 * settings changed, GenEval measured every few steps on a held-out and a training-split prompt set,
 * and everything (settings, the base's sha256, the training metrics, the curve) written to one
 * JSON file. Re-run it on another base by changing --base. --method sft runs UniRL-SFT the same way
 * (its defaults, understanding not trained; --set changes SftConfig fields).
 *
 *   npx tsx bench/grpo-sweep.ts --base models/shapes-ar-d192-base.safetensors --name lr3e-5 \
 *     --set lr=3e-5 --set reward=detector --steps 150 --eval-every 50 --seed 1
 *
 * --set KEY=VALUE changes one GrpoConfig field (numbers, booleans and strings as written; a
 * `sampling.*` key changes one sampling field). --eval quick,train-quick (default) picks the sets:
 * quick = examples/prompts/shapes-geneval-quick.jsonl (10 held-out prompts a tag), train-quick =
 * the first 10 prompts a tag of `unirl prompts --split train --seed 0`, full = the 553-prompt
 * default set, train = the whole `--split train --seed 0` set. --n images a prompt (default 4).
 * Results land in runs/grpo-sweep/<name>-s<seed>.json (and the model in the same folder).
 * Every score has the model's understanding of the same prompts beside it (one truth scene each).
 * --reward-tags A,B,... (GRPO) judges only those tags' images; prompts of the others are still drawn and held by
 * the KL term (advantage 0).
 * --flip P rewards with the detector's verdict flipped at random with probability P: a judge of
 * known accuracy whose errors are random, beside a self judge whose errors are the model's own.
 * --score C --cfg W scores a checkpoint with another guidance weight (choose it on the training
 * split, `--eval train`, never on the held-out set it is reported on).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initCompute } from '../daemon/compute';
import { loadModel, type UnifiedModel } from '../daemon/models';
import { DEFAULT_SAMPLING, TrainingPrompts, defaultGrpo, defaultSft, detectorVerdicts, grpo, sft, understandingOnTruth, type GrpoConfig, type SftConfig, type UnirlMetrics, type SamplingConfig } from '../daemon/train';
import { Rng } from '../daemon/util/random';
import { generatePromptSet, parseMetadataLines, TAGS, type Metadata, type Tag } from '../daemon/world';
import { geneval } from './score';

const { values } = parseArgs({
  options: {
    base: { type: 'string', default: 'models/shapes-ar-d192-base.safetensors' },
    name: { type: 'string' },
    seed: { type: 'string', default: '1' },
    steps: { type: 'string', default: '150' },
    'eval-every': { type: 'string', default: '50' },
    eval: { type: 'string', default: 'quick,train-quick' },
    n: { type: 'string', default: '4' },
    set: { type: 'string', multiple: true, default: [] },
    out: { type: 'string', default: 'runs/grpo-sweep' },
    /** Train on training prompts of these tags only (comma-separated), e.g. those the model's own judge reads well. */
    tags: { type: 'string' },
    /** GRPO: only these tags' images are judged by the reward; the others are drawn and held by the KL term (GrpoConfig.rewardTags). */
    'reward-tags': { type: 'string' },
    /** Train on this one training prompt only (a machinery check: can GRPO learn a single prompt?). */
    prompt: { type: 'string' },
    /** Only score this checkpoint on --eval (no training); writes <out>/score-<name>.json. */
    score: { type: 'string' },
    /** Continue <name>-s<seed> from its last checkpoint (its curve and metrics kept) up to --steps. */
    resume: { type: 'boolean', default: false },
    /** The sampling seed of --score's evaluation (another seed measures the evaluation's own spread). */
    'eval-seed': { type: 'string', default: '0' },
    /**
     * A diagnostic reward: the detector's verdict with each one flipped with this probability, so a
     * judge of known accuracy whose errors are random (a self judge's are not) can be compared.
     */
    flip: { type: 'string' },
    /** Evaluations sample with this guidance weight instead of the paradigm's default. */
    cfg: { type: 'string' },
    /** The UniRL method to run: grpo (its defaults: the detector reward, understanding not trained) or sft. */
    method: { type: 'string', default: 'grpo' },
  },
  strict: true,
});

/** GrpoConfig fields that are absent by default, so `key in config` cannot find them. */
const OPTIONAL_GRPO_FIELDS = new Set(['unjudgedBeta', 'judgedShare', 'understandingMinReward', 'understandingAnchor', 'understandingDistill', 'generationAdapter', 'generationAttentionAdapter', 'generationExpert', 'generationExpertPrompt']);

/** An evaluation set by name. */
function evalSet(name: string): Metadata[] {
  const firstPerTag = (lines: Metadata[], k: number): Metadata[] => TAGS.flatMap((t) => lines.filter((m) => m.tag === t).slice(0, k));
  const file = (p: string): Metadata[] => parseMetadataLines(readFileSync(p, 'utf8'), p);
  switch (name) {
    case 'quick':
      return file('examples/prompts/shapes-geneval-quick.jsonl');
    case 'full':
      return file('examples/prompts/shapes-geneval.jsonl');
    case 'train-quick':
      return firstPerTag(generatePromptSet({ seed: 0, split: 'train' }), 10);
    case 'train':
      return generatePromptSet({ seed: 0, split: 'train' });
    default:
      throw new Error(`unknown evaluation set "${name}"`);
  }
}

/**
 * GenEval of the model's images and, beside it, its understanding of the same prompts on one truth
 * scene each (as `unirl eval --n 1 --seed 0`): both tasks on one row, and their gap.
 */
async function scoreBoth(model: UnifiedModel, metadata: readonly Metadata[], n: number, sampling: SamplingConfig, seed: number) {
  const generation = await geneval(model, metadata, n, sampling, seed);
  const understood = await understandingOnTruth(model, metadata, 1, 0);
  const understanding = { overall: understood.overall, tags: Object.fromEntries(understood.tags.map((t) => [t.tag, t.accuracy])) };
  return { ...generation, understanding };
}

/** The sampling every evaluation uses: the paradigm's default, or --cfg. */
function evalSampling(paradigm: UnifiedModel['paradigm']): SamplingConfig {
  return { ...DEFAULT_SAMPLING[paradigm], ...(values.cfg !== undefined ? { cfg: Number(values.cfg) } : {}) };
}

function parseValue(raw: string): unknown {
  if (raw === 'true' || raw === 'false') return raw === 'true';
  const n = Number(raw);
  return raw !== '' && Number.isFinite(n) ? n : raw;
}

async function main(): Promise<void> {
  const base = values.base;
  const seed = Number(values.seed);
  const steps = Number(values.steps);
  const evalEvery = Number(values['eval-every']);
  const n = Number(values.n);
  const name = values.name ?? 'run';
  const sets = values.eval.split(',').filter(Boolean);
  await initCompute({ backend: 'wasm' });
  if (values.score !== undefined) {
    const file = values.score;
    const { model } = loadModel(file);
    const sampling = evalSampling(model.paradigm);
    const scores: Record<string, unknown> = { checkpoint: file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex'), imagesPerPrompt: n, evalSeed: Number(values['eval-seed']), sampling };
    for (const s of sets) {
      const t0 = performance.now();
      scores[s] = await scoreBoth(model, evalSet(s), n, sampling, Number(values['eval-seed']));
      process.stderr.write(`${s}: ${(scores[s] as { overall: number }).overall.toFixed(3)}, understanding ${(scores[s] as { understanding: { overall: number } }).understanding.overall.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
    }
    mkdirSync(values.out, { recursive: true });
    writeFileSync(join(values.out, `score-${name}.json`), `${JSON.stringify(scores, null, 1)}\n`);
    return;
  }
  const sha256 = createHash('sha256').update(readFileSync(base)).digest('hex');
  const { model: probe } = loadModel(base);
  const paradigm = probe.paradigm;
  probe.params.dispose();

  const method = values.method;
  if (method !== 'grpo' && method !== 'sft') throw new Error(`--method must be grpo or sft, got "${method}"`);
  // The weights of every evaluation point are kept too (model.step-N.safetensors), to score them on the full set later.
  const common = { trainUnderstanding: false, steps, seed, checkpointEvery: evalEvery, keepEvery: evalEvery, samplesEvery: 1e9 };
  const config: GrpoConfig | SftConfig = method === 'grpo' ? { ...defaultGrpo(paradigm), reward: 'detector', ...common } : { ...defaultSft(paradigm), ...common };
  // Evaluated at the paradigm's default guidance (or --cfg), whatever the run samples its own images with.
  const sampling = evalSampling(paradigm);
  const changes: Record<string, unknown> = {};
  for (const kv of values.set) {
    const [key, raw] = kv.split('=') as [string, string];
    const value = parseValue(raw);
    changes[key] = value;
    if (key.startsWith('sampling.')) (config.sampling as unknown as Record<string, unknown>)[key.slice(9)] = value;
    else if (key in config || (method === 'grpo' && OPTIONAL_GRPO_FIELDS.has(key))) (config as unknown as Record<string, unknown>)[key] = value;
    else throw new Error(`the ${method} config has no field "${key}"`);
  }
  const tagList = (flag: string, raw: string | undefined): Tag[] | undefined =>
    raw?.split(',').map((t) => {
      if (!(TAGS as readonly string[]).includes(t)) throw new Error(`--${flag}: "${t}" is not one of ${TAGS.join(', ')}`);
      return t as Tag;
    });
  const tags = tagList('tags', values.tags);
  if (tags) changes['tags'] = tags;
  const rewardTags = tagList('reward-tags', values['reward-tags']);
  if (rewardTags) {
    if (method !== 'grpo') throw new Error('--reward-tags is a GRPO setting');
    (config as GrpoConfig).rewardTags = rewardTags;
    changes['rewardTags'] = rewardTags;
  }
  const flip = values.flip === undefined ? undefined : Number(values.flip);
  if (flip !== undefined && !(flip >= 0 && flip <= 1)) throw new Error(`--flip must be a probability in [0, 1], got "${values.flip}"`);
  if (flip !== undefined) changes['flip'] = flip;
  const flipRng = new Rng(seed * 7919 + 17);

  const dir = join(values.out, `${name}-s${seed}`);
  mkdirSync(dir, { recursive: true });
  const modelFile = join(dir, 'model.safetensors');
  const resultFile = `${dir}.json`;
  const previous = values.resume && existsSync(resultFile) && existsSync(modelFile) ? (JSON.parse(readFileSync(resultFile, 'utf8')) as { curve: typeof curve; metrics: UnirlMetrics[] }) : undefined;
  if (values.resume && !previous) throw new Error(`--resume: ${resultFile} or ${modelFile} is missing`);
  if (!previous && existsSync(modelFile)) rmSync(modelFile);
  const evalSets = Object.fromEntries(sets.map((s) => [s, evalSet(s)]));
  const evalSeed = 0;

  // The base's scores are cached per base file, sampling and set.
  const samplingKey = createHash('sha256').update(JSON.stringify(sampling)).digest('hex').slice(0, 8);
  const baseCache = join(values.out, `base-${sha256.slice(0, 12)}-n${n}-${samplingKey}.json`);
  const baseScores = (existsSync(baseCache) ? JSON.parse(readFileSync(baseCache, 'utf8')) : {}) as Record<string, unknown>;
  const curve: { step: number; seconds: number; [set: string]: unknown }[] = previous?.curve ?? [];
  // A resumed run's clock continues from its last scored row.
  const started = performance.now() - 1000 * (curve.at(-1)?.seconds ?? 0);
  const score = async (file: string, step: number): Promise<void> => {
    const t0 = performance.now();
    const { model } = loadModel(file);
    const row: { step: number; seconds: number; [set: string]: unknown } = { step, seconds: (t0 - started) / 1000 };
    for (const [s, lines] of Object.entries(evalSets)) row[s] = await scoreBoth(model, lines, n, sampling, evalSeed);
    model.params.dispose();
    curve.push(row);
    const summary = sets.map((s) => `${s} ${(row[s] as { overall: number }).overall.toFixed(3)} (understanding ${(row[s] as { understanding: { overall: number } }).understanding.overall.toFixed(3)})`).join(', ');
    process.stderr.write(`step ${step}: ${summary} (${((performance.now() - t0) / 1000).toFixed(0)} s to score)\n`);
    save();
  };
  const metrics: UnirlMetrics[] = previous?.metrics ?? [];
  const save = (): void =>
    writeFileSync(resultFile, `${JSON.stringify({ name, method, base, sha256, paradigm, seed, changes, config, evalSampling: sampling, evalSeed, imagesPerPrompt: n, curve, metrics }, null, 1)}\n`);

  for (const s of sets) {
    if (!(baseScores[s] as { understanding?: unknown } | undefined)?.understanding) {
      const { model } = loadModel(base);
      baseScores[s] = await scoreBoth(model, evalSets[s]!, n, sampling, evalSeed);
      model.params.dispose();
      writeFileSync(baseCache, `${JSON.stringify(baseScores, null, 1)}\n`);
    }
  }
  if (!previous) curve.push({ step: 0, seconds: 0, ...baseScores });
  process.stderr.write(`step 0 (base ${sha256.slice(0, 12)}): ${sets.map((s) => `${s} ${(baseScores[s] as { overall: number }).overall.toFixed(3)}`).join(', ')}\n`);

  const only = values.prompt === undefined ? undefined : generatePromptSet({ seed: 0, split: 'train', counts: { single_object: 50, two_object: 50, counting: 50, colors: 200, position: 200, color_attr: 5000 } }).find((m) => m.prompt === values.prompt);
  if (values.prompt !== undefined && !only) throw new Error(`"${values.prompt}" is not a training prompt`);
  const run = (hooks: Parameters<typeof grpo>[3]) => (method === 'grpo' ? grpo(config as GrpoConfig, base, modelFile, hooks) : sft(config as SftConfig, base, modelFile, hooks));
  await run({
    ...(only ? { prompts: { draw: () => only } } : tags ? { prompts: new TrainingPrompts([], tags) } : {}),
    ...(flip !== undefined ? { reward: (metas, images) => detectorVerdicts(metas, images).correct.map((c) => Number(flipRng.float() < flip ? !c : c)) } : {}),
    onMetrics: (m) => {
      metrics.push(m);
      if (m.step % 10 === 0) {
        const window = metrics.slice(-10);
        const avg = (k: string): string => {
          const xs = window.map((x) => x[k]).filter((x): x is number => typeof x === 'number');
          return xs.length ? (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(3) : '-';
        };
        const line = method === 'grpo'
          ? `reward ${avg('grpo/reward')} zero_std ${avg('grpo/frac_reward_zero_std')} kl ${avg('grpo/kl')} entropy ${avg('grpo/entropy')} grad ${avg('grpo/grad_norm')} ${avg('grpo/step_time')} s/step`
          : `detector ${avg('sft/rewards/detector/mean')} accepted by detector ${avg('sft/rewards/detector/accepted_mean')} answer loss ${avg('sft/loss_understanding')} generation loss ${avg('sft/loss_generation')} grad ${avg('sft/grad_norm')} ${avg('sft/step_time')} s/step`;
        process.stderr.write(`step ${m.step}: ${line}\n`);
      }
    },
    onCheckpoint: (file, step) => score(file, step),
  });
  save();
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
