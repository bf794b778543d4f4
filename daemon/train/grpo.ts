/**
 * UniRL-GRPO: the model draws a group of G images per prompt, answers the prompt's question about
 * each of its own images, and that verdict is the reward (or, as a control, the GenEval
 * detector's). Advantages are normalised within each group; the policy is updated with PPO's
 * clipped ratio over the generated tokens and a KL penalty to a frozen copy of the starting
 * model. Understanding is trained by GRPO on the same images: sampled answers, rewarded against
 * the prompt's answer. One step, top to bottom (the loop around it, resume and checkpoints are
 * unirl-loop.ts's).
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { clipGlobalNorm, loadCheckpoint, readScalar, saveCheckpoint, siblingFile, valueAndGrads, type Adam } from '../compute';
import { generationOnlyParameters, loadModel, type Generation, type UnifiedModel } from '../models';
import { READER_TRAINING_KEYS, readerFrozenRefusal } from '../spec/generation-only';
import type { Rng } from '../util/random';
import { judgeAnswer, type Metadata, type Tag } from '../world';
import { curriculumDraw, PassRates } from './curriculum';
import { TrainingPrompts } from './data';
import { DEFAULT_SAMPLING, type SamplingConfig } from './evaluate';
import { grpoLoss } from './grpo-loss';
import { detectorVerdicts, groundingGap, groupAdvantages, judgeAuc, judgeImages, judgeOptionsFor, rewardsOf, selfGenerate, type Judgement, type RewardName } from './unirl';
import { policyOverrides, runUnirlLoop, trainsGenerationOnly, type UnirlHooks, type UnirlStepResult } from './unirl-loop';

export interface GrpoConfig {
  steps: number;
  promptsPerStep: number;
  /** Images per prompt (G). */
  groupSize: number;
  lr: number;
  /** KL penalty weight to the reference model. */
  beta: number;
  /**
   * Move the KL anchor: every this many steps the reference becomes refModelMixupAlpha x policy +
   * (1 - alpha) x reference (TRL's sync_ref_model); 0 keeps the starting model as the reference.
   * Measured: the detector control stalled at 600 steps under the base as its anchor and gained
   * +0.04 more in 150 steps once the anchor moved (docs/results.md).
   */
  refModelSyncSteps: number;
  refModelMixupAlpha: number;
  clipEps: number;
  /** Policy updates per generated batch (1: on-policy, the ratio is 1 and clipping is inactive). */
  updatesPerBatch: number;
  reward: RewardName;
  /**
   * Who answers for a self reward: 'policy' (the model being trained, the paper's) or 'base' (the
   * starting checkpoint, frozen). Why: with understanding not trained, the policy's own judge still
   * moves, since it shares every weight with generation; measured, the self reward rose while the
   * detector's verdict on the same images did not (docs/results.md, session 10).
   */
  judge: 'policy' | 'base';
  /** Also train understanding on the same images: by GRPO on sampled answers, or as understandingMinReward says. */
  trainUnderstanding: boolean;
  /**
   * With trainUnderstanding: train it instead by the likelihood of the prompt's answer about the own
   * images whose reward is at least this (the images the model itself judges right; UniRL-SFT's
   * understanding half, on those only). Absent: GRPO on sampled answers about every image, each
   * rewarded against the prompt's answer, so a wrong image teaches the prompt's answer about it.
   * Why: with understanding not trained the reader on truth scenes drifted down (0.908 -> 0.898)
   * while generation was trained through the same weights (docs/results.md, session 24).
   * Measured at 0.8 (session 25): understanding fell further (0.880), the passed images including wrong ones.
   */
  understandingMinReward?: number;
  /**
   * KL weight that holds the policy's answers about its own images to the frozen base's: answers
   * the policy samples (temperature 1) about each image, their log-probability under the policy
   * against the base's (the k3 estimate, as the generation's KL term). No label and no external
   * image: only the reader is held where it was. Absent: the reader is free. Why: generation is
   * trained through the reader's weights, and understanding on truth scenes fell as GenEval rose
   * (0.908 -> 0.892 in 2,000 steps; docs/results.md, session 25). Measured at 0.1: not held
   * (0.897); at 1 its gradient was several times the generation's, which the global clip then slows.
   */
  understandingAnchor?: number;
  /**
   * Weight of a KL term that holds the policy's reading of its own images to the frozen base's,
   * token by token over the whole text vocabulary: KL(base || policy) at each token of the base's
   * greedy answer to the prompt's question (the frozen judge's own answers when the judge is the
   * base, so no extra pass), averaged over the answers' tokens. Exact where understandingAnchor
   * estimates from one sampled answer an image, and zero with no gradient while the two agree,
   * where a cross-entropy on the base's answers (this option's first form, session 26: at 0.2 no
   * hold, 0.900 at 1,000 steps, and less GenEval) keeps sharpening them. No label from outside
   * and no external image. Absent: no distillation. Measured at 1 (session 26, three seeds of
   * 1,000 steps): not held either (understanding -0.009 ± 0.004 on truth scenes, -0.008 without),
   * its KL on the own images staying at 0.0003-0.04 a token: the reader's fall is on scenes the
   * policy does not draw (docs/results.md).
   */
  understandingDistill?: number;
  understandingWeight: number;
  /**
   * Train generation through an adapter of this rank (a residual MLP in each block that only
   * generation sequences pass through) and the image-token embeddings and heads; every weight the
   * reader uses stays the base's, so understanding cannot fall, and cannot be trained (the
   * understanding options are refused with it). Autoregressive only. Absent: all weights train.
   * Why: through the shared weights the reader fell as GenEval rose (-0.019 ± 0.004 at 3,000
   * steps), and no term on the model's own images held it (docs/results.md, sessions 25-26).
   */
  generationAdapter?: number;
  /**
   * The same for the attention projections: low-rank updates of this rank that only generation
   * sequences use (with or without generationAdapter). Why: through the MLP adapter alone colour
   * attribution, which binds each colour word to its object through attention, did not move
   * (0.383 -> 0.430 in 2,000 steps, three seeds, where the plain runs reached 0.776; docs/results.md,
   * session 27).
   */
  generationAttentionAdapter?: number;
  /**
   * Train generation through an image expert instead (ModelConfig.generationExpert): the image
   * tokens' own copy of every block weight, starting at the shared ones, with the image-token
   * embeddings and heads. Why: the adapters hold understanding exactly but gain half of what the
   * shared weights do (+0.073 ± 0.003 against +0.137 ± 0.006 at 2,000 steps; docs/results.md,
   * session 27); the expert can learn whatever the shared blocks could for the image positions.
   */
  generationExpert?: boolean;
  /**
   * With generationExpert, the prompt positions of generation sequences pass through the expert
   * too. Why: with the expert on image positions alone colour attribution did not move in 2,000
   * steps, and the shared-weight run's image-position weights placed beside the base's text
   * positions draw colour attribution as the base does (docs/results.md, session 28).
   */
  generationExpertPrompt?: boolean;
  answerTemperature: number;
  /**
   * Masked model: MaskGIT steps whose tokens carry gradient per update (a random subset; all when
   * >= steps). With updatesPerBatch > 1 each update of a batch takes the next steps of one shuffle.
   */
  policySteps: number;
  /**
   * Curriculum by measured pass rate: each prompt is the pick, in proportion to the chance that its
   * group is not all-equal, among this many uniform draws (1: the uniform draw, no curriculum).
   */
  curriculumCandidates: number;
  /**
   * Divide each group's advantages by its reward std (GRPO's, TRL's scale_rewards = true); false
   * keeps reward - group mean (Dr. GRPO). Why false for a soft self reward: scaled, a group whose
   * images the judge barely tells apart gets advantages as large as one it tells apart clearly.
   */
  scaleRewards: boolean;
  /**
   * The tags whose images the reward judges (all when absent). Prompts of the other tags are still
   * drawn and kept in the update with advantage 0, so only the KL term acts on them: they are held
   * near the reference instead of drifting with what is trained. Why: a self judge that reads some
   * tags badly (counts on its own malformed objects, positions) pays for its errors there, and a
   * run that simply leaves those prompts out moved them (counting 0.553 -> 0.36-0.47; docs/results.md).
   */
  rewardTags?: readonly Tag[];
  /**
   * The KL weight that holds the prompts of tags outside rewardTags, against the starting model
   * (an anchor that never moves, whatever refModelSyncSteps does). Absent: beta, against the same
   * reference as the judged prompts. Why: a moving anchor follows the policy, so the KL term slowed
   * the unjudged tags' drift and did not stop it (counting 0.553 -> 0.43-0.49; docs/results.md).
   */
  unjudgedBeta?: number;
  /**
   * With rewardTags: the share of each step's prompts drawn from the judged tags (the first
   * round(judgedShare x promptsPerStep)), the rest from the others. Absent: every prompt from all
   * tags alike, so with two tags judged of six only a third of the step's groups carry a reward.
   * Why: where sampling is the cost (a masked step, about 8 s here), the held prompts need only be
   * enough for the KL term to hold them, and the judged ones are the signal.
   */
  judgedShare?: number;
  /** Leave all-equal groups out of the update (true); false keeps them in it with advantage 0, as before (measured in docs/results.md). */
  filterGroups: boolean;
  sampling: SamplingConfig;
  gradClip: number;
  seed: number;
  logEvery: number;
  checkpointEvery: number;
  /** Also keep the weights of every this many steps (keptFile); 0 or absent keeps none. */
  keepEvery?: number;
  samplesEvery: number;
}

export function defaultGrpo(paradigm: UnifiedModel['paradigm']): GrpoConfig {
  return {
    steps: 200,
    promptsPerStep: 4,
    groupSize: 8,
    lr: 1e-4,
    beta: 0.2,
    refModelSyncSteps: 0,
    refModelMixupAlpha: 1,
    clipEps: 0.2,
    updatesPerBatch: 1,
    reward: 'self',
    judge: 'policy',
    trainUnderstanding: true,
    understandingWeight: 1,
    answerTemperature: 1,
    policySteps: 4,
    curriculumCandidates: 1,
    scaleRewards: true,
    filterGroups: true,
    sampling: { ...DEFAULT_SAMPLING[paradigm] },
    gradClip: 1,
    seed: 1,
    logEvery: 1,
    checkpointEvery: 25,
    samplesEvery: 5,
  };
}


const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const std = (xs: readonly number[]): number => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/**
 * The MaskGIT steps whose tokens carry gradient in each of `updates` updates: one shuffle of all
 * steps, cut into consecutive subsets of `count` (wrapping round), so that the updates of one batch
 * cover different tokens instead of the same ones again; every step in every update when count >= total.
 */
export function chooseSteps(total: number, count: number, updates: number, rng: Rng): number[][] {
  const all = [...Array(total).keys()];
  if (count >= total) return Array.from({ length: updates }, () => all);
  const order = rng.shuffle(all);
  return Array.from({ length: updates }, (_, u) => Array.from({ length: count }, (_, k) => order[(u * count + k) % total]!));
}

/** The images `keep` of a generation (tokens and trajectory only: what the log-probs need). */
function pick(generation: Generation, keep: readonly number[]): Pick<Generation, 'tokens' | 'commitStep'> {
  return { tokens: keep.map((i) => generation.tokens[i]!), commitStep: keep.map((i) => generation.commitStep[i]!) };
}

/** Runs (or resumes from `out`) UniRL-GRPO starting from the `base` checkpoint; returns the last step. */
export async function grpo(config: GrpoConfig, base: string, out: string, hooks: UnirlHooks = {}): Promise<number> {
  if (trainsGenerationOnly(config)) {
    const trainsReader = READER_TRAINING_KEYS.filter((k) => config[k]);
    if (trainsReader.length) throw new Error(readerFrozenRefusal(trainsReader));
  }
  return runUnirlLoop('grpo', config, base, out, hooks, (model, optimizer, resumed) => {
    // Copies of the policy as it starts (with its adapters at zero or its expert a copy, the base's function).
    const startingPolicy = (): UnifiedModel => loadModel(base, policyOverrides(config)).model;
    // The frozen reference of the KL penalty (never given to the optimizer); not needed without one.
    const reference = config.beta > 0 ? startingPolicy() : undefined;
    // The fixed anchor of the unjudged tags' prompts: the reference itself while it never moves.
    const holding = config.rewardTags !== undefined && config.unjudgedBeta !== undefined;
    const heldAnchor = !holding ? undefined : reference && config.refModelSyncSteps === 0 ? reference : startingPolicy();
    // What the optimizer trains: everything, or with adapters or an expert only what generation alone reads.
    const trainable = trainsGenerationOnly(config) ? new Set(generationOnlyParameters(model.config)) : undefined;
    // The frozen judge of a self reward (never trained, never moved); without one the policy judges itself.
    const frozenJudge = config.judge === 'base' && !config.reward.startsWith('detector') ? loadModel(base).model : undefined;
    // The reader's anchor and teacher: the base, frozen (the judge's copy when there is one).
    const readerAnchor = config.understandingAnchor || config.understandingDistill ? frozenJudge ?? loadModel(base).model : undefined;
    // The step at which the reference last moved (0: it is the base), and its weights from then.
    let referenceStep = Number(resumed['referenceStep'] ?? 0);
    if (reference && referenceStep > 0) loadCheckpoint(referenceFile(out, referenceStep), reference.params);
    const prompts = hooks.prompts ?? new TrainingPrompts(hooks.heldOut);
    const passRates = PassRates.fromJSON(resumed['passRates']);
    return {
      step: async (rng, showSamples, step) => {
        if (reference && config.refModelSyncSteps > 0 && step > 0 && step % config.refModelSyncSteps === 0 && referenceStep !== step) {
          syncReference(reference, model, config.refModelMixupAlpha);
          // Written once and never changed: a resume from any later checkpoint finds the anchor it had.
          await saveCheckpoint(referenceFile(out, step), reference.params, { config: reference.config, step });
          referenceStep = step;
        }
        return grpoStep({ config, model, trainable, judge: frozenJudge ?? model, optimizer, reference, heldAnchor, readerAnchor, prompts, passRates, hooks }, rng, showSamples);
      },
      checkpointMetadata: () => ({ passRates: JSON.stringify(passRates), referenceStep: String(referenceStep) }),
      afterCheckpoint: () => removeOlderReferences(out, referenceStep),
      dispose: () => {
        reference?.params.dispose();
        if (heldAnchor !== reference) heldAnchor?.params.dispose();
        frozenJudge?.params.dispose();
        if (readerAnchor !== frozenJudge) readerAnchor?.params.dispose();
      },
    };
  });
}

/** The reference weights a run moved its KL anchor to at `step`, beside the run's checkpoint. */
export function referenceFile(out: string, step: number): string {
  return siblingFile(out, `reference-${step}`);
}

/** reference <- alpha x policy + (1 - alpha) x reference, parameter by parameter. */
function syncReference(reference: UnifiedModel, policy: UnifiedModel, alpha: number): void {
  for (const [name, ref] of reference.params.entries()) {
    const mixed = tf.tidy(() => tf.add(tf.mul(policy.params.get(name), alpha), tf.mul(ref, 1 - alpha)));
    ref.assign(mixed);
    mixed.dispose();
  }
}

/** Deletes the reference files of anchors older than the one the last checkpoint records. */
function removeOlderReferences(out: string, keep: number): void {
  if (!existsSync(dirname(out))) return;
  for (const name of readdirSync(dirname(out))) {
    const step = Number(/\.reference-(\d+)\.safetensors$/.exec(name)?.[1]);
    const file = join(dirname(out), name);
    if (step < keep && file === referenceFile(out, step)) rmSync(file);
  }
}

/** Whether the reward judges a prompt's images (every prompt's when rewardTags is absent). */
function judgedTag(config: GrpoConfig, meta: Metadata): boolean {
  return !config.rewardTags || config.rewardTags.includes(meta.tag);
}

/** The prompts of `prompts` that pass `keep`, drawn by drawing until one does (any prompt source works alike). */
function promptsWhere(prompts: { draw(rng: Rng): Metadata }, keep: (m: Metadata) => boolean): { draw(rng: Rng): Metadata } {
  return {
    draw: (rng) => {
      for (let attempt = 0; attempt < 10_000; attempt++) {
        const meta = prompts.draw(rng);
        if (keep(meta)) return meta;
      }
      throw new Error('judgedShare: 10,000 prompts drawn and none of the kind asked for (judged or held): do rewardTags leave any tag on each side?');
    },
  };
}

/** What a GRPO step works with: the policy and its optimizer, the frozen models, the prompt source. */
interface GrpoState {
  config: GrpoConfig;
  model: UnifiedModel;
  /** The parameters the optimizer trains (all when absent). */
  trainable: ReadonlySet<string> | undefined;
  /** Judges the images of a self reward: the frozen base, or the policy itself. */
  judge: UnifiedModel;
  optimizer: Adam;
  /** The KL term's reference (absent without a KL penalty). */
  reference: UnifiedModel | undefined;
  /** The fixed anchor of the unjudged tags' prompts (rewardTags with unjudgedBeta). */
  heldAnchor: UnifiedModel | undefined;
  /** The frozen base that holds and teaches the reader (understandingAnchor, understandingDistill). */
  readerAnchor: UnifiedModel | undefined;
  prompts: { draw(rng: Rng): Metadata };
  passRates: PassRates;
  hooks: UnirlHooks;
}

/** One GRPO step: prompts, a group of own images each, rewards, advantages, the policy update. */
async function grpoStep(state: GrpoState, rng: Rng, showSamples: boolean): Promise<UnirlStepResult> {
  const { config, model, trainable, judge, optimizer, reference, heldAnchor, readerAnchor, prompts, passRates, hooks } = state;
  const started = performance.now();
  const G = config.groupSize;

  // 1. Prompts (by measured pass rate when the curriculum is on) and a group of the model's own images for each.
  const judgedPrompts = config.judgedShare === undefined ? undefined : Math.round(config.judgedShare * config.promptsPerStep);
  const drawn = Array.from({ length: config.promptsPerStep }, (_, k) => {
    const pool = judgedPrompts === undefined ? prompts : promptsWhere(prompts, (m) => judgedTag(config, m) === k < judgedPrompts);
    return config.curriculumCandidates > 1 ? curriculumDraw(pool, passRates, G, config.curriculumCandidates, rng) : pool.draw(rng);
  });
  const metas = drawn.flatMap((m) => Array<Metadata>(G).fill(m));
  const texts = metas.map((m) => m.prompt);
  const questions = metas.map((m) => m.question!);
  const generation = await selfGenerate(model, texts, { rng, ...config.sampling });
  const sampledAt = performance.now();

  // 2. Rewards and group advantages. The model judges its own images; the detector control does
  //    not need its answers, and asks for them only when samples are shown (and the grounding gap logged).
  const judgement: Judgement | undefined = !config.reward.startsWith('detector') || showSamples ? await judgeImages(judge, metas, generation.images, judgeOptionsFor(config.reward)) : undefined;
  const detector = judgement ? { correct: judgement.detectorCorrect, graded: judgement.detectorGraded } : detectorVerdicts(metas, generation.images);
  const rewards = hooks.reward?.(metas, generation.images) ?? rewardsOf(judgement ?? { selfCorrect: [], selfGraded: [], detectorCorrect: detector.correct, detectorGraded: detector.graded }, config.reward);
  const judged = (m: Metadata): boolean => judgedTag(config, m);
  const { advantages, std: groupStd } = groupAdvantages(rewards, G, { scale: config.scaleRewards });
  metas.forEach((m, i) => {
    if (!judged(m)) advantages[i] = 0;
  });
  drawn.forEach((m, g) => passRates.record(m, rewards.slice(g * G, (g + 1) * G)));
  // Group filtering: an all-equal group has advantage 0 and carries no signal; its images stay out of
  // the update. A group the reward does not judge stays in it (advantage 0) while there is a KL term to hold it.
  const keep = metas.map((_, i) => i).filter((i) => (judged(metas[i]!) ? !config.filterGroups || (groupStd[Math.floor(i / G)] as number) > 0 : reference !== undefined || heldAnchor !== undefined));

  // 3. Understanding: sampled answers about the same images, rewarded against the prompt's answer;
  //    or the prompt's answer itself, about the images the reward judged right.
  const minReward = config.understandingMinReward;
  const confident = config.trainUnderstanding && minReward !== undefined ? metas.map((_, i) => i).filter((i) => (rewards[i] as number) >= minReward) : [];
  const sampled = config.trainUnderstanding && minReward === undefined ? await model.answer(generation.images, questions, { rng, temperature: config.answerTemperature }) : undefined;
  const answerRewards = sampled ? sampled.answers.map((a, i) => Number(judgeAnswer(metas[i]!, a).correct)) : [];
  const answerGroups = sampled ? groupAdvantages(answerRewards, G, { scale: config.scaleRewards }) : undefined;
  const keepAnswers = answerGroups ? metas.map((_, i) => i).filter((i) => !config.filterGroups || (answerGroups.std[Math.floor(i / G)] as number) > 0) : [];

  // The reader's anchor: the policy's own answers about the images, and the frozen base's log-probabilities of them.
  const anchored = readerAnchor && config.understandingAnchor ? await model.answer(generation.images, questions, { rng, temperature: 1 }) : undefined;
  const anchorLogp = anchored ? tf.tidy(() => readerAnchor!.answerLogprobs(generation.images, questions, anchored.answers).reshape([-1, 1])) : undefined;
  // The reader's teacher: the frozen base's greedy answers about the images (the judge's, when the judge is the base),
  // and its log-distribution over the text vocabulary at each of their tokens [B, T, V].
  const distilled = readerAnchor && config.understandingDistill ? (readerAnchor === judge && judgement ? judgement.answers : (await readerAnchor.answer(generation.images, questions)).answers) : undefined;
  const teacher = distilled ? tf.tidy(() => tf.logSoftmax(readerAnchor!.answerLogits(generation.images, questions, distilled).logits)) : undefined;

  // 4. Fixed data of the update: old log-probs, and the KL term's reference log-probs (no gradient).
  //    A masked update trains the tokens of a few MaskGIT steps, a different few in each update of the batch.
  const stepsOf = model.paradigm === 'masked' ? chooseSteps(config.sampling.steps, config.policySteps, config.updatesPerBatch, rng) : undefined;
  const N = model.layout.imageTokens;
  const gen = pick(generation, keep);
  const keepTexts = keep.map((i) => texts[i]!);
  const oldLogp = tf.tensor(Float32Array.from(keep.flatMap((i) => [...generation.logprobs[i]!])), [keep.length, N]);
  // Unjudged prompts' KL: against the fixed anchor, weighted unjudgedBeta (a per-row beta and reference).
  const heldRows = heldAnchor ? keep.map((i) => (judged(metas[i]!) ? 0 : 1)) : [];
  const holds = heldRows.some((h) => h === 1);
  const held = holds ? tf.tensor(heldRows, [keep.length, 1]) : undefined;
  const klBeta = held ? tf.tidy(() => tf.add(tf.mul(tf.sub(1, held), config.beta), tf.mul(held, config.unjudgedBeta!))) : config.beta;
  // Without a KL penalty there is no reference (as TRL); the old log-probs stand in, weighted 0, and no KL is logged.
  const klReference = (steps: readonly number[] | undefined): tf.Tensor => tf.tidy(() => {
    const refLogp = reference && keep.length ? reference.imageLogprobs(keepTexts, gen, config.sampling, steps).logprobs : oldLogp.clone();
    if (!held || !heldAnchor || heldAnchor === reference) return refLogp;
    return tf.add(tf.mul(refLogp, tf.sub(1, held)), tf.mul(heldAnchor.imageLogprobs(keepTexts, gen, config.sampling, steps).logprobs, held));
  });
  // The autoregressive reference is the same for every update: computed once.
  const fixedKlRef = stepsOf ? undefined : klReference(undefined);
  const adv = tf.tensor(keep.map((i) => advantages[i]!));
  const und = sampled && answerGroups && keepAnswers.length ? {
    images: keepAnswers.map((i) => generation.images[i]!),
    questions: keepAnswers.map((i) => questions[i]!),
    answers: keepAnswers.map((i) => sampled.answers[i]!),
    adv: tf.tensor(keepAnswers.map((i) => answerGroups.advantages[i]!)),
  } : undefined;
  const oldAnswer = und ? tf.tidy(() => model.answerLogprobs(und.images, und.questions, und.answers).reshape([-1, 1])) : undefined;
  const refAnswer = und ? (reference ? tf.tidy(() => reference.answerLogprobs(und.images, und.questions, und.answers).reshape([-1, 1])) : oldAnswer!.clone()) : undefined;

  // 5. Policy updates (none when every group was all-equal: there is nothing to learn from).
  let genLoss = NaN;
  let undLoss = NaN;
  let kl = NaN;
  let clipRatio = NaN;
  let gradNorm = NaN;
  let readerKl = NaN;
  let distillKl = NaN;
  for (let u = 0; u < config.updatesPerBatch && (keep.length > 0 || und || confident.length > 0 || anchored || distilled); u++) {
    const steps = stepsOf?.[u];
    const klRef = fixedKlRef ?? klReference(steps);
    const { value, grads } = valueAndGrads(model.params, () => {
      let loss: tf.Scalar = tf.scalar(0);
      if (keep.length) {
        const { logprobs, weights } = model.imageLogprobs(keepTexts, gen, config.sampling, steps);
        const g = grpoLoss(logprobs, oldLogp, klRef, weights, adv, config.clipEps, klBeta);
        // Loss of the last update; KL and clip ratio averaged over the batch's updates.
        genLoss = g.loss.dataSync()[0] ?? NaN;
        if (reference || holds) kl = ((u === 0 ? 0 : kl * u) + (g.kl.dataSync()[0] ?? NaN)) / (u + 1);
        clipRatio = ((u === 0 ? 0 : clipRatio * u) + (g.clipRatio.dataSync()[0] ?? NaN)) / (u + 1);
        loss = g.loss;
      }
      if (anchored && anchorLogp) {
        const lp = model.answerLogprobs(generation.images, questions, anchored.answers).reshape([-1, 1]);
        const delta = tf.sub(anchorLogp, lp);
        const klTerm = tf.mean<tf.Scalar>(tf.sub(tf.sub(tf.exp(delta), delta), 1));
        readerKl = klTerm.dataSync()[0] ?? NaN;
        loss = tf.add(loss, tf.mul(klTerm, config.understandingAnchor!));
      }
      if (distilled && teacher) {
        const { logits, weights } = model.answerLogits(generation.images, questions, distilled);
        const perToken = tf.sum(tf.mul(tf.exp(teacher), tf.sub(teacher, tf.logSoftmax(logits))), -1);
        const klTerm = tf.div<tf.Scalar>(tf.sum(tf.mul(perToken, weights)), tf.maximum(tf.sum(weights), 1));
        distillKl = klTerm.dataSync()[0] ?? NaN;
        loss = tf.add(loss, tf.mul(klTerm, config.understandingDistill!));
      }
      if (confident.length) {
        const answerLoss = model.understandingLoss(confident.map((i) => generation.images[i]!), confident.map((i) => questions[i]!), confident.map((i) => metas[i]!.answer!));
        undLoss = answerLoss.dataSync()[0] ?? NaN;
        return tf.add(loss, tf.mul(answerLoss, config.understandingWeight));
      }
      if (!und || !oldAnswer || !refAnswer) return loss;
      const lp = model.answerLogprobs(und.images, und.questions, und.answers).reshape([-1, 1]);
      const a = grpoLoss(lp, oldAnswer, refAnswer, tf.onesLike(lp), und.adv, config.clipEps, config.beta);
      undLoss = a.loss.dataSync()[0] ?? NaN;
      return tf.add(loss, tf.mul(a.loss, config.understandingWeight));
    }, trainable);
    gradNorm = await readScalar(clipGlobalNorm(grads, config.gradClip), true);
    optimizer.apply(model.params, grads);
    tf.dispose([value, ...grads.values(), ...(klRef !== fixedKlRef ? [klRef] : [])]);
  }
  tf.dispose([oldLogp, adv, ...(anchorLogp ? [anchorLogp] : []), ...(teacher ? [teacher] : []), ...(fixedKlRef ? [fixedKlRef] : []), ...(held ? [held, klBeta as tf.Tensor] : []), ...(und ? [und.adv] : []), ...(oldAnswer ? [oldAnswer] : []), ...(refAnswer ? [refAnswer] : [])]);

  // 6. Metrics: TRL's names where they apply (the model's own verdicts only on steps that asked for them).
  const seconds = (performance.now() - started) / 1000;
  const metrics = {
    'grpo/reward': finite(mean(rewards)),
    'grpo/reward_std': finite(mean(groupStd)),
    'grpo/rewards/self/mean': judgement ? finite(mean(judgement.selfCorrect.map(Number))) : null,
    'grpo/rewards/self/std': judgement ? finite(std(judgement.selfCorrect.map(Number))) : null,
    'grpo/rewards/self_graded/mean': judgement ? finite(mean(judgement.selfGraded)) : null,
    'grpo/rewards/self_likelihood/mean': judgement?.selfLikelihood ? finite(mean(judgement.selfLikelihood)) : null,
    'grpo/rewards/self_count/mean': judgement?.selfCount ? finite(mean(judgement.selfCount)) : null,
    'grpo/rewards/self_count_likelihood/mean': judgement?.selfCountLikelihood ? finite(mean(judgement.selfCountLikelihood)) : null,
    'grpo/rewards/self_contrast/mean': judgement?.selfContrast ? finite(mean(judgement.selfContrast)) : null,
    'grpo/rewards/detector/mean': finite(mean(detector.correct.map(Number))),
    'grpo/rewards/detector_graded/mean': finite(mean(detector.graded)),
    'grpo/frac_reward_zero_std': finite(groupStd.filter((s) => s === 0).length / groupStd.length),
    'grpo/kl': finite(kl),
    'grpo/clip_ratio': finite(clipRatio),
    'grpo/entropy': finite(-mean(generation.logprobs.flatMap((l) => [...l]))),
    'grpo/loss_generation': finite(genLoss),
    'grpo/loss_understanding': finite(undLoss),
    'grpo/understanding_reward': sampled ? finite(mean(answerRewards)) : null,
    // The policy's answers about its own images against the frozen base's (understandingAnchor).
    'grpo/understanding_kl': anchored ? finite(readerKl) : null,
    // KL(base || policy) per token of the base's answers about the policy's own images (understandingDistill).
    'grpo/understanding_distill_kl': distilled ? finite(distillKl) : null,
    // The share of the step's images whose reward passed understandingMinReward (trained for understanding).
    'grpo/understanding_kept': minReward !== undefined && config.trainUnderstanding ? confident.length / metas.length : null,
    'grpo/grounding_gap': judgement ? finite(groundingGap(judgement)) : null,
    // The model's own verdicts ranked against the detector's within each group (0.5: chance).
    'grpo/judge_auc': judgement ? finite(judgeAuc(config.reward.startsWith('self') ? rewards : judgement.selfCorrect.map(Number), judgement.detectorCorrect, G).auc) : null,
    'grpo/grad_norm': finite(gradNorm),
    'grpo/step_time': seconds,
    'grpo/sampling_time': (sampledAt - started) / 1000,
    'grpo/tokens_per_sec': (metas.length * N) / seconds,
  };
  // The first group's images, with the model's answers (asked for on sample steps).
  const samples = judgement
    ? Array.from({ length: G }, (_, i) => ({
        group: 0,
        prompt: texts[i]!,
        image: generation.images[i]!,
        answer: judgement.answers[i]!,
        reward: rewards[i]!,
        advantage: advantages[i]!,
        detectorCorrect: judgement.detectorCorrect[i]!,
      }))
    : [];
  return { metrics, samples };
}
