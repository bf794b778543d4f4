/**
 * The SFT stage: UniRL-SFT (daemon/train/sft.ts) from the run's current model, its metrics,
 * samples and checkpoints turned into run events. The trained model goes to the stage's folder;
 * the loop resumes from it by itself, so a resumed run continues the same step count.
 */
import { relative } from 'node:path';
import { checkpointModelConfig } from '../../models';
import { defaultSft, sft } from '../../train';
import { CancelledError, type Stage } from '../stage';
import { requireModel, samplingFor, unirlHooks, useCompute } from './common';

export const sftStage: Stage<'sft'> = {
  async run(config, ctx) {
    const base = requireModel(ctx, 'sft');
    await useCompute(ctx);
    const paradigm = checkpointModelConfig(base).paradigm;
    ctx.emit({ type: 'log', level: 'info', message: `SFT from ${base} (${paradigm})` });
    await sft(
      {
        ...defaultSft(paradigm),
        steps: config.steps,
        promptsPerStep: config.promptsPerStep,
        imagesPerPrompt: config.imagesPerPrompt,
        lr: config.learningRate,
        tau: config.gumbelTemperature,
        gradientSteps: config.gradientSteps,
        generationWeight: config.generationWeight,
        accept: config.accept,
        trainUnderstanding: config.trainUnderstanding,
        sampling: samplingFor(config.sampling, paradigm),
        gradClip: config.gradClip,
        seed: ctx.spec.seed,
        logEvery: config.logEvery,
        checkpointEvery: config.checkpointEvery,
        keepEvery: config.keepEvery,
        samplesEvery: config.samplesEvery,
      },
      base,
      ctx.modelOut,
      unirlHooks(ctx, config.steps),
    );
    if (ctx.cancelRequested()) throw new CancelledError();
    ctx.emit({ type: 'log', level: 'info', message: `trained model: ${relative(ctx.runDir, ctx.modelOut)}` });
  },
};
