import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initCompute } from '../compute';
import { formatSummary, scoreImageFolder, writeResults, type ResultRow } from '../geneval';
import { loadModel } from '../models';
import { generateGenevalFolder, imbalance, understandingOnTruth } from '../train';
import { writeFileAtomic } from '../util/fsx';
import { defaultPromptSet } from '../util/paths';
import type { ImbalanceResult, TruthAnswer } from '../train';
import { pythonJsonDumps } from '../world';
import type { Command } from './command';
import { intOption, readMetadataFile, requireOption, SAMPLING_OPTIONS, samplingOptions } from './args';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'GenEval and understanding accuracy of a checkpoint on a prompt set',
  help: `unirl eval --checkpoint C [--metadata M] [--n 4] [--out DIR] [--seed N] [--json] [--steps N] [--cfg W] [--temperature T]

Generates N images a prompt (default: the 553-prompt evaluation set) and scores them with GenEval,
then asks the model each prompt's question about N rendered truth scenes of it and about each of its
own images (the imbalance table). Writes DIR (default
runs/eval-<time>) with the images, results.jsonl, understanding.jsonl (one row an answer about a
truth scene, in results.jsonl's form: \`unirl geneval compare --understanding\` pairs two of them)
and eval.json, and prints both tables.`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        checkpoint: { type: 'string' },
        metadata: { type: 'string' },
        n: { type: 'string' },
        out: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
        ...SAMPLING_OPTIONS,
      },
      strict: true,
    });
    const checkpoint = requireOption(values.checkpoint, 'checkpoint');
    const promptFile = values.metadata ?? defaultPromptSet();
    const metadata = readMetadataFile(promptFile);
    const n = intOption(values.n, 'n', 4, 1, 100);
    const seed = intOption(values.seed, 'seed', 0, 0, 2 ** 32 - 1);
    const out = values.out ?? join('runs', `eval-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    const compute = await initCompute();
    const { model, info } = loadModel(checkpoint);
    const sampling = samplingOptions(values, model.paradigm);
    const t0 = Date.now();
    await generateGenevalFolder(model, { metadata, outDir: join(out, 'images'), imagesPerPrompt: n, sampling, seed, onPrompt: (d, t) => process.stderr.write(`\rgenerating ${d} / ${t} prompts`) });
    const genSeconds = (Date.now() - t0) / 1000;
    process.stderr.write('\n');
    const { rows, summary } = scoreImageFolder(join(out, 'images'));
    writeResults(join(out, 'results.jsonl'), rows);
    const t1 = Date.now();
    const answered: ResultRow[] = [];
    const understanding = await understandingOnTruth(model, metadata, n, seed, (a) => answered.push(truthAnswerRow(a)));
    writeResults(join(out, 'understanding.jsonl'), answered);
    const askSeconds = (Date.now() - t1) / 1000;
    const balance = await imbalance(model, rows, summary, understanding);
    const report = {
      checkpoint,
      step: info.step,
      paradigm: model.paradigm,
      backend: compute.backend,
      promptFile,
      imagesPerPrompt: n,
      seed,
      sampling,
      geneval: { overall: summary.overall, tags: Object.fromEntries(summary.tags.map((t) => [t.tag, t.score])) },
      understanding: { overall: understanding.overall, tags: Object.fromEntries(understanding.tags.map((t) => [t.tag, t.accuracy])) },
      imbalance: balance,
      imagesPerSecond: rows.length / genSeconds,
      answersPerSecond: (metadata.length * n) / askSeconds,
    };
    writeFileAtomic(join(out, 'eval.json'), `${JSON.stringify(report, null, 2)}\n`);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      process.stdout.write(`${formatSummary(summary)}\n\nUnderstanding on truth scenes (exact normalised match)\n`);
      for (const t of understanding.tags) process.stdout.write(`${t.tag.padEnd(16)} = ${(100 * t.accuracy).toFixed(2)}% (${t.correct} / ${t.total})\n`);
      process.stdout.write(`Overall understanding: ${understanding.overall.toFixed(5)}\n\n`);
      process.stdout.write(formatImbalance(balance));
      process.stdout.write(`\n${report.imagesPerSecond.toFixed(2)} images/s, ${report.answersPerSecond.toFixed(2)} answers/s on ${compute.backend}; outputs in ${out}\n`);
    }
    return 0;
  },
};

/**
 * An answer about a truth scene as a GenEval result row, so that two checkpoints' answers about the
 * same scenes pair by prompt as their images do (the prompt's number third from the end of the name).
 */
function truthAnswerRow(a: TruthAnswer): ResultRow {
  const name = `${String(a.promptIndex).padStart(5, '0')}/truth/${String(a.imageIndex).padStart(4, '0')}`;
  return { filename: name, tag: a.meta.tag, prompt: a.meta.prompt, correct: a.correct, reason: `asked "${a.question}", answered "${a.answer}"`, metadata: pythonJsonDumps(a.meta), details: '{}' };
}

function formatImbalance(b: ImbalanceResult): string {
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`.padStart(7);
  const lines = [
    'Imbalance (|gen - und| per tag; on the model\'s own images: detector right & own answer wrong, and the reverse)',
    `${'tag'.padEnd(16)}     gen     und     gap  gen+/und-  gen-/und+  images`,
    ...b.tags.map((t) => `${t.tag.padEnd(16)} ${pct(t.generation)} ${pct(t.understanding)} ${pct(t.gap)}  ${String(t.genRightUndWrong).padStart(9)}  ${String(t.genWrongUndRight).padStart(9)}  ${String(t.images).padStart(6)}`),
    `mean gap ${b.meanGap.toFixed(5)}; gen+/und- ${b.genRightUndWrong}, gen-/und+ ${b.genWrongUndRight} of ${b.images} images; grounding gap ${b.groundingGap.toFixed(5)}`,
  ];
  return `${lines.join('\n')}\n`;
}
