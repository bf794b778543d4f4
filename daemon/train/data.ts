/**
 * Procedural training data: prompts from the training split (never a held-out combination, never
 * a line of a metadata file the spec names as held out), a truth scene for each, rendered, with
 * the prompt's UniRL question and answer. The guard sits here, where batches are drawn.
 */
import { Rng } from '../util/random';
import {
  combinationsInSplit,
  metadataFor,
  pythonJsonDumps,
  renderScene,
  sampleScene,
  TAGS,
  touchesHeldOut,
  type Combination,
  type Metadata,
  type RgbImage,
  type Tag,
  type WorldConfig,
} from '../world';

export interface Example {
  meta: Metadata;
  image: RgbImage;
  question: string;
  answer: string;
}

/** Prompts a training stage may draw: the training split, minus any line of the held-out files. */
export class TrainingPrompts {
  private readonly byTag: Map<Tag, Combination[]>;

  constructor(heldOutLines: readonly Metadata[] = []) {
    const refused = new Set(heldOutLines.map(promptKey));
    this.byTag = new Map(
      TAGS.map((tag) => [tag, combinationsInSplit(tag, 'train').filter((c) => !refused.has(promptKey(metadataFor(c))))] as const),
    );
    for (const [tag, combos] of this.byTag) if (combos.length === 0) throw new Error(`no training prompts left for ${tag}`);
  }

  /** A random training prompt: tags uniformly, then combinations uniformly. */
  draw(rng: Rng): Metadata {
    const meta = metadataFor(rng.pick(this.byTag.get(rng.pick(TAGS))!));
    // Belt and braces: the split already excludes these; a change elsewhere must not leak them.
    if (touchesHeldOut(meta)) throw new Error(`internal error: held-out prompt "${meta.prompt}" drawn for training`);
    return meta;
  }

  count(): number {
    return [...this.byTag.values()].reduce((n, c) => n + c.length, 0);
  }
}

/** Identity of a line for the held-out file guard: its structure, not its wording. */
function promptKey(meta: Metadata): string {
  return pythonJsonDumps({ tag: meta.tag, include: meta.include, exclude: meta.exclude ?? [] });
}

export function drawExamples(prompts: TrainingPrompts, world: WorldConfig, rng: Rng, n: number): Example[] {
  return Array.from({ length: n }, () => {
    const meta = prompts.draw(rng);
    return { meta, image: renderScene(sampleScene(meta, world, rng), world), question: meta.question!, answer: meta.answer! };
  });
}

/** The generator for step `step` of a run seeded `seed`: resuming at any step draws the same data. */
export const stepRng = (seed: number, step: number): Rng => new Rng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca6b)) >>> 0);
