/**
 * A diagnostic: where does a run that trained every weight keep what it learned for generation?
 * Builds an image-expert checkpoint (ModelConfig.generationExpert) whose expert copy is the run's
 * blocks and whose shared blocks, embeddings and final norm are the base's, with the run's
 * image-token embeddings and heads: the run's weights on the image positions of generation
 * sequences only. --from-run takes further weights from the run (e.g. tok.embed,pos.embed).
 *
 *   npx tsx bench/expert-from-run.ts --base models/shapes-ar-reader-base.safetensors \
 *     --run runs/grpo-sweep/arbroken-self-s1/model.step-2000.safetensors --out runs/diag/imgpos.safetensors
 *
 * Score the file with `unirl eval`: a tag that stays at the base's score was learned outside the
 * image positions' weights (docs/results.md, session 28).
 */
import { parseArgs } from 'node:util';
import { initCompute, saveCheckpoint } from '../daemon/compute';
import { loadModel } from '../daemon/models';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    run: { type: 'string' },
    out: { type: 'string' },
    'from-run': { type: 'string', default: '' },
  },
  strict: true,
});
async function main(): Promise<void> {
  if (!values.base || !values.run || !values.out) throw new Error('usage: --base BASE --run RUN --out FILE [--from-run NAME,NAME]');
  await initCompute();
  // The base with an expert that starts as a copy of its blocks; then the run's weights where asked.
  const { model } = loadModel(values.base, { generationExpert: true });
  const { model: run } = loadModel(values.run);
  const fromRun = values['from-run'].split(',').filter(Boolean);
  for (const name of fromRun) if (!run.params.has(name) || name.startsWith('blocks.')) throw new Error(`--from-run: "${name}" is not a non-block weight of ${values.run}`);
  for (const [name, value] of run.params.entries()) {
    const block = /^blocks\.(\d+)\.(.+)$/.exec(name);
    if (block) model.params.get(`blocks.${block[1]}.img.${block[2]}`).assign(value);
    else if (name.startsWith('img.') || fromRun.includes(name)) model.params.get(name).assign(value);
  }
  await saveCheckpoint(values.out, model.params, { config: model.config, step: 0, metadata: { diagnostic: JSON.stringify({ base: values.base, run: values.run, fromRun }) } });
  console.log(`${values.out}: the run's blocks on the image positions${fromRun.length ? `, and its ${fromRun.join(', ')}` : ''}; the base's elsewhere`);
}

void main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
