/**
 * Does a checkpoint draw a relation where its words put it, when the pair cannot tell it? Prompts of
 * two objects of one class told apart by colour ("a photo of a red circle left of a blue circle",
 * pretraining's colour relations, daemon/train/data.ts), each image read by the default detector:
 * both colours found and the relation right, mirrored (the other object where the words put the
 * first), another relation, or an object missing. A generator that follows the words scores right
 * far above mirrored; one that ignores their order scores them alike.
 *
 * With `--read`, the other direction: the checkpoint reads the world's renders of the same prompts
 * and answers UniRL's position question; its answer states the relation right, mirrored, or neither
 * (another relation, or the objects not told apart). A reader that answers from which pair it sees
 * rather than from where the objects are has nothing to go on here.
 *
 * `npx tsx bench/relation-probe.ts --checkpoint C [--checkpoint C2 ...] [--n 96] [--seed 0] [--read]`
 */
import { parseArgs } from 'node:util';
import { initCompute } from '../daemon/compute';
import { defaultDetector } from '../daemon/geneval';
import { loadModel } from '../daemon/models';
import { DEFAULT_SAMPLING, drawColorRelationExamples, generateImages } from '../daemon/train';
import { Rng } from '../daemon/util/random';
import { DEFAULT_WORLD, judgeAnswer, MIRROR, relationsBetween, type Metadata, type RgbImage } from '../daemon/world';

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

const READ_OUTCOMES = ['right', 'mirrored', 'neither'] as const;

/** The same line with its relation turned round: what an answer states when it reads the scene mirrored. */
function mirrored(meta: Metadata): Metadata {
  return { ...meta, include: meta.include.map((g) => (g.position ? { ...g, position: [MIRROR[g.position[0]], g.position[1]] as const } : g)) };
}

async function read(files: readonly string[], n: number): Promise<void> {
  // The scenes come from the prompts' generator (seed 99): the world's renders, the same for every checkpoint.
  const examples = drawColorRelationExamples(DEFAULT_WORLD, new Rng(99), n);
  process.stdout.write(`${n} colour-relation scenes (the world's renders), the position question, greedy answers\n\n| checkpoint | ${READ_OUTCOMES.join(' | ')} |\n|---|${READ_OUTCOMES.map(() => '---|').join('')}\n`);
  for (const file of files) {
    const { model } = loadModel(file);
    const counts = new Map<string, number>(READ_OUTCOMES.map((o) => [o, 0]));
    for (let i = 0; i < examples.length; i += 16) {
      const batch = examples.slice(i, i + 16);
      const { answers } = await model.answer(batch.map((e) => e.image), batch.map((e) => e.question));
      answers.forEach((answer, k) => {
        const meta = batch[k]!.meta;
        const o = judgeAnswer(meta, answer).correct ? 'right' : judgeAnswer(mirrored(meta), answer).correct ? 'mirrored' : 'neither';
        counts.set(o, counts.get(o)! + 1);
      });
    }
    model.params.dispose();
    process.stdout.write(`| ${file} | ${READ_OUTCOMES.map((o) => (counts.get(o)! / n).toFixed(3)).join(' | ')} |\n`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { checkpoint: { type: 'string', multiple: true }, n: { type: 'string' }, seed: { type: 'string' }, read: { type: 'boolean' } } });
  if (!values.checkpoint?.length) throw new Error('usage: npx tsx bench/relation-probe.ts --checkpoint C [--checkpoint C2 ...] [--n 96] [--seed 0] [--read]');
  const n = Number(values.n ?? 96);
  const seed = Number(values.seed ?? 0);
  await initCompute({ backend: 'wasm' });
  if (values.read) return read(values.checkpoint, n);
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
