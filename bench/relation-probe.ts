/**
 * Does a checkpoint draw a relation where its words put it, when the pair cannot tell it? Prompts of
 * two objects of one class told apart by colour ("a photo of a red circle left of a blue circle",
 * pretraining's colour relations, daemon/train/data.ts), each image read by the default detector:
 * both colours found and the relation right, mirrored (the other object where the words put the
 * first), another relation, or an object missing. A generator that follows the words scores right
 * far above mirrored; one that ignores their order scores them alike.
 *
 * `npx tsx bench/relation-probe.ts --checkpoint C [--checkpoint C2 ...] [--n 96] [--seed 0]`
 */
import { parseArgs } from 'node:util';
import { initCompute } from '../daemon/compute';
import { defaultDetector } from '../daemon/geneval';
import { loadModel } from '../daemon/models';
import { DEFAULT_SAMPLING, drawColorRelationExamples, generateImages } from '../daemon/train';
import { Rng } from '../daemon/util/random';
import { DEFAULT_WORLD, MIRROR, relationsBetween, type Metadata, type RgbImage } from '../daemon/world';

const OUTCOMES = ['right', 'mirrored', 'another relation', 'object missing'] as const;

function outcome(meta: Metadata, image: RgbImage): (typeof OUTCOMES)[number] {
  const [target, subject] = meta.include;
  const found = defaultDetector(image).filter((d) => d.score > 0.3 && d.class === subject!.class);
  const s = found.find((d) => d.color === subject!.color);
  const t = found.find((d) => d.color === target!.color);
  if (!s || !t) return 'object missing';
  const held = relationsBetween(s.box, t.box);
  const relation = subject!.position![0];
  return held.has(relation) ? 'right' : held.has(MIRROR[relation]) ? 'mirrored' : 'another relation';
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { checkpoint: { type: 'string', multiple: true }, n: { type: 'string' }, seed: { type: 'string' } } });
  if (!values.checkpoint?.length) throw new Error('usage: npx tsx bench/relation-probe.ts --checkpoint C [--checkpoint C2 ...] [--n 96] [--seed 0]');
  const n = Number(values.n ?? 96);
  const seed = Number(values.seed ?? 0);
  await initCompute({ backend: 'wasm' });
  // The prompts come from their own generator (seed 99), the same for every checkpoint and seed.
  const examples = drawColorRelationExamples(DEFAULT_WORLD, new Rng(99), n);
  process.stdout.write(`${n} colour-relation prompts, one image each (sampling seed ${seed}, the paradigm's default sampling)\n\n| checkpoint | ${OUTCOMES.join(' | ')} |\n|---|${OUTCOMES.map(() => '---|').join('')}\n`);
  for (const file of values.checkpoint) {
    const { model } = loadModel(file);
    const rng = new Rng(seed);
    const counts = new Map<string, number>(OUTCOMES.map((o) => [o, 0]));
    for (let i = 0; i < examples.length; i += 16) {
      const batch = examples.slice(i, i + 16);
      const images = await generateImages(model, batch.map((e) => e.meta.prompt), DEFAULT_SAMPLING[model.paradigm], rng);
      images.forEach((image, k) => {
        const o = outcome(batch[k]!.meta, image);
        counts.set(o, counts.get(o)! + 1);
      });
    }
    model.params.dispose();
    process.stdout.write(`| ${file} | ${OUTCOMES.map((o) => (counts.get(o)! / n).toFixed(3)).join(' | ')} |\n`);
  }
}

void main();
