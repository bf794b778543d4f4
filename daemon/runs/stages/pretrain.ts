/**
 * The pretrain stage: the models' own pretraining loop (daemon/train/pretrain.ts) driven by a run
 * spec, its metrics and checkpoints turned into run events. The model file lives in the stage's
 * folder (`model.safetensors`, optimizer state beside it) and is rewritten at each checkpoint; the
 * loop resumes from it by itself, so a resumed run continues the same step count. With a model
 * before it (model.checkpoint, or an earlier stage's) it continues those weights, with a fresh
 * optimizer and its warm-up; else it builds model.architecture from scratch.
 */
import { relative } from 'node:path';
import { checkpointModelConfig, modelConfig } from '../../models';
import { pretrain } from '../../train';
import { CancelledError, type Stage } from '../stage';
import { cancelPoll, heldOutOf, useCompute } from './common';

export const pretrainStage: Stage<'pretrain'> = {
  async run(config, ctx) {
    const model = ctx.spec.model;
    if (!model) throw new Error('a pretrain stage needs "model" (paradigm and architecture)');
    await useCompute(ctx);
    const heldOut = heldOutOf(ctx);
    const file = ctx.modelOut;
    const init = ctx.currentModel();
    const total = config.steps;
    // The shared flag is seen at once, even before the loop's next yield lets the cancel message in.
    const signal = cancelPoll(ctx) as AbortSignal;
    await pretrain(
      {
        model: init ? checkpointModelConfig(init) : modelConfig(model.paradigm, { ...model.architecture, canvas: ctx.spec.world.canvas, seed: ctx.spec.seed }),
        ...(init ? { init } : {}),
        ...(config.dataWorkers === undefined ? {} : { dataWorkers: config.dataWorkers }),
        steps: config.steps,
        batchSize: config.batchSize,
        understandingBatchSize: config.understandingBatchSize ?? config.batchSize,
        countShare: config.countShare,
        variedCountShare: config.variedCountShare,
        variedCountBroken: config.variedCountBroken,
        colorRelationShare: config.colorRelationShare,
        colorRelationUnderstandingShare: config.colorRelationUnderstandingShare,
        answerDropout: config.answerDropout,
        lr: config.learningRate,
        minLr: config.minLearningRate,
        warmup: config.warmupSteps,
        weightDecay: config.weightDecay,
        gradClip: config.gradClip,
        dropPrompt: config.condDropout,
        understandingWeight: config.understandingWeight,
        seed: ctx.spec.seed,
        logEvery: config.logEvery,
        checkpointEvery: config.checkpointEvery,
        keepEvery: config.keepEvery,
      },
      file,
      {
        signal,
        ...(heldOut ? { heldOut } : {}),
        onMetrics: ({ step, ...values }) => {
          ctx.emit({ type: 'metric', step, values });
          ctx.emit({ type: 'progress', step, total });
        },
        onCheckpoint: (_file, step) => ctx.checkpoint.save(step, { model: relative(ctx.runDir, file) }),
      },
    );
    if (ctx.cancelRequested()) throw new CancelledError();
    ctx.emit({ type: 'log', level: 'info', message: `pretrained model: ${relative(ctx.runDir, file)}` });
  },
};
