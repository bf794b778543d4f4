/**
 * The dialogue part of an understanding sequence, shared by both paradigms: training targets for
 * "question <sep> answer <eos>", and answer decoding one token at a time.
 */
import * as tf from '@tensorflow/tfjs';
import { argmax, logSoftmaxInto, sampleFromLogProbs } from './maskgit';
import type { AnswerOptions, Answers } from './model';
import type { Rng } from '../util/random';
import type { Layout } from './vocab';

export interface DialogueTargets {
  /** question ids, <sep>, answer ids, <eos>: one list per example. */
  dialogues: number[][];
  /** [B * T]: the answer token (and <eos>) at the position that predicts it. */
  targets: Int32Array;
  weights: Float32Array;
}

/**
 * Answer-word dropout in training: each answer word the model reads back (teacher forcing) is
 * replaced by padding with probability p, while every target stays. Without it an autoregressive
 * model can name the second object of "there is a ring and a cross" from the first word alone (the
 * partners it saw in training) instead of from the image; with it the image must carry the answer.
 */
export interface AnswerDropout {
  rng: Rng;
  p: number;
}

/** Targets for teacher-forced answers; `textStart` is where the dialogue begins in a sequence of length T. */
export function dialogueTargets(l: Layout, questions: readonly string[], answers: readonly string[], textStart: number, T: number, dropout?: AnswerDropout): DialogueTargets {
  const dialogues: number[][] = [];
  const targets = new Int32Array(questions.length * T);
  const weights = new Float32Array(questions.length * T);
  questions.forEach((q, b) => {
    const qIds = l.text.encode(q);
    const aIds = [...l.text.encode(answers[b]!), l.text.eos];
    const read = dropout && dropout.p > 0 ? aIds.map((id) => (dropout.rng.float() < dropout.p ? l.text.pad : id)) : aIds;
    dialogues.push([...qIds, l.text.sep, ...read]);
    // Answer token i sits at dialogue index qIds.length + 1 + i; the position before it predicts it.
    aIds.forEach((id, i) => {
      const pos = textStart + qIds.length + i;
      targets[b * T + pos] = id;
      weights[b * T + pos] = 1;
    });
  });
  return { dialogues, targets, weights };
}

/**
 * Decodes answers token by token (greedy, or sampled when `options.rng` is given with a positive
 * temperature). `textLogitsOf(dialogues)` returns text logits [B, T, textVocab] for the current dialogues.
 */
export async function decodeAnswers(
  l: Layout,
  questions: readonly string[],
  textStart: number,
  T: number,
  textLogitsOf: (dialogues: readonly number[][]) => tf.Tensor,
  options: AnswerOptions,
): Promise<Answers> {
  const V = l.text.vocabSize;
  const temperature = options.temperature ?? 1;
  const sample = options.rng !== undefined && temperature > 0;
  const dialogues = questions.map((q) => [...l.text.encode(q), l.text.sep]);
  const answerStart = dialogues.map((d) => d.length);
  const done = questions.map(() => false);
  const logprobs = questions.map(() => 0);
  const logp = new Float64Array(V);
  for (let step = 0; step < l.maxAnswer + 1 && done.some((d) => !d); step++) {
    const logits = tf.tidy(() => textLogitsOf(dialogues));
    const data = await logits.data();
    logits.dispose();
    dialogues.forEach((d, b) => {
      if (done[b]) return;
      const pos = textStart + d.length - 1;
      logSoftmaxInto(data, (b * T + pos) * V, V, sample ? temperature : 1, logp);
      const id = sample ? sampleFromLogProbs(logp, V, options.rng!) : argmax(logp, V);
      logprobs[b]! += logp[id] as number;
      d.push(id);
      if (id === l.text.eos || d.length - answerStart[b]! >= l.maxAnswer || d.length >= l.dialogueSlots) done[b] = true;
    });
  }
  return { answers: dialogues.map((d, b) => l.text.decode(d.slice(answerStart[b]))), logprobs };
}
