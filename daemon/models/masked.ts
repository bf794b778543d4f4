/**
 * The masked (Show-o-like) unified model: one transformer over text and image tokens.
 *
 * Generation sequence:    <t2i> prompt(padded) <soi> image x N
 *   text attends causally; image tokens attend to all prompt text and to each other. Trained by
 *   masking a cosine-scheduled fraction of image tokens; sampled by MaskGIT with confidence
 *   re-masking and classifier-free guidance (the prompt is dropped in training so the
 *   unconditional branch exists).
 * Understanding sequence: <mmu> <soi> image x N <eoi> question <sep> answer <eos>
 *   the image block attends within itself; the dialogue attends causally to everything before.
 */
import * as tf from '@tensorflow/tfjs';
import { crossEntropy, dense, embedding, matMul, Parameters, tokenNll } from '../compute';
import type { Rng } from '../util/random';
import type { RgbImage } from '../world/render';
import { BACKGROUND_TOKEN } from '../tokenizers';
import { addBodyParams, body } from './transformer';
import { decodeAnswers, dialogueTargets, type AnswerDropout } from './dialogue';
import { argmax, DEFAULT_CONFIDENCE_NOISE, gumbel, logSoftmaxInto, maskSchedule, sampleFromLogProbs } from './maskgit';
import type { ModelConfig } from './config';
import {
  addVocabParams,
  createLayout,
  embedBatch,
  emptyBatch,
  imageLogits,
  promptIds,
  setImageToken,
  setTextToken,
  textLogits,
  type Layout,
  type TokenBatch,
} from './vocab';
import type { AnswerLogits, AnswerOptions, Answers, GenerateOptions, Generation, SamplingSpec, UnifiedModel } from './model';

/** Value 0, gradient the identity: added to a one-hot, it makes a straight-through estimator. */
export const straightThrough = tf.customGrad((x: tf.Tensor | tf.GradSaveFunc) => ({
  value: tf.zerosLike(x as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => dy,
}));

/** Flat positions b * N + j of the tokens committed at MaskGIT step `s`. */
function committedAt(commitStep: readonly Int32Array[], s: number, N: number): number[] {
  const rows: number[] = [];
  commitStep.forEach((c, b) => c.forEach((cs, j) => {
    if (cs === s) rows.push(b * N + j);
  }));
  return rows;
}

/** A [total, ...] tensor with `values` [rows.length, ...] at `rows` (distinct) and zeros elsewhere; differentiable. */
function placeRows(values: tf.Tensor, rows: readonly number[], total: number): tf.Tensor {
  const placement = new Float32Array(total * rows.length);
  rows.forEach((r, i) => {
    placement[r * rows.length + i] = 1;
  });
  const width = values.size / rows.length;
  return matMul(tf.tensor(placement, [total, rows.length]), values.reshape([rows.length, width]));
}

/**
 * Weight of a masked foreground token in the generation loss against a background one: in this
 * world about 86% of tokens are background, and with equal weights the loss is dominated by them
 * while the shapes, the whole point, are learned last.
 */
export const FOREGROUND_WEIGHT = 4;

export class MaskedModel implements UnifiedModel {
  readonly paradigm = 'masked' as const;
  readonly layout: Layout;
  readonly genLength: number;
  readonly undLength: number;

  constructor(
    readonly config: ModelConfig,
    readonly params: Parameters,
  ) {
    this.layout = createLayout(config);
    const l = this.layout;
    this.genLength = 2 + l.promptSlots + l.imageTokens;
    this.undLength = 3 + l.imageTokens + l.dialogueSlots;
  }

  static create(config: ModelConfig): MaskedModel {
    const p = new Parameters(config.seed);
    const l = createLayout(config);
    addVocabParams(p, config, l);
    const maxLen = Math.max(2 + l.promptSlots + l.imageTokens, 3 + l.imageTokens + l.dialogueSlots);
    p.add('pos.embed', [maxLen, config.dim], { normal: 0.02 });
    // Image positions also get row and column embeddings: neighbours share components, so
    // attention learns locality early (with absolute positions alone a masked token learned to
    // read its neighbours only after hundreds of steps even on four images).
    p.add('img.row_embed', [l.image.grid, config.dim], { normal: 0.1 });
    p.add('img.col_embed', [l.image.grid, config.dim], { normal: 0.1 });
    addBodyParams(p, config);
    return new MaskedModel(config, p);
  }

  private get imageStart(): number {
    return 2 + this.layout.promptSlots;
  }

  /** Builds generation sequences; `images[i][j]` is a token, or -1 for <mask>. A null prompt is the unconditional branch. */
  private genBatch(prompts: readonly (readonly number[] | null)[], images: readonly ArrayLike<number>[]): { batch: TokenBatch; mask: Float32Array } {
    const l = this.layout;
    const T = this.genLength;
    const B = prompts.length;
    const batch = emptyBatch(B, T);
    const mask = new Float32Array(B * T * T);
    const start = this.imageStart;
    for (let b = 0; b < B; b++) {
      const ids = prompts[b] ?? [];
      const o = b * T;
      setTextToken(batch, o, l.special['<t2i>']);
      for (let i = 0; i < l.promptSlots; i++) setTextToken(batch, o + 1 + i, i < ids.length ? (ids[i] as number) : l.text.pad);
      setTextToken(batch, o + start - 1, l.special['<soi>']);
      const img = images[b]!;
      for (let j = 0; j < l.imageTokens; j++) {
        const t = img[j] as number;
        if (t < 0) setTextToken(batch, o + start + j, l.special['<mask>']);
        else setImageToken(batch, l, o + start + j, t);
      }
      const real = (k: number): boolean => k === 0 || k >= start - 1 || k - 1 < ids.length;
      for (let q = 0; q < T; q++) {
        const row = (b * T + q) * T;
        if (!real(q)) {
          mask[row] = 1; // padding attends to <t2i> alone: a row is never empty
          continue;
        }
        for (let k = 0; k < T; k++) {
          const visible = q < start ? k <= q : true;
          if (visible && real(k)) mask[row + k] = 1;
        }
      }
    }
    return { batch, mask };
  }

  /** Builds understanding sequences: image tokens, then the dialogue ids (question <sep> answer...). */
  private undBatch(images: readonly ArrayLike<number>[], dialogues: readonly number[][]): { batch: TokenBatch; mask: Float32Array } {
    const l = this.layout;
    const T = this.undLength;
    const B = images.length;
    const batch = emptyBatch(B, T);
    const mask = new Float32Array(B * T * T);
    const textStart = 3 + l.imageTokens;
    for (let b = 0; b < B; b++) {
      const o = b * T;
      setTextToken(batch, o, l.special['<mmu>']);
      setTextToken(batch, o + 1, l.special['<soi>']);
      const img = images[b]!;
      for (let j = 0; j < l.imageTokens; j++) setImageToken(batch, l, o + 2 + j, img[j] as number);
      setTextToken(batch, o + textStart - 1, l.special['<eoi>']);
      const d = dialogues[b]!;
      if (d.length > l.dialogueSlots) throw new Error(`question and answer exceed ${l.dialogueSlots} tokens`);
      for (let i = 0; i < l.dialogueSlots; i++) setTextToken(batch, o + textStart + i, i < d.length ? (d[i] as number) : l.text.pad);
      for (let q = 0; q < T; q++) {
        const row = (b * T + q) * T;
        const limit = q < textStart ? textStart : q + 1; // image block: bidirectional; dialogue: causal
        for (let k = 0; k < limit; k++) mask[row + k] = 1;
      }
    }
    return { batch, mask };
  }

  private hidden(batch: TokenBatch, mask: Float32Array, imageStart: number): tf.Tensor {
    const x = tf.add(embedBatch(this.params, batch), this.positions(batch.length, imageStart));
    return body(this.params, this.config, x, { mask: tf.tensor(mask, [batch.batch, batch.length, batch.length]) });
  }

  /** Position embeddings [T, dim]: absolute ones, plus row and column ones on the N image positions from imageStart. */
  private positions(T: number, imageStart: number): tf.Tensor {
    const l = this.layout;
    const grid = l.image.grid;
    const N = l.imageTokens;
    const rows = tf.tensor(Int32Array.from({ length: N }, (_, j) => Math.floor(j / grid)), [N], 'int32');
    const cols = tf.tensor(Int32Array.from({ length: N }, (_, j) => j % grid), [N], 'int32');
    const image2d = tf.add(embedding(rows, this.params.get('img.row_embed')), embedding(cols, this.params.get('img.col_embed')));
    const padded = tf.pad(image2d, [[imageStart, T - imageStart - N], [0, 0]]);
    return tf.add(tf.slice(this.params.get('pos.embed'), [0, 0], [T, this.config.dim]), padded);
  }

  /** Hidden states [B, N, dim] at the image positions of generation sequences. */
  private genImageHidden(prompts: readonly (readonly number[] | null)[], images: readonly ArrayLike<number>[]): tf.Tensor {
    const { batch, mask } = this.genBatch(prompts, images);
    const h = this.hidden(batch, mask, this.imageStart);
    return tf.slice(h, [0, this.imageStart, 0], [batch.batch, this.layout.imageTokens, this.config.dim]);
  }

  /** Image logits [B, N, V] of generation sequences. */
  private genLogits(prompts: readonly (readonly number[] | null)[], images: readonly ArrayLike<number>[]): tf.Tensor {
    return imageLogits(this.params, this.layout, this.genImageHidden(prompts, images));
  }

  /** Guidance (cond + cfg * (cond - uncond)) and the foreground weight undone, over logits [..., V]. */
  private guide(cond: tf.Tensor, uncond: tf.Tensor | undefined, cfg: number): tf.Tensor {
    const guided = uncond ? tf.sub(tf.mul(cond, 1 + cfg), tf.mul(uncond, cfg)) : cond;
    const V = this.layout.image.vocabSize;
    const prior = new Float32Array(V);
    prior[BACKGROUND_TOKEN] = Math.log(FOREGROUND_WEIGHT);
    return tf.add(guided, tf.tensor(prior, [V]));
  }

  /**
   * The logits MaskGIT samples from: classifier-free guidance (cond + cfg * (cond - uncond)), then
   * the training loss's foreground weight undone. Weighting foreground targets by w makes the
   * trained distribution p(fg) proportional to w * q(fg), so adding log w to the background logit
   * restores q; guidance keeps that offset (its weights sum to 1), so one correction serves both.
   */
  private samplingLogits(prompts: readonly (readonly number[] | null)[], images: readonly ArrayLike<number>[], cfg: number): tf.Tensor {
    if (cfg === 0) return this.guide(this.genLogits(prompts, images), undefined, cfg);
    const both = this.genLogits([...prompts, ...prompts.map(() => null)], [...images, ...images]);
    const [cond, uncond] = tf.split(both, 2, 0) as [tf.Tensor, tf.Tensor];
    return this.guide(cond, uncond, cfg);
  }

  /**
   * The same sampling logits at some image positions only: [rows.length, V] for the flat positions
   * `rows` (b * N + j). Training needs, at one MaskGIT step, only the tokens committed at that step
   * (about N / steps of them); the transformer runs on the whole sequences, but the 3,761-way heads,
   * guidance and loss only on those rows. Computing them everywhere made the [B, N, V] logits, their
   * guidance and their gradients most of a training step's memory: over the 4 GiB a wasm heap can
   * hold in a GRPO step without the native kernels.
   */
  private samplingLogitsAt(prompts: readonly (readonly number[] | null)[], images: readonly ArrayLike<number>[], cfg: number, rows: readonly number[]): tf.Tensor {
    const guided = cfg !== 0;
    const h = this.genImageHidden(guided ? [...prompts, ...prompts.map(() => null)] : prompts, guided ? [...images, ...images] : images);
    const flat = h.reshape([-1, this.config.dim]);
    // A row gather with a gradient on every backend (embedding: tf.gather's own gradient needs a kernel wasm lacks).
    const at = (offset: number): tf.Tensor => imageLogits(this.params, this.layout, embedding(tf.tensor(Int32Array.from(rows, (r) => r + offset), [rows.length], 'int32'), flat));
    return this.guide(at(0), guided ? at(prompts.length * this.layout.imageTokens) : undefined, cfg);
  }

  /**
   * Masked-token loss of generation: for each image a cosine-scheduled fraction of tokens is
   * masked and predicted; prompts are dropped with probability `dropPrompt` (for guidance).
   */
  generationLoss(prompts: readonly string[], images: readonly Int32Array[], rng: Rng, dropPrompt = 0.1): tf.Scalar {
    const l = this.layout;
    const N = l.imageTokens;
    const ids = prompts.map((p) => (rng.float() < dropPrompt ? null : promptIds(l, p)));
    const inputs: Int32Array[] = [];
    const weights = new Float32Array(images.length * N);
    images.forEach((img, b) => {
      const ratio = Math.cos((Math.PI / 2) * rng.float());
      const count = Math.max(1, Math.ceil(ratio * N));
      const order = rng.shuffle([...Array(N).keys()]);
      const input = Int32Array.from(img);
      for (const j of order.slice(0, count)) {
        input[j] = -1;
        weights[b * N + j] = img[j] === BACKGROUND_TOKEN ? 1 : FOREGROUND_WEIGHT;
      }
      inputs.push(input);
    });
    const logits = this.genLogits(ids, inputs);
    const targets = tf.tensor(Int32Array.from(images.flatMap((img) => [...img])), [images.length, N], 'int32');
    return crossEntropy(logits, targets, tf.tensor(weights, [images.length, N]));
  }

  answerLogits(pixels: readonly RgbImage[], questions: readonly string[], answers: readonly string[], dropout?: AnswerDropout): AnswerLogits {
    const l = this.layout;
    const images = pixels.map((p) => l.image.encode(p));
    const T = this.undLength;
    const { dialogues, targets, weights } = dialogueTargets(l, questions, answers, 3 + l.imageTokens, T, dropout);
    const { batch, mask } = this.undBatch(images, dialogues);
    return { logits: textLogits(this.params, this.hidden(batch, mask, 2)), targets: tf.tensor(targets, [images.length, T], 'int32'), weights: tf.tensor(weights, [images.length, T]) };
  }

  /** Per-position answer NLL [B, T] and the answer positions' weights [B, T]. */
  private answerNll(pixels: readonly RgbImage[], questions: readonly string[], answers: readonly string[], dropout?: AnswerDropout): { nll: tf.Tensor; weights: tf.Tensor } {
    const { logits, targets, weights } = this.answerLogits(pixels, questions, answers, dropout);
    return { nll: tokenNll(logits, targets), weights };
  }

  /** Answer loss of understanding: next-token negative log-likelihood of the answer and <eos>. */
  understandingLoss(pixels: readonly RgbImage[], questions: readonly string[], answers: readonly string[], dropout?: AnswerDropout): tf.Scalar {
    const { nll, weights } = this.answerNll(pixels, questions, answers, dropout);
    return tf.div(tf.sum(tf.mul(nll, weights)), tf.maximum(tf.sum(weights), 1));
  }

  answerLogprobs(pixels: readonly RgbImage[], questions: readonly string[], answers: readonly string[]): tf.Tensor {
    const { nll, weights } = this.answerNll(pixels, questions, answers);
    return tf.neg(tf.sum(tf.mul(nll, weights), 1));
  }

  imageLogprobs(prompts: readonly string[], generation: Pick<Generation, 'tokens' | 'commitStep'>, sampling: SamplingSpec, steps?: readonly number[]): { logprobs: tf.Tensor; weights: tf.Tensor } {
    const l = this.layout;
    const N = l.imageTokens;
    const B = prompts.length;
    const ids = prompts.map((p) => promptIds(l, p));
    const lastStep = Math.max(...generation.commitStep.map((c) => Math.max(...c)));
    const chosen = steps ?? [...Array(lastStep + 1).keys()];
    const targets = Int32Array.from(generation.tokens.flatMap((t) => [...t]));
    const weights = new Float32Array(B * N);
    const rows: number[] = [];
    const perStep: tf.Tensor[] = [];
    for (const s of chosen) {
      // The state MaskGIT saw at step s: tokens committed earlier are known, the rest masked.
      const state = generation.tokens.map((t, b) => t.map((token, j) => ((generation.commitStep[b]![j] as number) < s ? token : -1)));
      const committed = committedAt(generation.commitStep, s, N);
      if (committed.length === 0) continue;
      let logits = this.samplingLogitsAt(ids, state, sampling.cfg, committed);
      if (sampling.temperature > 0 && sampling.temperature !== 1) logits = tf.div(logits, sampling.temperature);
      perStep.push(tf.neg(tokenNll(logits, tf.tensor(Int32Array.from(committed, (r) => targets[r]!), [committed.length], 'int32'))));
      for (const r of committed) weights[r] = 1;
      rows.push(...committed);
    }
    const logprobs = perStep.length === 0 ? tf.zeros([B, N]) : placeRows(tf.concat(perStep), rows, B * N).reshape([B, N]);
    return { logprobs, weights: tf.tensor(weights, [B, N]) };
  }

  /**
   * UniRL-SFT's end-to-end loss: the answer's NLL given the generated image, with the gradient
   * reaching the generator through the discrete image tokens by a straight-through Gumbel-softmax.
   * Forward, each image token is the one-hot of the token actually sampled (so the understanding
   * branch reads exactly the generated image); backward, the tokens committed at `steps` of the
   * MaskGIT trajectory pass the gradient of softmax((guided logits + Gumbel noise) / tau) at the
   * state of the step that committed them. `reader` (default: this model) reads the image and
   * answers: a frozen copy of the base makes the loss train generation only, the judge left as it was.
   */
  endToEndAnswerLoss(
    prompts: readonly string[],
    generation: Pick<Generation, 'tokens' | 'commitStep'>,
    sampling: SamplingSpec,
    questions: readonly string[],
    answers: readonly string[],
    options: { tau: number; steps: readonly number[]; rng: Rng; reader?: MaskedModel },
  ): tf.Scalar {
    const l = this.layout;
    const N = l.imageTokens;
    const V = l.image.vocabSize;
    const B = prompts.length;
    const ids = prompts.map((p) => promptIds(l, p));
    const chosen = new Float32Array(B * N);
    const rows: number[] = [];
    const perStep: tf.Tensor[] = [];
    for (const s of options.steps) {
      const state = generation.tokens.map((t, b) => t.map((token, j) => ((generation.commitStep[b]![j] as number) < s ? token : -1)));
      const committed = committedAt(generation.commitStep, s, N);
      // Noise for every position (as many draws as before, so a seed gives the same run), used at the committed ones.
      const noise = new Float32Array(B * N * V);
      for (let i = 0; i < noise.length; i++) noise[i] = -Math.log(-Math.log(Math.max(1e-12, options.rng.float())));
      if (committed.length === 0) continue;
      const picked = new Float32Array(committed.length * V);
      committed.forEach((r, i) => picked.set(noise.subarray(r * V, (r + 1) * V), i * V));
      const guided = this.samplingLogitsAt(ids, state, sampling.cfg, committed);
      perStep.push(tf.softmax(tf.div(tf.add(guided, tf.tensor(picked, [committed.length, V])), options.tau)));
      for (const r of committed) chosen[r] = 1;
      rows.push(...committed);
    }
    const soft = perStep.length === 0 ? tf.zeros([B, N, V]) : placeRows(tf.concat(perStep), rows, B * N).reshape([B, N, V]);
    const hard = tf.oneHot(tf.tensor(Int32Array.from(generation.tokens.flatMap((t) => [...t])), [B, N], 'int32'), V).toFloat();
    const tokens = tf.add(hard, tf.mul(straightThrough(soft), tf.tensor(chosen, [B, N, 1])));

    // The understanding sequence, its image positions embedded from the (straight-through) one-hots.
    const reader = options.reader ?? this;
    const T = reader.undLength;
    const { dialogues, targets, weights } = dialogueTargets(l, questions, answers, 3 + N, T);
    const { batch, mask } = reader.undBatch(generation.tokens, dialogues);
    const embedded = embedBatch(reader.params, batch);
    const x = tf.concat([tf.slice(embedded, [0, 0, 0], [B, 2, reader.config.dim]), reader.softImageEmbedding(tokens), tf.slice(embedded, [0, 2 + N, 0], [B, T - 2 - N, reader.config.dim])], 1);
    const h = body(reader.params, reader.config, tf.add(x, reader.positions(T, 2)), { mask: tf.tensor(mask, [B, T, T]) });
    return crossEntropy(textLogits(reader.params, h), tf.tensor(targets, [B, T], 'int32'), tf.tensor(weights, [B, T]));
  }

  /** Embeddings [B, N, dim] of image-token distributions [B, N, V] through the factorised tables. */
  private softImageEmbedding(y: tf.Tensor): tf.Tensor {
    const l = this.layout;
    const [B, N] = y.shape as [number, number, number];
    const bg = tf.slice(y, [0, 0, 0], [B, N, 1]);
    const grid = tf.slice(y, [0, 0, 1], [B, N, l.masks * l.colors]).reshape([B, N, l.masks, l.colors]);
    const maskMarginal = tf.concat([tf.sum(grid, 3), bg], 2);
    const colorMarginal = tf.concat([tf.sum(grid, 2), bg], 2);
    return tf.add(
      dense(maskMarginal, this.params.get('img.mask_embed')),
      dense(colorMarginal, this.params.get('img.color_embed')),
    );
  }

  async generate(prompts: readonly string[], options: GenerateOptions): Promise<Generation> {
    const l = this.layout;
    const N = l.imageTokens;
    const V = l.image.vocabSize;
    const B = prompts.length;
    const steps = options.steps ?? 12;
    const temperature = options.temperature ?? 1;
    const cfg = options.cfg ?? 0;
    const noise = options.confidenceNoise ?? DEFAULT_CONFIDENCE_NOISE;
    const schedule = maskSchedule(N, steps);
    const ids = prompts.map((p) => promptIds(l, p));
    const tokens = Array.from({ length: B }, () => new Int32Array(N).fill(-1));
    const commitStep = Array.from({ length: B }, () => new Int32Array(N).fill(-1));
    const logprobs = Array.from({ length: B }, () => new Float32Array(N));
    const logp = new Float64Array(V);
    for (let s = 0; s < steps; s++) {
      const logits = tf.tidy(() => this.samplingLogits(ids, tokens, cfg));
      const data = await logits.data();
      logits.dispose();
      const annealed = noise * (1 - (s + 1) / steps);
      for (let b = 0; b < B; b++) {
        const candidates: { j: number; token: number; lp: number; confidence: number }[] = [];
        for (let j = 0; j < N; j++) {
          if ((tokens[b]![j] as number) >= 0) continue;
          logSoftmaxInto(data, (b * N + j) * V, V, temperature === 0 ? 1 : temperature, logp);
          const token = temperature === 0 ? argmax(logp, V) : sampleFromLogProbs(logp, V, options.rng);
          const lp = logp[token] as number;
          candidates.push({ j, token, lp, confidence: lp + annealed * gumbel(options.rng) });
        }
        candidates.sort((x, y) => y.confidence - x.confidence);
        const commit = candidates.length - (schedule[s] as number);
        for (const c of candidates.slice(0, commit)) {
          tokens[b]![c.j] = c.token;
          commitStep[b]![c.j] = s;
          logprobs[b]![c.j] = c.lp;
        }
      }
    }
    return { tokens, commitStep, logprobs, images: tokens.map((t) => l.image.decode(t)) };
  }

  answer(pixels: readonly RgbImage[], questions: readonly string[], options: AnswerOptions = {}): Promise<Answers> {
    const l = this.layout;
    const images = pixels.map((p) => l.image.encode(p));
    return decodeAnswers(l, questions, 3 + l.imageTokens, this.undLength, (dialogues) => {
      const { batch, mask } = this.undBatch(images, dialogues);
      return textLogits(this.params, this.hidden(batch, mask, 2));
    }, options);
  }
}
