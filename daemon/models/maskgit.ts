/**
 * MaskGIT's sampling schedule and the per-position choices it makes, in plain JS over logits
 * already read back from the backend (a few hundred thousand floats a step).
 */
import type { Rng } from '../util/random';

/** Scale of the annealed Gumbel noise on MaskGIT's confidences when none is given (measured best: docs/models.md). */
export const DEFAULT_CONFIDENCE_NOISE = 4.5;

/** Fraction of image tokens still masked after step s of S (cosine schedule, as MaskGIT and Show-o). */
export function maskedFraction(step: number, steps: number): number {
  return Math.cos((Math.PI / 2) * ((step + 1) / steps));
}

/**
 * How many tokens stay masked after each step: strictly decreasing to 0, and at least one token
 * is committed at every step.
 */
export function maskSchedule(tokens: number, steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`MaskGIT steps must be a positive integer, got ${steps}`);
  const out: number[] = [];
  let previous = tokens;
  for (let s = 0; s < steps; s++) {
    let remain = s === steps - 1 ? 0 : Math.floor(tokens * maskedFraction(s, steps));
    remain = Math.max(0, Math.min(remain, previous - 1));
    out.push(remain);
    previous = remain;
  }
  return out;
}

/** Log-softmax of logits[offset .. offset + n) / temperature into `out`. */
export function logSoftmaxInto(logits: ArrayLike<number>, offset: number, n: number, temperature: number, out: Float64Array): void {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, (logits[offset + i] as number) / temperature);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp((logits[offset + i] as number) / temperature - max);
  const lse = max + Math.log(sum);
  for (let i = 0; i < n; i++) out[i] = (logits[offset + i] as number) / temperature - lse;
}

/** Draws an index from log-probabilities (inverse CDF). */
export function sampleFromLogProbs(logp: Float64Array, n: number, rng: Rng): number {
  let u = rng.float();
  for (let i = 0; i < n; i++) {
    u -= Math.exp(logp[i] as number);
    if (u <= 0) return i;
  }
  // Rounding left a sliver: take the most likely.
  return argmax(logp, n);
}

export function argmax(values: ArrayLike<number>, n: number, offset = 0): number {
  let best = 0;
  for (let i = 1; i < n; i++) if ((values[offset + i] as number) > (values[offset + best] as number)) best = i;
  return best;
}

export function gumbel(rng: Rng): number {
  return -Math.log(-Math.log(Math.max(1e-12, rng.float())));
}
