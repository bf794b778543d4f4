/**
 * The autoregressive (Janus-like) unified model: image tokens generated in raster order by the
 * shared transformer body, and understanding through a separate small encoder of pixels
 * (decoupled, as in Janus), whose patch embeddings enter the same body.
 *
 * Generation sequence:    <t2i> prompt(padded) <soi> image x N      (causal, padding hidden)
 * Understanding sequence: <mmu> pixel-patch x N <eoi> question <sep> answer <eos>   (causal; with
 *                         bidirectionalImage, <mmu> and the patches see each other)
 *
 * Sampling keeps a key/value cache, so each new token costs one position, not the whole prefix;
 * classifier-free guidance runs the conditional and unconditional branches as one batch.
 */
import * as tf from '@tensorflow/tfjs';
import { crossEntropy, dense, gelu, Parameters, tokenNll } from '../compute';
import type { Rng } from '../util/random';
import type { RgbImage } from '../world/render';
import type { ModelConfig } from './config';
import { decodeAnswers, dialogueTargets, type AnswerDropout } from './dialogue';
import { argmax, logSoftmaxInto, sampleFromLogProbs } from './maskgit';
import type { AnswerLogits, AnswerOptions, Answers, GenerateOptions, Generation, SamplingSpec, UnifiedModel } from './model';
import { adapterParamNames, addBodyParams, attentionAdapterParamNames, body, disposeCache, expertParamNames, type KvCache } from './transformer';
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

export class AutoregressiveModel implements UnifiedModel {
  readonly paradigm = 'autoregressive' as const;
  readonly layout: Layout;
  /** <t2i> prompt <soi>: the prefix before the first image token. */
  readonly prefixLength: number;
  readonly undLength: number;

  constructor(
    readonly config: ModelConfig,
    readonly params: Parameters,
  ) {
    this.layout = createLayout(config);
    this.prefixLength = 2 + this.layout.promptSlots;
    this.undLength = 2 + this.layout.imageTokens + this.layout.dialogueSlots;
  }

  /** Parameters a model of config `to` has that one of config `from` lacks (settings switched on since). */
  static addedParameters(from: ModelConfig, to: ModelConfig): string[] {
    const added = to.gridPositions && !from.gridPositions ? ['enc.row', 'enc.col'] : [];
    if (to.generationAdapter && !from.generationAdapter) for (let i = 0; i < to.layers; i++) added.push(...adapterParamNames(i));
    if (to.generationAttentionAdapter && !from.generationAttentionAdapter) for (let i = 0; i < to.layers; i++) added.push(...attentionAdapterParamNames(i));
    if (to.generationExpert && !from.generationExpert) for (let i = 0; i < to.layers; i++) added.push(...expertParamNames(to, i));
    return added;
  }

  /**
   * Parameters only generation reads: the image-token embeddings and heads, the generation
   * adapters and the image expert. Training only these leaves the reader (pixel encoder, body, text embeddings and head)
   * exactly as it was.
   */
  static generationOnlyParameters(config: ModelConfig): string[] {
    const layers = Array.from({ length: config.layers }, (_, i) => i);
    const adapter = config.generationAdapter ? layers.flatMap(adapterParamNames) : [];
    const attention = config.generationAttentionAdapter ? layers.flatMap(attentionAdapterParamNames) : [];
    const expert = config.generationExpert ? layers.flatMap((i) => expertParamNames(config, i)) : [];
    return ['img.mask_embed', 'img.color_embed', 'img.mask_head', 'img.color_head', ...adapter, ...attention, ...expert];
  }

  static create(config: ModelConfig): AutoregressiveModel {
    const p = new Parameters(config.seed);
    const l = createLayout(config);
    addVocabParams(p, config, l);
    const maxLen = Math.max(2 + l.promptSlots + l.imageTokens, 2 + l.imageTokens + l.dialogueSlots);
    p.add('pos.embed', [maxLen, config.dim], { normal: 0.02 });
    const patchWidth = config.patch * config.patch * 3;
    p.add('enc.w1', [patchWidth, config.dim], { normal: 1 / Math.sqrt(patchWidth) });
    p.add('enc.b1', [config.dim], 'zeros');
    p.add('enc.w2', [config.dim, config.dim], { normal: 0.02 });
    p.add('enc.b2', [config.dim], 'zeros');
    p.add('enc.pos', [l.imageTokens, config.dim], { normal: 0.02 });
    if (config.gridPositions) {
      const grid = config.canvas / config.patch;
      p.add('enc.row', [grid, 1, config.dim], 'zeros');
      p.add('enc.col', [1, grid, config.dim], 'zeros');
    }
    addBodyParams(p, config);
    return new AutoregressiveModel(config, p);
  }

  /** Positions of a generation sequence that are real (prompt padding is hidden from every query). */
  private realPositions(ids: readonly number[] | null): (k: number) => boolean {
    const n = ids?.length ?? 0;
    const slots = this.layout.promptSlots;
    return (k) => k === 0 || k > slots || k - 1 < n;
  }

  /** Generation inputs: prefix, then the first `known` image tokens of each image. */
  private genInputs(prompts: readonly (readonly number[] | null)[], images: readonly ArrayLike<number>[], known: number): { batch: TokenBatch; mask: Float32Array } {
    const l = this.layout;
    const T = this.prefixLength + known;
    const B = prompts.length;
    const batch = emptyBatch(B, T);
    const mask = new Float32Array(B * T * T);
    for (let b = 0; b < B; b++) {
      const ids = prompts[b] ?? [];
      const o = b * T;
      setTextToken(batch, o, l.special['<t2i>']);
      for (let i = 0; i < l.promptSlots; i++) setTextToken(batch, o + 1 + i, i < ids.length ? (ids[i] as number) : l.text.pad);
      setTextToken(batch, o + this.prefixLength - 1, l.special['<soi>']);
      for (let j = 0; j < known; j++) setImageToken(batch, l, o + this.prefixLength + j, images[b]![j] as number);
      const real = this.realPositions(prompts[b] ?? null);
      for (let q = 0; q < T; q++) {
        const row = (b * T + q) * T;
        if (!real(q)) {
          mask[row] = 1;
          continue;
        }
        for (let k = 0; k <= q; k++) if (real(k)) mask[row + k] = 1;
      }
    }
    return { batch, mask };
  }

  private positions(start: number, length: number): tf.Tensor {
    return tf.slice(this.params.get('pos.embed'), [start, 0], [length, this.config.dim]);
  }

  /** Image logits predicting tokens known..N-1... from a full (uncached) forward: [B, known + 1, V]. */
  imageLogitsFull(prompts: readonly (readonly number[] | null)[], images: readonly ArrayLike<number>[], known: number): tf.Tensor {
    const { batch, mask } = this.genInputs(prompts, images, known);
    const T = batch.length;
    const x = tf.add(embedBatch(this.params, batch), this.positions(0, T));
    const h = body(this.params, this.config, x, { mask: tf.tensor(mask, [batch.batch, T, T]), generation: { imageFrom: this.prefixLength } });
    const from = this.prefixLength - 1;
    return imageLogits(this.params, this.layout, tf.slice(h, [0, from, 0], [batch.batch, T - from, this.config.dim]));
  }

  generationLoss(prompts: readonly string[], images: readonly Int32Array[], rng: Rng, dropPrompt = 0.1): tf.Scalar {
    const l = this.layout;
    const N = l.imageTokens;
    const ids = prompts.map((p) => (rng.float() < dropPrompt ? null : promptIds(l, p)));
    // Teacher forcing: inputs are the first N - 1 tokens; position prefix-1+j predicts token j.
    const logits = this.imageLogitsFull(ids, images, N - 1);
    const targets = tf.tensor(Int32Array.from(images.flatMap((img) => [...img])), [images.length, N], 'int32');
    return crossEntropy(logits, targets);
  }

  /** Patch embeddings of images from pixels: [B, N, dim]. */
  private encodePixels(images: readonly RgbImage[]): tf.Tensor {
    const { canvas, patch } = this.config;
    const grid = canvas / patch;
    const width = patch * patch * 3;
    const data = new Float32Array(images.length * grid * grid * width);
    images.forEach((img, b) => {
      if (img.width !== canvas || img.height !== canvas) throw new Error(`image is ${img.width} x ${img.height}, the model reads ${canvas} x ${canvas}`);
      for (let py = 0; py < grid; py++) {
        for (let px = 0; px < grid; px++) {
          const base = ((b * grid + py) * grid + px) * width;
          let k = 0;
          for (let y = 0; y < patch; y++) {
            for (let x = 0; x < patch; x++) {
              const src = ((py * patch + y) * canvas + px * patch + x) * 3;
              for (let ch = 0; ch < 3; ch++) data[base + k++] = (img.data[src + ch] as number) / 127.5 - 1;
            }
          }
        }
      }
    });
    const g = (name: string): tf.Variable => this.params.get(name);
    const patches = tf.tensor(data, [images.length, grid * grid, width]);
    let position: tf.Tensor = g('enc.pos');
    if (this.config.gridPositions) position = tf.add(position, tf.reshape(tf.add(g('enc.row'), g('enc.col')), [grid * grid, this.config.dim]));
    return tf.add(dense(gelu(dense(patches, g('enc.w1'), g('enc.b1'))), g('enc.w2'), g('enc.b2')), position);
  }

  /** Text logits [B, T, textVocab] of understanding sequences. */
  private dialogueLogits(images: readonly RgbImage[], dialogues: readonly number[][]): tf.Tensor {
    const l = this.layout;
    const T = this.undLength;
    const B = images.length;
    const N = l.imageTokens;
    const text = emptyBatch(B, T);
    for (let b = 0; b < B; b++) {
      const o = b * T;
      setTextToken(text, o, l.special['<mmu>']);
      setTextToken(text, o + N + 1, l.special['<eoi>']);
      const d = dialogues[b]!;
      if (d.length > l.dialogueSlots) throw new Error(`question and answer exceed ${l.dialogueSlots} tokens`);
      for (let i = 0; i < l.dialogueSlots; i++) setTextToken(text, o + N + 2 + i, i < d.length ? (d[i] as number) : l.text.pad);
    }
    const embedded = embedBatch(this.params, text);
    const x = tf.concat(
      [tf.slice(embedded, [0, 0, 0], [B, 1, this.config.dim]), this.encodePixels(images), tf.slice(embedded, [0, N + 1, 0], [B, T - N - 1, this.config.dim])],
      1,
    );
    const attend = this.config.bidirectionalImage ? { mask: this.understandingMask() } : { causal: true };
    const h = body(this.params, this.config, tf.add(x, this.positions(0, T)), attend);
    return textLogits(this.params, h);
  }

  /** [T, T]: causal, except that <mmu> and the N pixel patches (positions 0..N) see each other. */
  private understandingMask(): tf.Tensor {
    const T = this.undLength;
    // Built once (answering asks for it at every decoded token); the tensor lives in the caller's tidy.
    if (!this.bidirectionalMask) {
      const image = 1 + this.layout.imageTokens;
      this.bidirectionalMask = new Float32Array(T * T);
      for (let q = 0; q < T; q++) for (let k = 0; k < T; k++) if (k <= q || (q < image && k < image)) this.bidirectionalMask[q * T + k] = 1;
    }
    return tf.tensor(this.bidirectionalMask, [T, T]);
  }
  private bidirectionalMask: Float32Array | undefined;

  answerLogits(images: readonly RgbImage[], questions: readonly string[], answers: readonly string[], dropout?: AnswerDropout): AnswerLogits {
    const l = this.layout;
    const T = this.undLength;
    const { dialogues, targets, weights } = dialogueTargets(l, questions, answers, 2 + l.imageTokens, T, dropout);
    return { logits: this.dialogueLogits(images, dialogues), targets: tf.tensor(targets, [images.length, T], 'int32'), weights: tf.tensor(weights, [images.length, T]) };
  }

  /** Per-position answer NLL [B, T] and the answer positions' weights [B, T]. */
  private answerNll(images: readonly RgbImage[], questions: readonly string[], answers: readonly string[], dropout?: AnswerDropout): { nll: tf.Tensor; weights: tf.Tensor } {
    const { logits, targets, weights } = this.answerLogits(images, questions, answers, dropout);
    return { nll: tokenNll(logits, targets), weights };
  }

  understandingLoss(images: readonly RgbImage[], questions: readonly string[], answers: readonly string[], dropout?: AnswerDropout): tf.Scalar {
    const { nll, weights } = this.answerNll(images, questions, answers, dropout);
    return tf.div(tf.sum(tf.mul(nll, weights)), tf.maximum(tf.sum(weights), 1));
  }

  answerLogprobs(images: readonly RgbImage[], questions: readonly string[], answers: readonly string[]): tf.Tensor {
    const { nll, weights } = this.answerNll(images, questions, answers);
    return tf.neg(tf.sum(tf.mul(nll, weights), 1));
  }

  imageLogprobs(prompts: readonly string[], generation: Pick<Generation, 'tokens' | 'commitStep'>, sampling: SamplingSpec): { logprobs: tf.Tensor; weights: tf.Tensor } {
    const l = this.layout;
    const N = l.imageTokens;
    const B = prompts.length;
    const ids = prompts.map((p) => promptIds(l, p));
    let logits: tf.Tensor;
    if (sampling.cfg === 0) {
      logits = this.imageLogitsFull(ids, generation.tokens, N - 1);
    } else {
      const both = this.imageLogitsFull([...ids, ...ids.map(() => null)], [...generation.tokens, ...generation.tokens], N - 1);
      const [cond, uncond] = tf.split(both, 2, 0) as [tf.Tensor, tf.Tensor];
      logits = tf.sub(tf.mul(cond, 1 + sampling.cfg), tf.mul(uncond, sampling.cfg));
    }
    if (sampling.temperature > 0 && sampling.temperature !== 1) logits = tf.div(logits, sampling.temperature);
    const targets = tf.tensor(Int32Array.from(generation.tokens.flatMap((t) => [...t])), [B, N], 'int32');
    return { logprobs: tf.neg(tokenNll(logits, targets)), weights: tf.ones([B, N]) };
  }

  async generate(prompts: readonly string[], options: GenerateOptions & { cache?: boolean }): Promise<Generation> {
    const l = this.layout;
    const N = l.imageTokens;
    const V = l.image.vocabSize;
    const B = prompts.length;
    const temperature = options.temperature ?? 1;
    const cfg = options.cfg ?? 0;
    const useCache = options.cache ?? true;
    const ids = prompts.map((p) => promptIds(l, p));
    const branches: (readonly number[] | null)[] = cfg === 0 ? ids : [...ids, ...ids.map(() => null)];
    const tokens = Array.from({ length: B }, () => new Int32Array(N));
    const logprobs = Array.from({ length: B }, () => new Float32Array(N));
    const logp = new Float64Array(V);
    const cache: KvCache = { keys: [], values: [] };
    try {
      for (let j = 0; j < N; j++) {
        const logits = tf.tidy(() => {
          const all = useCache ? this.cachedStep(branches, tokens, j, cache) : this.lastLogits(branches, tokens, j);
          if (cfg === 0) return all;
          const [cond, uncond] = tf.split(all, 2, 0) as [tf.Tensor, tf.Tensor];
          return tf.sub(tf.mul(cond, 1 + cfg), tf.mul(uncond, cfg));
        });
        const data = await logits.data();
        logits.dispose();
        for (let b = 0; b < B; b++) {
          logSoftmaxInto(data, b * V, V, temperature === 0 ? 1 : temperature, logp);
          const token = temperature === 0 ? argmax(logp, V) : sampleFromLogProbs(logp, V, options.rng);
          tokens[b]![j] = token;
          logprobs[b]![j] = logp[token] as number;
        }
      }
    } finally {
      disposeCache(cache);
    }
    const commitStep = tokens.map(() => Int32Array.from({ length: N }, (_, j) => j));
    return { tokens, commitStep, logprobs, images: tokens.map((t) => l.image.decode(t)) };
  }

  /** Logits [B', V] for image token j from a full forward over the prefix and tokens 0..j-1. */
  private lastLogits(branches: readonly (readonly number[] | null)[], tokens: readonly Int32Array[], j: number): tf.Tensor {
    const imgs = branches.map((_, b) => tokens[b % tokens.length]!);
    const all = this.imageLogitsFull(branches, imgs, j);
    return tf.squeeze(tf.slice(all, [0, j, 0], [branches.length, 1, all.shape[2] ?? 0]), [1]);
  }

  /** Logits [B', V] for image token j, feeding only what the cache has not seen. */
  private cachedStep(branches: readonly (readonly number[] | null)[], tokens: readonly Int32Array[], j: number, cache: KvCache): tf.Tensor {
    const l = this.layout;
    const Bp = branches.length;
    if (j === 0) {
      const { batch, mask } = this.genInputs(branches, [], 0);
      const T = batch.length;
      const x = tf.add(embedBatch(this.params, batch), this.positions(0, T));
      const h = body(this.params, this.config, x, { mask: tf.tensor(mask, [Bp, T, T]), cache, generation: { imageFrom: T } });
      return imageLogits(this.params, l, tf.squeeze(tf.slice(h, [0, T - 1, 0], [Bp, 1, this.config.dim]), [1]));
    }
    const pos = this.prefixLength + j - 1;
    const step = emptyBatch(Bp, 1);
    const mask = new Float32Array(Bp * (pos + 1));
    branches.forEach((ids, b) => {
      setImageToken(step, l, b, tokens[b % tokens.length]![j - 1] as number);
      const real = this.realPositions(ids);
      for (let k = 0; k <= pos; k++) if (real(k)) mask[b * (pos + 1) + k] = 1;
    });
    const x = tf.add(embedBatch(this.params, step), this.positions(pos, 1));
    const h = body(this.params, this.config, x, { mask: tf.tensor(mask, [Bp, 1, pos + 1]), cache, generation: { imageFrom: 0 } });
    return imageLogits(this.params, l, tf.squeeze(h, [1]));
  }

  answer(images: readonly RgbImage[], questions: readonly string[], options: AnswerOptions = {}): Promise<Answers> {
    return decodeAnswers(this.layout, questions, 2 + this.layout.imageTokens, this.undLength, (dialogues) => this.dialogueLogits(images, dialogues), options);
  }
}
