/**
 * The masked sampler's settings measured on training-split prompts (never the held-out set the
 * scores are reported on): GenEval of a masked checkpoint's images for each combination of MaskGIT
 * steps, guidance, temperature and the scale of the annealed Gumbel noise on its confidences.
 *
 *   npx tsx bench/masked-sampler.ts --checkpoint models/shapes-masked-d192-base.safetensors \
 *     --grid "noise=0,1,4.5,9" --grid "cfg=2" --set train-quick --n 2
 *
 * Every combination draws from the same seed. Prints one row per combination and writes
 * runs/masked-sampler/<checkpoint>-<set>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { initCompute } from '../daemon/compute';
import { DEFAULT_CONFIDENCE_NOISE, loadModel } from '../daemon/models';
import { DEFAULT_SAMPLING } from '../daemon/train';
import { generatePromptSet, TAGS, type Metadata } from '../daemon/world';
import { geneval } from './score';

const { values } = parseArgs({
  options: {
    checkpoint: { type: 'string', default: 'models/shapes-masked-base.safetensors' },
    grid: { type: 'string', multiple: true, default: [] },
    set: { type: 'string', default: 'train-quick' },
    n: { type: 'string', default: '2' },
    seed: { type: 'string', default: '0' },
  },
  strict: true,
});

type Setting = { steps: number; cfg: number; temperature: number; noise: number };

function prompts(set: string): Metadata[] {
  const train = generatePromptSet({ seed: 0, split: 'train' });
  if (set === 'train') return train;
  if (set === 'train-quick') return TAGS.flatMap((t) => train.filter((m) => m.tag === t).slice(0, 10));
  throw new Error(`--set must be train or train-quick (training-split prompts only), got "${set}"`);
}

function settings(): Setting[] {
  const defaults: Setting = { ...DEFAULT_SAMPLING.masked, noise: DEFAULT_CONFIDENCE_NOISE };
  const axes = Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, [v]])) as Record<keyof Setting, number[]>;
  for (const g of values.grid) {
    const [key, list] = g.split('=');
    if (!key || !(key in axes) || !list) throw new Error(`--grid must be KEY=V1,V2 with KEY one of ${Object.keys(axes).join(', ')}; got "${g}"`);
    axes[key as keyof Setting] = list.split(',').map(Number);
  }
  let out: Setting[] = [{} as Setting];
  for (const [key, vs] of Object.entries(axes)) out = out.flatMap((s) => vs.map((v) => ({ ...s, [key]: v })));
  return out;
}

async function main(): Promise<void> {
  await initCompute({ backend: 'wasm' });
  const { model } = loadModel(values.checkpoint);
  if (model.paradigm !== 'masked') throw new Error(`${values.checkpoint}: not a masked model`);
  const metas = prompts(values.set);
  const n = Number(values.n);
  const rows: unknown[] = [];
  for (const s of settings()) {
    const t0 = performance.now();
    const { overall, tags } = await geneval(model, metas, n, { steps: s.steps, cfg: s.cfg, temperature: s.temperature, confidenceNoise: s.noise }, Number(values.seed));
    rows.push({ ...s, overall, tags });
    console.log(`steps ${s.steps} cfg ${s.cfg} temperature ${s.temperature} noise ${s.noise}: GenEval ${overall.toFixed(3)}  ${Object.entries(tags).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(' ')}  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const dir = 'runs/masked-sampler';
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${basename(values.checkpoint, '.safetensors')}-${values.set}.json`), `${JSON.stringify({ checkpoint: values.checkpoint, set: values.set, imagesPerPrompt: n, seed: Number(values.seed), rows }, null, 1)}\n`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
