/**
 * GenEval in memory for the bench scripts: a model's images for a prompt list, drawn exactly as
 * `unirl eval` draws them (batches of 16 images, Rng(seed)), scored by the default detector; per
 * tag the share of correct images, overall their mean. Equal to that command's numbers.
 */
import { defaultDetector, evaluateDetections, keepDetections } from '../daemon/geneval';
import type { UnifiedModel } from '../daemon/models';
import { generateImages, type SamplingOptions } from '../daemon/train';
import { Rng } from '../daemon/util/random';
import type { Metadata } from '../daemon/world';

export interface GenevalScore {
  overall: number;
  tags: Record<string, number>;
}

export async function geneval(model: UnifiedModel, metadata: readonly Metadata[], n: number, sampling: SamplingOptions, seed: number): Promise<GenevalScore> {
  const rng = new Rng(seed);
  const perBatch = Math.max(1, Math.floor(16 / n));
  const tally = new Map<string, { correct: number; total: number }>();
  for (let i = 0; i < metadata.length; i += perBatch) {
    const group = metadata.slice(i, i + perBatch);
    const images = await generateImages(model, group.flatMap((m) => Array<string>(n).fill(m.prompt)), sampling, rng);
    images.forEach((image, k) => {
      const meta = group[Math.floor(k / n)]!;
      const t = tally.get(meta.tag) ?? { correct: 0, total: 0 };
      t.total++;
      if (evaluateDetections(keepDetections(defaultDetector(image), meta.tag), meta).correct) t.correct++;
      tally.set(meta.tag, t);
    });
  }
  const tags = Object.fromEntries([...tally].map(([tag, t]) => [tag, t.correct / t.total]));
  const scores = Object.values(tags);
  return { overall: scores.reduce((a, b) => a + b, 0) / scores.length, tags };
}
