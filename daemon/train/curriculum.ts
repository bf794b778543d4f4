/**
 * A curriculum by measured pass rate (the draw-side version of DAPO's dynamic sampling): a group
 * whose G rewards are all equal carries no signal, and a prompt the model always passes or always
 * fails gives such groups. Each training prompt's pass rate is measured on its own training
 * groups (shrunk towards its tag's rate while it has few), and prompts are drawn in proportion to
 * the chance that a group of G images of them is not all-equal: 1 - p^G - (1 - p)^G.
 */
import type { Rng } from '../util/random';
import type { Metadata } from '../world';

interface Tally {
  /** Sum of rewards (binary rewards: passes) and number of images. */
  sum: number;
  n: number;
}

/** Running pass rates of training prompts (by prompt text) and of their tags. */
export class PassRates {
  private readonly prompts = new Map<string, Tally>();
  private readonly tags = new Map<string, Tally>();

  /** Pseudo-images of the tag's rate in a prompt's estimate. */
  constructor(readonly prior = 4) {}

  record(meta: Metadata, rewards: readonly number[]): void {
    for (const [map, key] of [[this.prompts, meta.prompt], [this.tags, meta.tag]] as const) {
      const t = map.get(key) ?? { sum: 0, n: 0 };
      t.sum += rewards.reduce((a, b) => a + b, 0);
      t.n += rewards.length;
      map.set(key, t);
    }
  }

  /** Estimated pass rate: the prompt's own record, shrunk towards its tag's (itself towards 1/2). */
  estimate(meta: Metadata): number {
    const tag = this.tags.get(meta.tag) ?? { sum: 0, n: 0 };
    const tagRate = (tag.sum + 1) / (tag.n + 2);
    const own = this.prompts.get(meta.prompt) ?? { sum: 0, n: 0 };
    return (own.sum + this.prior * tagRate) / (own.n + this.prior);
  }

  toJSON(): { prompts: [string, Tally][]; tags: [string, Tally][] } {
    return { prompts: [...this.prompts], tags: [...this.tags] };
  }

  static fromJSON(json: string | undefined, prior?: number): PassRates {
    const rates = new PassRates(prior);
    if (!json) return rates;
    const data = JSON.parse(json) as ReturnType<PassRates['toJSON']>;
    for (const [k, t] of data.prompts) rates.prompts.set(k, t);
    for (const [k, t] of data.tags) rates.tags.set(k, t);
    return rates;
  }
}

/** Probability that a group of `groupSize` independent images with pass rate p is not all-equal. */
export function signalProbability(p: number, groupSize: number): number {
  return 1 - p ** groupSize - (1 - p) ** groupSize;
}

/**
 * Draws a prompt: `candidates` prompts from the uniform training draw, then one of them with
 * probability proportional to its signal probability (sampling-importance-resampling: as
 * candidates grow this tends to drawing in proportion to uniform x signal probability).
 */
export function curriculumDraw(prompts: { draw(rng: Rng): Metadata }, rates: PassRates, groupSize: number, candidates: number, rng: Rng): Metadata {
  const pool = Array.from({ length: candidates }, () => prompts.draw(rng));
  const weights = pool.map((m) => signalProbability(rates.estimate(m), groupSize));
  const total = weights.reduce((a, b) => a + b, 0);
  let u = rng.float() * total;
  for (let i = 0; i < pool.length; i++) {
    u -= weights[i]!;
    if (u < 0) return pool[i]!;
  }
  return pool[pool.length - 1]!;
}
