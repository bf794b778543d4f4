/**
 * Procedural training data: prompts from the training split (never a held-out combination, never
 * a line of a metadata file the spec names as held out), a truth scene for each, rendered, with
 * the prompt's UniRL question and answer. The guard sits here, where batches are drawn.
 */
import { BACKGROUND_TOKEN, tokenOf, type ImageTokenizer } from '../tokenizers';
import { Rng } from '../util/random';
import {
  article,
  COLOR_RGB,
  COLORS,
  CLASSES,
  combinationsInSplit,
  countAnswer,
  countQuestion,
  MAX_COUNT_ANSWER,
  metadataFor,
  QUESTIONS,
  objectBox,
  pythonJsonDumps,
  RELATIONS,
  renderScene,
  sampleScene,
  TAGS,
  touchesHeldOut,
  type ColorName,
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

/**
 * Prompts a training stage may draw: the training split, minus any line of the held-out files;
 * only `tags` when given (e.g. the tags a model's own judge reads reliably).
 */
export class TrainingPrompts {
  private readonly byTag: Map<Tag, Combination[]>;
  private readonly tags: readonly Tag[];

  constructor(heldOutLines: readonly Metadata[] = [], tags: readonly Tag[] = TAGS) {
    if (tags.length === 0) throw new Error('TrainingPrompts: no tags to draw from');
    this.tags = tags;
    const refused = new Set(heldOutLines.map(promptKey));
    this.byTag = new Map(
      tags.map((tag) => [tag, combinationsInSplit(tag, 'train').filter((c) => !refused.has(promptKey(metadataFor(c))))] as const),
    );
    for (const [tag, combos] of this.byTag) if (combos.length === 0) throw new Error(`no training prompts left for ${tag}`);
  }

  /** A random training prompt: tags uniformly, then combinations uniformly. */
  draw(rng: Rng): Metadata {
    const meta = metadataFor(rng.pick(this.byTag.get(rng.pick(this.tags))!));
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
 * counted. A broken object is one of the failures a patch-token generator makes (looked at on the
 * autoregressive base's own images): a scramble (most of its patches swapped for other masks of
 * its colour, or emptied: colour and place stay, shape goes) or a scrawl (a wandering stroke in
 * its colour over about its box, as drawn squiggles are). (An object half in another colour, also
 * seen, is left out: a person may still count a two-coloured square as a square.) The scene is still the prompt's (no held-out
 * combination is ever drawn), so the examples teach the answer "zero" and a count of well-formed
 * objects only.
 */
export function drawCountExamples(prompts: TrainingPrompts, world: WorldConfig, tokenizer: ImageTokenizer, rng: Rng, n: number): Example[] {
  return Array.from({ length: n }, () => {
    const meta = prompts.draw(rng);
    const scene = sampleScene(meta, world, rng);
    const breaks = scene.objects.map(() => (rng.float() < BREAK_PROBABILITY ? rng.pick(BREAKS) : undefined));
    const whole = scene.objects.filter((_, i) => breaks[i] === undefined);
    const image = renderBroken(scene.objects, breaks, world, tokenizer, rng);
    // The class asked about: half the time one the scene holds whole, else any (often absent or broken).
    const pool = whole.length > 0 && rng.float() < 0.5 ? whole : undefined;
    const shape = pool ? rng.pick(pool).shape : rng.pick(CLASSES);
    const color = rng.float() < 0.5 ? (pool ? rng.pick(pool.filter((o) => o.shape === shape)).color : rng.pick(COLORS)) : undefined;
    const count = whole.filter((o) => o.shape === shape && (color === undefined || o.color === color)).length;
    return { meta, image, question: countQuestion(shape, color), answer: countAnswer(count, shape, color) };
  });
}

/**
 * A scene rendered with some objects broken (`breaks[i]`, or undefined for a whole object): scrawls
 * painted in place of their objects, then scrambles done on the image's tokens, as a patch-token
 * generator breaks them; the image the tokens decode to.
 */
function renderBroken(objects: readonly SceneObject[], breaks: readonly ((typeof BREAKS)[number] | undefined)[], world: WorldConfig, tokenizer: ImageTokenizer, rng: Rng): RgbImage {
  const image = renderScene({ objects: objects.filter((_, i) => breaks[i] !== 'scrawl') }, world);
  objects.forEach((obj, i) => {
    if (breaks[i] === 'scrawl') paintScrawl(image, obj, rng);
  });
  const tokens = tokenizer.encode(image);
  objects.forEach((obj, i) => {
    if (breaks[i] === 'scramble') breakObject(tokens, obj, world, tokenizer, rng);
  });
  return tokenizer.decode(tokens);
}

/** Chance that an object of a count example is broken, and the ways it is broken (drawn uniformly). */
const BREAK_PROBABILITY = 0.35;
export const BREAKS = ['scramble', 'scrawl'] as const;

/** In the image's tokens, swaps at least half of an object's patches for other masks of its colour, or empties them. */
export function breakObject(tokens: Int32Array, obj: SceneObject, world: WorldConfig, tokenizer: ImageTokenizer, rng: Rng): void {
  const alone = tokenizer.encode(renderScene({ objects: [obj] }, world));
  const cells = rng.shuffle([...alone.keys()].filter((c) => alone[c] !== BACKGROUND_TOKEN));
  const color = COLORS.indexOf(obj.color);
  const swapped = Math.max(1, Math.ceil(cells.length * (0.5 + 0.5 * rng.float())));
  for (const c of cells.slice(0, swapped)) {
    tokens[c] = rng.float() < 0.2 ? BACKGROUND_TOKEN : tokenOf(rng.int(0, tokenizer.masks.length - 1), color);
  }
}

/** Paints, in place of an object, a wandering stroke 1-2 px wide in its colour, kept within its box. */
export function paintScrawl(image: RgbImage, obj: SceneObject, rng: Rng): void {
  const [x0, y0, x1, y1] = objectBox(obj);
  const clampX = (x: number): number => Math.min(Math.max(x, Math.max(0, x0)), Math.min(image.width, x1) - 1);
  const clampY = (y: number): number => Math.min(Math.max(y, Math.max(0, y0)), Math.min(image.height, y1) - 1);
  const width = rng.int(1, 2);
  const rgb = COLOR_RGB[obj.color];
  let x = x0 + rng.float() * obj.size;
  let y = y0 + rng.float() * obj.size;
  let angle = rng.float() * 2 * Math.PI;
  for (let step = 0, length = rng.int(2 * obj.size, 4 * obj.size); step < length; step++) {
    angle += 0.6 * rng.normal();
    x += Math.cos(angle);
    y += Math.sin(angle);
    // At the box's edge the stroke turns back inside.
    if (clampX(Math.floor(x)) !== Math.floor(x) || clampY(Math.floor(y)) !== Math.floor(y)) angle += Math.PI;
    x = clampX(Math.floor(x)) + (x - Math.floor(x));
    y = clampY(Math.floor(y)) + (y - Math.floor(y));
    for (let dy = 0; dy < width; dy++) {
      for (let dx = 0; dx < width; dx++) {
        const px = clampX(Math.floor(x) + dx);
        const py = clampY(Math.floor(y) + dy);
        image.data.set(rgb, (py * image.width + px) * 3);
      }
    }
  }
}

/**
 * Counting examples over every count the world has a word for (one to five): a training counting
 * prompt's class, drawn that many times, and UniRL's counting question ("How many items in this
 * image?") answered with the true count. The prompts' own scenes always hold the prompt's count
 * (two to four), so a model taught only by them answers "four" for five and can lean on layout; its
 * own images for "three diamonds" often hold four clean ones, and its judgement of them then says
 * "three" (looked at, session 15). The prompt is drawn as the training prompts are (the held-out
 * guard applies); only its count changes, and counting has no held-out combinations.
 *
 * With `broken` > 0 each object is broken with that probability (a scramble or a scrawl, as in
 * drawCountExamples) and the answer counts the whole ones only (it may be "zero"): the prompt's own
 * question then teaches that a scrawl is no item, where the autoregressive base, never shown one,
 * counts its own scrawls as the prompt's objects (docs/results.md, session 24). At 0 the examples
 * and the generator's draws are exactly those of the option's first form.
 */
export function drawVariedCountExamples(prompts: TrainingPrompts, world: WorldConfig, rng: Rng, n: number, broken = 0, tokenizer?: ImageTokenizer): Example[] {
  if (!(broken >= 0 && broken <= 1)) throw new Error(`the broken share of varied count examples must be from 0 to 1, got ${broken}`);
  if (broken > 0 && !tokenizer) throw new Error('varied count examples with broken objects need the image tokenizer (scrambles are made on tokens)');
  return Array.from({ length: n }, () => {
    const drawn = prompts.draw(rng);
    if (drawn.tag !== 'counting') throw new Error(`drawVariedCountExamples needs counting prompts, got a ${drawn.tag} prompt`);
    const shape = drawn.include[0]!.class;
    const count = rng.int(1, MAX_COUNT_ANSWER);
    // The same words as a count answer ("one ring", "five rings"), and a line that says what is drawn.
    const line = (k: number): Metadata => {
      const answer = countAnswer(k, shape);
      return { tag: 'counting', include: [{ class: shape, count: k }], exclude: [{ class: shape, count: k + 1 }], prompt: `a photo of ${answer}`, question: QUESTIONS.counting, answer };
    };
    const drawnLine = line(count);
    const scene = sampleScene(drawnLine, world, rng);
    if (broken === 0) return { meta: drawnLine, image: renderScene(scene, world), question: QUESTIONS.counting, answer: drawnLine.answer! };
    const breaks = scene.objects.map(() => (rng.float() < broken ? rng.pick(BREAKS) : undefined));
    const meta = line(breaks.filter((b) => b === undefined).length);
    return { meta, image: renderBroken(scene.objects, breaks, world, tokenizer!, rng), question: QUESTIONS.counting, answer: meta.answer! };
  });
}

/** The generator for step `step` of a run seeded `seed`: resuming at any step draws the same data. */
export const stepRng = (seed: number, step: number): Rng => new Rng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca6b)) >>> 0);

/**
 * Relation examples the held-out split cannot touch: two objects of one class told apart only by
 * colour, "a photo of a red circle left of a blue circle", for generation. A held-out position
 * triple names two classes, and training shows that pair on that axis one way round only (the
 * other way is the held-out triple), so the generator can learn each pair's layout instead of what
 * the words say, and draws held-out triples reversed (docs/models.md, "Position"). Here every
 * colour pair appears in every relation, so only the order of the words and the relation tell
 * which object goes where. Same-class pairs are no split combination (split.ts, metadataKeys).
 */
export function drawColorRelationExamples(world: WorldConfig, rng: Rng, n: number): Example[] {
  return Array.from({ length: n }, () => {
    const shape = rng.pick(CLASSES);
    const [subjectColor, targetColor] = rng.shuffle([...COLORS]) as [ColorName, ColorName];
    const relation = rng.pick(RELATIONS);
    const subject = `${article(subjectColor)} ${subjectColor} ${shape}`;
    const target = `${article(targetColor)} ${targetColor} ${shape}`;
    const meta: Metadata = {
      tag: 'position',
      include: [
        { class: shape, count: 1, color: targetColor },
        { class: shape, count: 1, color: subjectColor, position: [relation, 0] },
      ],
      prompt: `a photo of ${subject} ${relation} ${target}`,
      question: QUESTIONS.position,
      answer: `The ${subjectColor} ${shape} is ${relation} the ${targetColor} ${shape}`,
    };
    if (touchesHeldOut(meta)) throw new Error(`internal error: colour relation "${meta.prompt}" touches a held-out combination`);
    return { meta, image: renderScene(sampleScene(meta, world, rng), world), question: meta.question!, answer: meta.answer! };
  });
}
