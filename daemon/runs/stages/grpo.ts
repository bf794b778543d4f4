/**
 * The GRPO stage: UniRL-GRPO (daemon/train/grpo.ts) from the run's current model, its metrics,
 * samples table and checkpoints turned into run events. The trained model goes to the stage's
 * folder; the loop resumes from it by itself, so a resumed run continues the same step count.
 */
import { relative } from 'node:path';
import { checkpointModelConfig } from '../../models';
import { defaultGrpo, grpo } from '../../train';
import { CancelledError, type Stage } from '../stage';
import { requireModel, samplingFor, unirlHooks, useCompute } from './common';

export const grpoStage: Stage<'grpo'> = {
  async run(config, ctx) {
    const base = requireModel(ctx, 'grpo');
    await useCompute(ctx);
    const paradigm = checkpointModelConfig(base).paradigm;
    ctx.emit({ type: 'log', level: 'info', message: `GRPO from ${base} (${paradigm}), G = ${config.groupSize}, beta = ${config.beta}, reward ${config.reward}` });
    await grpo(
      {
        ...defaultGrpo(paradigm),
        steps: config.steps,
        promptsPerStep: config.promptsPerStep,
        groupSize: config.groupSize,
        lr: config.learningRate,
        beta: config.beta,
        refModelSyncSteps: config.refModelSyncSteps,
        refModelMixupAlpha: config.refModelMixupAlpha,
        clipEps: config.clipEpsilon,
        updatesPerBatch: config.updatesPerBatch,
        reward: config.reward,
        judge: config.judge,
        trainUnderstanding: config.trainUnderstanding,
        understandingWeight: config.understandingWeight,
        ...(config.understandingMinReward !== undefined ? { understandingMinReward: config.understandingMinReward } : {}),
        ...(config.understandingAnchor !== undefined ? { understandingAnchor: config.understandingAnchor } : {}),
        ...(config.understandingDistill !== undefined ? { understandingDistill: config.understandingDistill } : {}),
        ...(config.generationAdapter !== undefined ? { generationAdapter: config.generationAdapter } : {}),
        ...(config.generationAttentionAdapter !== undefined ? { generationAttentionAdapter: config.generationAttentionAdapter } : {}),
        ...(config.generationExpert ? { generationExpert: true } : {}),
        ...(config.generationExpertPrompt ? { generationExpertPrompt: true } : {}),
        answerTemperature: config.answerTemperature,
        policySteps: config.policySteps,
        curriculumCandidates: config.curriculumCandidates,
        scaleRewards: config.scaleRewards,
        ...(config.rewardTags ? { rewardTags: config.rewardTags } : {}),
        ...(config.unjudgedBeta !== undefined ? { unjudgedBeta: config.unjudgedBeta } : {}),
        ...(config.judgedShare !== undefined ? { judgedShare: config.judgedShare } : {}),
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
