/**
 * Procedural training data: prompts from the training split (never a held-out combination, never
 * a line of a metadata file the spec names as held out), a truth scene for each, rendered, with
 * the prompt's UniRL question and answer. The guard sits here, where batches are drawn.
 */
import { BACKGROUND_TOKEN, tokenOf, type ImageTokenizer } from '../tokenizers';
import { Rng } from '../util/random';
import {
  COLORS,
  CLASSES,
  combinationsInSplit,
  countAnswer,
  countQuestion,
  metadataFor,
  pythonJsonDumps,
  renderScene,
  sampleScene,
  TAGS,
  touchesHeldOut,
  type Combination,
  type Metadata,
  type RgbImage,
  type SceneObject,
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

/**
 * Count examples: a training prompt's truth scene in which some objects are broken, and a question
 * how many objects of a class (in a colour, half the time) it holds; broken objects are not
 * counted. A broken object is the kind of failure a patch-token generator makes: most of its
 * patches swapped for other masks of its colour from the codebook, or emptied, so its colour and
 * place stay while its shape is gone. The scene is still the prompt's (no held-out combination is
 * ever drawn), so the examples teach the answer "zero" and a count of well-formed objects only.
 */
export function drawCountExamples(prompts: TrainingPrompts, world: WorldConfig, tokenizer: ImageTokenizer, rng: Rng, n: number): Example[] {
  return Array.from({ length: n }, () => {
    const meta = prompts.draw(rng);
    const scene = sampleScene(meta, world, rng);
    const broken = scene.objects.map(() => rng.float() < BREAK_PROBABILITY);
    const whole = scene.objects.filter((_, i) => !broken[i]);
    const tokens = tokenizer.encode(renderScene(scene, world));
    scene.objects.forEach((obj, i) => {
      if (broken[i]) breakObject(tokens, obj, world, tokenizer, rng);
    });
    // The class asked about: half the time one the scene holds whole, else any (often absent or broken).
    const pool = whole.length > 0 && rng.float() < 0.5 ? whole : undefined;
    const shape = pool ? rng.pick(pool).shape : rng.pick(CLASSES);
    const color = rng.float() < 0.5 ? (pool ? rng.pick(pool.filter((o) => o.shape === shape)).color : rng.pick(COLORS)) : undefined;
    const count = whole.filter((o) => o.shape === shape && (color === undefined || o.color === color)).length;
    return { meta, image: tokenizer.decode(tokens), question: countQuestion(shape, color), answer: countAnswer(count, shape, color) };
  });
}

/** Chance that an object of a count example is broken. */
const BREAK_PROBABILITY = 0.35;

/** Swaps at least half of an object's patches (in the image's tokens) for other masks of its colour, or empties them. */
export function breakObject(tokens: Int32Array, obj: SceneObject, world: WorldConfig, tokenizer: ImageTokenizer, rng: Rng): void {
  const alone = tokenizer.encode(renderScene({ objects: [obj] }, world));
  const cells = rng.shuffle([...alone.keys()].filter((c) => alone[c] !== BACKGROUND_TOKEN));
  const swapped = Math.max(1, Math.ceil(cells.length * (0.5 + 0.5 * rng.float())));
  const color = COLORS.indexOf(obj.color);
  for (const c of cells.slice(0, swapped)) {
    tokens[c] = rng.float() < 0.2 ? BACKGROUND_TOKEN : tokenOf(rng.int(0, tokenizer.masks.length - 1), color);
  }
}

/** The generator for step `step` of a run seeded `seed`: resuming at any step draws the same data. */
export const stepRng = (seed: number, step: number): Rng => new Rng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca6b)) >>> 0);
