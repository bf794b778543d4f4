/**
 * Prompts in GenEval's grammar with UniRL's question and answer, derived from the structure of a
 * metadata line (never from a detector), and seeded prompt sets in GenEval's proportions.
 */
import { Rng } from '../util/random';
import { article, CLASSES, COLORS, NUMBER_WORDS, PLURALS, RELATIONS, type ColorName, type Relation, type ShapeClass } from './definition';
import type { Metadata, Tag } from './metadata';
import { TAGS } from './metadata';
import { MIRROR } from './relations';
import { combinationKey, isHeldOutKey } from './split';

/** UniRL's question for each tag, word for word as in its evaluation_metadata_qa.jsonl. */
export const QUESTIONS: Readonly<Record<Tag, string>> = {
  single_object: 'What is the main item in this image?',
  two_object: 'What are two items in this image?',
  counting: 'How many items in this image?',
  colors: 'What is the color of the object?',
  position: 'What are two objects and What is position relationship between two main items? Use one sentence.',
  color_attr: 'What are two objects and the colors of two objects in the image? Use one sentence',
};

/** GenEval's line counts per tag (553 in all). */
export const GENEVAL_TAG_COUNTS: Readonly<Record<Tag, number>> = {
  single_object: 80,
  two_object: 99,
  counting: 80,
  colors: 94,
  position: 100,
  color_attr: 100,
};

const a = (word: string): string => `${article(word)} ${word}`;

/** One prompt's content, before it becomes a metadata line. */
export type Combination =
  | { tag: 'single_object'; shape: ShapeClass }
  | { tag: 'two_object'; first: ShapeClass; second: ShapeClass }
  | { tag: 'counting'; shape: ShapeClass; count: number }
  | { tag: 'colors'; shape: ShapeClass; color: ColorName }
  | { tag: 'position'; subject: ShapeClass; relation: Relation; target: ShapeClass }
  | { tag: 'color_attr'; first: ShapeClass; firstColor: ColorName; second: ShapeClass; secondColor: ColorName };

/** The metadata line of a combination, fields in GenEval's order, with UniRL's question and answer. */
export function metadataFor(c: Combination): Metadata {
  switch (c.tag) {
    case 'single_object':
      return line(c.tag, [{ class: c.shape, count: 1 }], `a photo of ${a(c.shape)}`, c.shape);
    case 'two_object':
      return line(
        c.tag,
        [{ class: c.first, count: 1 }, { class: c.second, count: 1 }],
        `a photo of ${a(c.first)} and ${a(c.second)}`,
        `There is ${a(c.first)} and ${a(c.second)}`,
      );
    case 'counting': {
      const words = `${NUMBER_WORDS[c.count]} ${PLURALS[c.shape]}`;
      // GenEval's counting lines exclude one more than the count, so the count must be exact.
      return {
        tag: c.tag,
        include: [{ class: c.shape, count: c.count }],
        exclude: [{ class: c.shape, count: c.count + 1 }],
        prompt: `a photo of ${words}`,
        question: QUESTIONS[c.tag],
        answer: words,
      };
    }
    case 'colors':
      return line(c.tag, [{ class: c.shape, count: 1, color: c.color }], `a photo of ${a(c.color)} ${c.shape}`, c.color);
    case 'position':
      return line(
        c.tag,
        [{ class: c.target, count: 1 }, { class: c.subject, count: 1, position: [c.relation, 0] }],
        `a photo of ${a(c.subject)} ${c.relation} ${a(c.target)}`,
        `The ${c.subject} is ${c.relation} the ${c.target}`,
      );
    case 'color_attr':
      return line(
        c.tag,
        [
          { class: c.first, count: 1, color: c.firstColor },
          { class: c.second, count: 1, color: c.secondColor },
        ],
        `a photo of ${a(c.firstColor)} ${c.first} and ${a(c.secondColor)} ${c.second}`,
        `The ${c.first} is ${c.firstColor} and the ${c.second} is ${c.secondColor}`,
      );
  }
}

function line(tag: Tag, include: Metadata['include'], prompt: string, answer: string): Metadata {
  return { tag, include, prompt, question: QUESTIONS[tag], answer };
}

/**
 * The combination a metadata line expresses, read from its structure; undefined when the line is
 * not one of the six templates (e.g. a hand-written line with three groups).
 */
export function combinationOf(meta: Metadata): Combination | undefined {
  const inc = meta.include;
  const [g0, g1] = inc;
  switch (meta.tag) {
    case 'single_object':
      return inc.length === 1 && g0!.count === 1 ? { tag: 'single_object', shape: g0!.class } : undefined;
    case 'two_object':
      return inc.length === 2 ? { tag: 'two_object', first: g0!.class, second: g1!.class } : undefined;
    case 'counting':
      return inc.length === 1 ? { tag: 'counting', shape: g0!.class, count: g0!.count } : undefined;
    case 'colors':
      return inc.length === 1 && g0!.color ? { tag: 'colors', shape: g0!.class, color: g0!.color } : undefined;
    case 'position':
      return inc.length === 2 && g1!.position && g1!.position[1] === 0
        ? { tag: 'position', subject: g1!.class, relation: g1!.position[0], target: g0!.class }
        : undefined;
    case 'color_attr':
      return inc.length === 2 && g0!.color && g1!.color
        ? { tag: 'color_attr', first: g0!.class, firstColor: g0!.color, second: g1!.class, secondColor: g1!.color }
        : undefined;
  }
}

/** UniRL's question and answer for a metadata line: its own fields when present, else derived from its structure. */
export function questionAnswer(meta: Metadata): { question: string; answer: string } | undefined {
  if (meta.question !== undefined && meta.answer !== undefined) return { question: meta.question, answer: meta.answer };
  const combo = combinationOf(meta);
  if (!combo) return undefined;
  const derived = metadataFor(combo);
  return { question: derived.question!, answer: derived.answer! };
}

/**
 * The lines whose questions ask for the facts of the prompt that UniRL's question leaves out: a
 * colour prompt's question ("What is the color of the object?") does not name the object, so the
 * single-object line of its class is added (its question and answer, judged with `judgeAnswer`).
 * Empty for the other tags (their questions name every class, colour, count and relation asked for).
 */
export function missingFactLines(meta: Metadata): Metadata[] {
  const combo = combinationOf(meta);
  return combo?.tag === 'colors' ? [metadataFor({ tag: 'single_object', shape: combo.shape })] : [];
}

/**
 * Prompts that contradict a line's facts by one change each, the alternatives a reader weighs the
 * line's own prompt against when it asks "which of these was drawn?": another class for each
 * object, another count, another colour for each object (and the two colours swapped), the
 * mirrored relation, and, for two objects, each object alone. Relations that can hold together
 * with the line's ("above" beside "left of") are not contradictions and are left out, and so are
 * held-out combinations (a training stage never puts one before the model). Empty for a line that
 * is not one of the six templates.
 */
export function contrastPrompts(meta: Metadata): string[] {
  const combo = combinationOf(meta);
  if (!combo) return [];
  const others = <T>(all: readonly T[], ...not: T[]): T[] => all.filter((x) => !not.includes(x));
  const out: Combination[] = [];
  switch (combo.tag) {
    case 'single_object':
      for (const shape of others(CLASSES, combo.shape)) out.push({ tag: 'single_object', shape });
      break;
    case 'counting':
      for (const count of others([1, 2, 3, 4], combo.count)) {
        out.push(count === 1 ? { tag: 'single_object', shape: combo.shape } : { tag: 'counting', shape: combo.shape, count });
      }
      break;
    case 'colors':
      for (const color of others(COLORS, combo.color)) out.push({ tag: 'colors', shape: combo.shape, color });
      for (const shape of others(CLASSES, combo.shape)) out.push({ tag: 'colors', shape, color: combo.color });
      break;
    case 'two_object': {
      const { first, second } = combo;
      for (const shape of others(CLASSES, first, second)) out.push({ tag: 'two_object', first: shape, second }, { tag: 'two_object', first, second: shape });
      out.push({ tag: 'single_object', shape: first }, { tag: 'single_object', shape: second });
      break;
    }
    case 'position': {
      const { subject, relation, target } = combo;
      out.push({ tag: 'position', subject, relation: MIRROR[relation], target });
      for (const shape of others(CLASSES, subject, target)) out.push({ tag: 'position', subject: shape, relation, target }, { tag: 'position', subject, relation, target: shape });
      out.push({ tag: 'single_object', shape: subject }, { tag: 'single_object', shape: target });
      break;
    }
    case 'color_attr': {
      const { first, firstColor, second, secondColor } = combo;
      out.push({ tag: 'color_attr', first, firstColor: secondColor, second, secondColor: firstColor });
      for (const color of others(COLORS, firstColor, secondColor)) {
        out.push({ tag: 'color_attr', first, firstColor: color, second, secondColor }, { tag: 'color_attr', first, firstColor, second, secondColor: color });
      }
      out.push({ tag: 'colors', shape: first, color: firstColor }, { tag: 'colors', shape: second, color: secondColor });
      break;
    }
  }
  return out.filter((c) => !isHeldOutCombination(c)).map((c) => metadataFor(c).prompt);
}

function isHeldOutCombination(c: Combination): boolean {
  const key = combinationKey(c);
  return key !== undefined && isHeldOutKey(key);
}

/** Every distinct combination of a tag in this world (the compositional tags before any split). */
export function allCombinations(tag: Tag): Combination[] {
  const out: Combination[] = [];
  const pairs: [ShapeClass, ShapeClass][] = [];
  for (const x of CLASSES) for (const y of CLASSES) if (x !== y) pairs.push([x, y]);
  switch (tag) {
    case 'single_object':
      for (const shape of CLASSES) out.push({ tag, shape });
      break;
    case 'two_object':
      for (const [first, second] of pairs) out.push({ tag, first, second });
      break;
    case 'counting':
      for (const shape of CLASSES) for (const count of [2, 3, 4]) out.push({ tag, shape, count });
      break;
    case 'colors':
      for (const shape of CLASSES) for (const color of COLORS) out.push({ tag, shape, color });
      break;
    case 'position':
      for (const [subject, target] of pairs) for (const relation of RELATIONS) out.push({ tag, subject, relation, target });
      break;
    case 'color_attr':
      for (const [first, second] of pairs) {
        for (const firstColor of COLORS) {
          for (const secondColor of COLORS) if (firstColor !== secondColor) out.push({ tag, first, firstColor, second, secondColor });
        }
      }
      break;
  }
  return out;
}

export type SplitName = 'heldout' | 'train' | 'all';

/**
 * The combinations of a tag in a split. Only two_object, position and color_attr are split; the
 * other tags have too few combinations in a six-class world to hold any out, so every split has all.
 */
export function combinationsInSplit(tag: Tag, split: SplitName): Combination[] {
  const all = allCombinations(tag);
  if (split === 'all') return all;
  return all.filter((c) => {
    if (combinationKey(c) === undefined) return true;
    return split === 'heldout' ? isHeldOutCombination(c) : !isHeldOutCombination(c);
  });
}

export interface PromptSetOptions {
  seed: number;
  split: SplitName;
  counts?: Partial<Record<Tag, number>>;
}

/**
 * A prompt set in GenEval's format and proportions. Each tag's lines cycle through that tag's
 * combinations in a fresh random order per pass, so with fewer combinations than lines (6
 * single-object prompts for 80 lines) every combination repeats equally often, give or take one.
 */
export function generatePromptSet(options: PromptSetOptions): Metadata[] {
  const rng = new Rng(options.seed);
  const lines: Metadata[] = [];
  for (const tag of TAGS) {
    const n = options.counts?.[tag] ?? GENEVAL_TAG_COUNTS[tag];
    const combos = combinationsInSplit(tag, options.split);
    let pass: Combination[] = [];
    for (let i = 0; i < n; i++) {
      if (pass.length === 0) pass = rng.shuffle(combos);
      lines.push(metadataFor(pass.pop()!));
    }
  }
  return lines;
}
