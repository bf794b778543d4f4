/**
 * How well can a model judge its own images? The self reward of UniRL-GRPO only helps if, within a
 * group of images for one prompt, it ranks the images the way the truth does. This draws groups
 * of G images for training-split prompts from a checkpoint (as GRPO draws them), scores each image
 * with several candidate self judges and with the GenEval detector (the referee here, never a
 * reward), and prints per judge:
 *   - auc: over image pairs of one group that the detector tells apart (one correct, one not), the
 *     share the judge orders the same way (ties count half; 0.5 is chance, 1 a perfect judge);
 *   - signal: the share of groups where the judge's rewards are not all equal (GRPO learns from
 *     these only);
 *   - noise: the share of groups the detector calls all-equal where the judge still varies (its
 *     advantages there push in directions the truth does not support);
 *   - agree: the share of images where the judge's verdict equals the detector's (binary judges).
 *
 *   npx tsx bench/judge-quality.ts --checkpoint models/shapes-ar-d192-base.safetensors --prompts 20 --group 8 [--tags counting,position] [--seed N]
 *
 * The judges: `self` (the greedy answer states the prompt's facts: UniRL's reward), `self_graded`
 * (the share of facts stated), `self+class` (also asks what the main item is where the tag's
 * question does not name it: colours, "What is the color of the object?"), and `self_likelihood`
 * (the probability the model gives the prompt's facts, the missing ones included: a soft verdict),
 * `self_count` (the share of the prompt's groups the model counts as GenEval's rule asks, plus a
 * positioned pair's relation), `self_count (all facts)` (every one of them) and
 * `self_count_likelihood` (the probability of accepted counts: the soft form), and the product of
 * the two soft verdicts.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { initCompute } from '../daemon/compute';
import { detect, evaluateDetections, keepDetections } from '../daemon/geneval';
import { loadModel } from '../daemon/models';
import { defaultGrpo } from '../daemon/train';
import { detectorVerdicts, judgeAuc, judgeImages, selfGenerate } from '../daemon/train/unirl';
import { generateOptions } from '../daemon/train/evaluate';
import { Rng } from '../daemon/util/random';
import { generatePromptSet, judgeAnswer, missingFactLines, TAGS, type Metadata } from '../daemon/world';

const { values } = parseArgs({
  options: {
    checkpoint: { type: 'string', default: 'models/shapes-ar-d192-base.safetensors' },
    prompts: { type: 'string', default: '20' },
    group: { type: 'string', default: '8' },
    seed: { type: 'string', default: '0' },
    json: { type: 'string' },
    /** Only these tags' prompts (comma-separated; default all six). */
    tags: { type: 'string' },
  },
  strict: true,
});

async function main(): Promise<void> {
  await initCompute({ backend: 'wasm' });
  const { model } = loadModel(values.checkpoint);
  const G = Number(values.group);
  const perTag = Number(values.prompts);
  const rng = new Rng(Number(values.seed));
  const all = generatePromptSet({ seed: Number(values.seed), split: 'train' });
  const tags = values.tags === undefined ? TAGS : values.tags.split(',').map((t) => t.trim());
  for (const t of tags) if (!(TAGS as readonly string[]).includes(t)) throw new Error(`--tags: "${t}" is not a tag (${TAGS.join(', ')})`);
  const metas = tags.flatMap((t) => all.filter((m) => m.tag === t).slice(0, perTag));
  const sampling = defaultGrpo(model.paradigm).sampling;

  const rows: { tag: string; detector: number; learned: number; judges: Record<string, number> }[] = [];
  for (let p = 0; p < metas.length; p += 2) {
    const batch = metas.slice(p, p + 2);
    const groupMetas = batch.flatMap((m) => Array<Metadata>(G).fill(m));
    const { images } = await selfGenerate(model, groupMetas.map((m) => m.prompt), generateOptions(sampling, rng));
    const judged = await judgeImages(model, groupMetas, images, { likelihood: true, count: true, countLikelihood: true, contrast: true });
    const detector = detectorVerdicts(groupMetas, images).correct;
    // The second referee: the learned detector (is a judge's disagreement the template detector's strictness?).
    const learned = groupMetas.map((m, i) => evaluateDetections(keepDetections(detect(images[i]!), m.tag), m).correct);
    // `self+class` asks the missing facts' questions too and needs every answer right.
    const extra = groupMetas.flatMap((m, i) => missingFactLines(m).map((line) => ({ image: i, line })));
    const extraCorrect = groupMetas.map(() => true);
    if (extra.length > 0) {
      const { answers } = await model.answer(extra.map((e) => images[e.image]!), extra.map((e) => e.line.question!));
      extra.forEach((e, k) => (extraCorrect[e.image] &&= judgeAnswer(e.line, answers[k]!).correct));
    }
    groupMetas.forEach((m, i) =>
      rows.push({
        tag: m.tag,
        detector: Number(detector[i]),
        learned: Number(learned[i]),
        judges: {
          self: Number(judged.selfCorrect[i]),
          self_graded: judged.selfGraded[i]!,
          'self+class': Number(judged.selfCorrect[i] && extraCorrect[i]),
          self_likelihood: judged.selfLikelihood![i]!,
          self_count: judged.selfCount![i]!,
          'self_count (all facts)': Number(judged.selfCount![i] === 1),
          self_count_likelihood: judged.selfCountLikelihood![i]!,
          // Two soft verdicts from different questions, multiplied: does their evidence add up?
          'self_likelihood x self_count_likelihood': judged.selfLikelihood![i]! * judged.selfCountLikelihood![i]!,
          // The generator as a classifier (its errors are not the reader's), alone and with the reader's.
          self_contrast: judged.selfContrast![i]!,
          'self_likelihood x self_contrast': judged.selfLikelihood![i]! * judged.selfContrast![i]!,
        },
      }),
    );
    process.stderr.write(`\r${Math.min(p + 2, metas.length)}/${metas.length} prompts`);
  }
  process.stderr.write('\n');

  const judges = Object.keys(rows[0]!.judges);
  type Stats = ReturnType<typeof groupStats>;
  const report: Record<string, Record<string, Stats>> = {};
  const byLearned: Record<string, Record<string, Stats>> = {};
  for (const scope of ['all', ...tags]) {
    const scoped = rows.filter((r) => scope === 'all' || r.tag === scope);
    report[scope] = {};
    byLearned[scope] = {};
    for (const j of judges) {
      report[scope][j] = groupStats(scoped, j, G);
      byLearned[scope][j] = groupStats(scoped.map((r) => ({ ...r, detector: r.learned })), j, G);
    }
  }
  const fmt = (x: number | null): string => (x === null ? '-' : x.toFixed(3));
  const share = (key: 'detector' | 'learned'): string => fmt(rows.reduce((a, r) => a + r[key], 0) / rows.length);
  console.log(`${values.checkpoint}: ${metas.length} training-split prompts x ${G} images (seed ${values.seed}); correct on ${share('detector')} of images by the default (template) detector, ${share('learned')} by the learned one\n`);
  console.log(`| scope | judge | auc (pairs) | signal | noise | agree | against the learned detector: auc (pairs) / agree |`);
  console.log(`|---|---|---|---|---|---|---|`);
  for (const [scope, byJudge] of Object.entries(report)) {
    for (const [j, s] of Object.entries(byJudge)) {
      const l = byLearned[scope]![j]!;
      console.log(`| ${scope} | ${j} | ${fmt(s.auc)} (${s.pairs}) | ${fmt(s.signal)} | ${fmt(s.noise)} | ${fmt(s.agree)} | ${fmt(l.auc)} (${l.pairs}) / ${fmt(l.agree)} |`);
    }
  }
  if (values.json) {
    writeFileSync(values.json, `${JSON.stringify({ checkpoint: values.checkpoint, prompts: metas.length, group: G, seed: Number(values.seed), report, byLearnedDetector: byLearned }, null, 1)}\n`);
  }
}

/** The within-group statistics of one judge over consecutive groups of G rows. */
function groupStats(rows: readonly { detector: number; judges: Record<string, number> }[], judge: string, G: number): { auc: number; pairs: number; signal: number; noise: number; agree: number | null } {
  const scores = rows.map((r) => r.judges[judge]!);
  const truth = rows.map((r) => r.detector === 1);
  let signal = 0;
  let noise = 0;
  let flatTruth = 0;
  const groups = Math.floor(rows.length / G);
  for (let g = 0; g < groups * G; g += G) {
    const r = scores.slice(g, g + G);
    const d = truth.slice(g, g + G);
    const varies = r.some((x) => x !== r[0]);
    if (varies) signal++;
    if (d.every((x) => x === d[0])) {
      flatTruth++;
      if (varies) noise++;
    }
  }
  const binary = scores.every((x) => x === 0 || x === 1);
  const agree = scores.filter((x, i) => (x >= 0.5) === truth[i]).length / rows.length;
  return { ...judgeAuc(scores, truth, G), signal: signal / groups, noise: flatTruth ? noise / flatTruth : 0, agree: binary ? agree : null };
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
