/**
 * The GenEval stage: for every prompt of a metadata file, draw imagesPerPrompt images into the
 * official folder layout, score each as it is written (so the running score is a live curve),
 * then write results.jsonl and the official summary. A checkpoint is the number of prompts done:
 * a resume re-reads and re-scores the images already on disk and carries on from there.
 *
 * Generators: "truth" (rendered ground-truth scenes, the evaluator's upper bound) and "model"
 * (the run's current model: the last one an earlier stage trained, else model.checkpoint).
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { GenevalResult } from '../../../schemas/protocol';
import {
  formatSummary,
  promptFolderName,
  sampleFileName,
  scoreImage,
  summarize,
  truthImages,
  writePromptFolder,
  writeResults,
  type ResultRow,
  type Summary,
} from '../../geneval';
import { writeFileAtomic } from '../../util/fsx';
import { decodePng, encodePng } from '../../util/png';
import { Rng } from '../../util/random';
import { loadModel } from '../../models';
import { generateImages } from '../../train';
import type { RgbImage } from '../../world';
import { defaultPromptSet } from '../../util/paths';
import { parseMetadataLines, type Metadata } from '../../world';
import { CancelledError, type Stage, type StageContext } from '../stage';
import { requireModel, samplingFor, useCompute } from './common';
import type { GenevalStageSpec } from '../../spec/types';

interface GenevalCheckpoint {
  done: number;
}

function promptsOf(config: GenevalStageSpec, ctx: StageContext): Metadata[] {
  const file = config.metadata === undefined ? defaultPromptSet() : ctx.resolve(config.metadata);
  const all = parseMetadataLines(readFileSync(file, 'utf8'), config.metadata ?? file);
  return config.limit > 0 ? all.slice(0, config.limit) : all;
}

function doneFrom(ctx: StageContext, total: number): number {
  const saved = ctx.checkpoint.load();
  if (!saved) return 0;
  const done = (saved.state as Partial<GenevalCheckpoint> | null)?.done;
  if (typeof done !== 'number' || !Number.isInteger(done) || done < 0 || done > total) {
    throw new Error(`geneval checkpoint ${saved.dir} is not valid (done = ${JSON.stringify(done)})`);
  }
  return done;
}

/** Metric values of a partial or final summary: overall, per tag, and the fractions. */
function scoreMetrics(summary: Summary): Record<string, number | null> {
  const values: Record<string, number | null> = {
    'geneval/overall': summary.overall,
    'geneval/correct_images': summary.correctImagesFraction,
    'geneval/correct_prompts': summary.correctPromptsFraction,
  };
  for (const t of summary.tags) values[`geneval/${t.tag}`] = t.score;
  return values;
}

export function toResult(summary: Summary): GenevalResult {
  return {
    overall: summary.overall,
    tags: Object.fromEntries(summary.tags.map((t) => [t.tag, { correct: t.correct, total: t.total, score: t.score }])),
    totalImages: summary.totalImages,
    totalPrompts: summary.totalPrompts,
    correctImages: Math.round(summary.correctImagesFraction * summary.totalImages),
    correctPrompts: Math.round(summary.correctPromptsFraction * summary.totalPrompts),
  };
}

type Generator = (meta: Metadata, index: number) => RgbImage[] | Promise<RgbImage[]>;

/** Truth renders, or the run's current model (loaded once; disposed by the returned function). */
async function generatorOf(config: GenevalStageSpec, ctx: StageContext): Promise<{ generate: Generator; dispose: () => void }> {
  const n = config.imagesPerPrompt;
  if (config.generator === 'truth') {
    const world = { canvas: ctx.spec.world.canvas };
    return { generate: (meta, p) => truthImages(meta, p, n, ctx.spec.seed, world), dispose: () => undefined };
  }
  const file = requireModel(ctx, 'geneval');
  await useCompute(ctx);
  const { model } = loadModel(file);
  const sampling = samplingFor(config.sampling, model.paradigm);
  ctx.emit({ type: 'log', level: 'info', message: `GenEval of ${file} (${model.paradigm}, ${sampling.steps} steps, cfg ${sampling.cfg})` });
  return {
    // Seeded per prompt, so a resumed evaluation draws exactly the images it would have drawn.
    generate: (meta, p) => generateImages(model, Array<string>(n).fill(meta.prompt), sampling, new Rng((ctx.spec.seed * 1_000_003 + p) >>> 0)),
    dispose: () => model.params.dispose(),
  };
}

export const genevalStage: Stage<'geneval'> = {
  async run(config, ctx) {
    const prompts = promptsOf(config, ctx);
    const total = prompts.length;
    const generator = await generatorOf(config, ctx);
    try {
      await evaluate(config, ctx, prompts, total, generator.generate);
    } finally {
      generator.dispose();
    }
  },
};

async function evaluate(config: GenevalStageSpec, ctx: StageContext, prompts: Metadata[], total: number, generate: Generator): Promise<void> {
  {
    const imagesDir = join(ctx.stageDir, 'images');
    const done = doneFrom(ctx, total);

    // Rows of the prompts finished before a resume: re-scored from the images on disk.
    const rows: ResultRow[] = [];
    for (let p = 0; p < done; p++) {
      const folder = join(imagesDir, promptFolderName(p));
      for (let i = 0; i < config.imagesPerPrompt; i++) {
        const file = join(folder, 'samples', sampleFileName(i));
        rows.push(scoreImage(decodePng(readFileSync(file), file), prompts[p]!, prompts[p]!, file));
      }
      if (p % 50 === 49) await ctx.yield();
    }
    if (done > 0) ctx.emit({ type: 'log', level: 'info', message: `resumed at prompt ${done} of ${total}` });

    const started = Date.now();
    for (let p = done; p < total; p++) {
      if (ctx.signal.aborted) throw new CancelledError();
      const meta = prompts[p]!;
      const images = await generate(meta, p);
      writePromptFolder(imagesDir, p, meta, images);
      const folder = join(imagesDir, promptFolderName(p));
      images.forEach((image, i) => rows.push(scoreImage(image, meta, meta, join(folder, 'samples', sampleFileName(i)))));
      const step = p + 1;
      ctx.emit({ type: 'progress', step, total, phase: 'generate and score' });
      if (config.samplesEvery > 0 && p % config.samplesEvery === 0 && images[0]) {
        ctx.emitSample({ step, prompt: meta.prompt, png: encodePng(images[0]), reward: rows[rows.length - images.length]!.correct ? 1 : 0 });
      }
      if (step % config.checkpointEvery === 0 || step === total) {
        const seconds = (Date.now() - started) / 1000;
        ctx.emit({
          type: 'metric',
          step,
          values: { ...scoreMetrics(summarize(rows)), 'geneval/images_per_second': seconds > 0 ? ((step - done) * config.imagesPerPrompt) / seconds : null },
        });
        ctx.checkpoint.save(step, { done: step } satisfies GenevalCheckpoint);
      }
      await ctx.yield();
    }

    const summary = summarize(rows);
    writeResults(join(ctx.stageDir, 'results.jsonl'), rows);
    writeFileAtomic(join(ctx.stageDir, 'summary.txt'), `${formatSummary(summary)}\n`);
    writeFileAtomic(join(ctx.stageDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    ctx.emit({ type: 'result', kind: 'geneval', path: relative(ctx.runDir, ctx.stageDir), result: toResult(summary) });
  }
}
