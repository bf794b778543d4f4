/**
 * Count questions: "How many red rings in this image?", answered "two red rings" or "zero red
 * rings". They let a model say what UniRL's questions cannot: that the thing asked for is not
 * there. Asked "What is the main item in this image?", a model must name one of the six classes,
 * the one a scrawl is closest to; asked how many rings it sees, it can say zero. A prompt becomes
 * one count question per group it asks for (GenEval's include and exclude items), each with the
 * counts GenEval's rules accept, so a model's answers judge its image the way the detector does,
 * fact by fact, with no pair of classes ever named in one answer.
 */
import { NUMBER_WORDS, PLURALS, type ColorName, type ShapeClass } from './definition';
import type { Metadata } from './metadata';

/** One counted fact of a prompt: how many objects of a class (in a colour, when asked) are accepted. */
export interface CountFact {
  shape: ShapeClass;
  color?: ColorName;
  /** Accepted counts: min <= n <= max. */
  min: number;
  max: number;
}

/** The largest count a question can be answered with (the world's number words). */
export const MAX_COUNT_ANSWER = NUMBER_WORDS.length - 1;

const noun = (shape: ShapeClass, color: ColorName | undefined, n: number): string => `${color ? `${color} ` : ''}${n === 1 ? shape : PLURALS[shape]}`;

export function countQuestion(shape: ShapeClass, color?: ColorName): string {
  return `How many ${noun(shape, color, 2)} in this image?`;
}

export function countAnswer(n: number, shape: ShapeClass, color?: ColorName): string {
  if (!Number.isInteger(n) || n < 0 || n > MAX_COUNT_ANSWER) throw new Error(`a count answer must be an integer from 0 to ${MAX_COUNT_ANSWER}, got ${n}`);
  return `${NUMBER_WORDS[n]} ${noun(shape, color, n)}`;
}

/** The number an answer states (its first number word), or undefined when it states none. */
export function readCount(answer: string): number | undefined {
  for (const word of answer.toLowerCase().split(/[^a-z]+/)) {
    const n = (NUMBER_WORDS as readonly string[]).indexOf(word);
    if (n >= 0) return n;
  }
  return undefined;
}

/**
 * The count facts of a metadata line, as GenEval's rules read it: each include item needs at least
 * its count of its class (in its colour, when it names one); each exclude item allows fewer than its
 * count of its class. An include and an exclude on the same uncoloured class make one fact with both
 * bounds ("exactly three"), so it is asked once.
 */
export function countFacts(meta: Metadata): CountFact[] {
  const facts: CountFact[] = meta.include.map((g) => ({ shape: g.class, ...(g.color ? { color: g.color } : {}), min: g.count, max: Infinity }));
  for (const ex of meta.exclude ?? []) {
    const same = facts.find((f) => f.shape === ex.class && f.color === undefined);
    if (same) same.max = Math.min(same.max, ex.count - 1);
    else facts.push({ shape: ex.class, min: 0, max: ex.count - 1 });
  }
  return facts;
}

/** True when an answer to a fact's count question states a count the fact accepts. */
export function countAccepted(fact: CountFact, answer: string): boolean {
  const n = readCount(answer);
  return n !== undefined && n >= fact.min && n <= fact.max;
}
