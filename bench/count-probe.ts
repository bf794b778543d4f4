/**
 * How well does a checkpoint answer count questions ("How many red rings in this image?") about
 * fresh truth scenes with broken objects, the examples pretraining's countShare draws (never
 * trained on: another seed)? The judge behind the self_count rewards can be no better than this.
 * Prints the accuracy overall and by the true count, and the confusion of stated against true.
 * With --varied: UniRL's own counting question ("How many items in this image?") about whole scenes
 * of one to five objects of a class, the examples of pretraining's variedCountShare; --broken P breaks
 * each object with probability P (variedCountBroken: the answer counts the whole ones).
 *
 *   npx tsx bench/count-probe.ts --checkpoint runs/pretrain/ar-bidir.safetensors --n 288 [--varied [--broken 0.35]]
 */
import { parseArgs } from 'node:util';
import { initCompute } from '../daemon/compute';
import { loadModel } from '../daemon/models';
import { createImageTokenizer } from '../daemon/tokenizers';
import { drawCountExamples, drawVariedCountExamples, TrainingPrompts } from '../daemon/train/data';
import { Rng } from '../daemon/util/random';
import { DEFAULT_WORLD, readCount } from '../daemon/world';

const { values } = parseArgs({
  options: { checkpoint: { type: 'string', multiple: true, default: [] }, n: { type: 'string', default: '288' }, seed: { type: 'string', default: '999' }, varied: { type: 'boolean', default: false }, broken: { type: 'string', default: '0' } },
  strict: true,
});

async function main(): Promise<void> {
  await initCompute({ backend: 'wasm' });
  const tokenizer = createImageTokenizer(DEFAULT_WORLD);
  const rng = new Rng(Number(values.seed));
  const examples = values.varied
    ? drawVariedCountExamples(new TrainingPrompts([], ['counting']), DEFAULT_WORLD, rng, Number(values.n), Number(values.broken), tokenizer)
    : drawCountExamples(new TrainingPrompts(), DEFAULT_WORLD, tokenizer, rng, Number(values.n));
  for (const file of values.checkpoint) {
    const { model, info } = loadModel(file);
    const answers: string[] = [];
    // In parts: one call over hundreds of images outgrows the wasm heap.
    for (let k = 0; k < examples.length; k += 64) {
      const part = examples.slice(k, k + 64);
      answers.push(...(await model.answer(part.map((e) => e.image), part.map((e) => e.question))).answers);
    }
    const byTruth = new Map<number, { right: number; all: number }>();
    const confusion = new Map<string, number>();
    examples.forEach((e, i) => {
      const truth = readCount(e.answer)!;
      const stated = readCount(answers[i]!);
      const t = byTruth.get(truth) ?? { right: 0, all: 0 };
      t.all++;
      if (stated === truth) t.right++;
      byTruth.set(truth, t);
      const key = `${truth}->${stated ?? '?'}`;
      confusion.set(key, (confusion.get(key) ?? 0) + 1);
    });
    const right = [...byTruth.values()].reduce((a, t) => a + t.right, 0);
    const buckets = [...byTruth.entries()].sort(([a], [b]) => a - b).map(([n, t]) => `${n}: ${(t.right / t.all).toFixed(2)} of ${t.all}`);
    console.log(`${file} (step ${info.step}): count accuracy ${(right / examples.length).toFixed(3)} (${right}/${examples.length}); by true count ${buckets.join(', ')}`);
    console.log(`  stated for true: ${[...confusion.entries()].sort().map(([k, c]) => `${k} ${c}`).join(', ')}`);
    model.params.dispose();
  }
}

void main();
