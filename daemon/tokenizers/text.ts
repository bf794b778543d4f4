/**
 * The text tokenizer of the world's language: one token per word or punctuation mark, over a
 * closed vocabulary built from the world's definition (every word any prompt, question or answer
 * can use), plus special tokens. Unknown words are refused by name rather than mapped to <unk>,
 * since in a closed world an unknown word is a bug in the caller.
 */
import { CLASSES, COLORS, NUMBER_WORDS, PLURALS, RELATIONS } from '../world/definition';
import { QUESTIONS } from '../world/prompts';

export const SPECIAL_TOKENS = ['<pad>', '<bos>', '<eos>', '<sep>'] as const;
export type SpecialToken = (typeof SPECIAL_TOKENS)[number];

/** Words and marks, lower-cased: "There is a circle." -> ["there", "is", "a", "circle", "."]. */
export function splitWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/([?.,])/g, ' $1 ')
    .split(/\s+/)
    .filter((w) => w.length > 0);
}

/** Joins words back into a sentence (marks attached to the word before). */
export function joinWords(words: readonly string[]): string {
  return words.join(' ').replace(/ ([?.,])/g, '$1');
}

/** A normalised form for comparing answers: lower case, single spaces, no trailing mark. */
export function normalizeAnswer(text: string): string {
  return joinWords(splitWords(text)).replace(/[?.,]$/, '');
}

function worldWords(): string[] {
  const words = new Set<string>();
  const add = (text: string): void => splitWords(text).forEach((w) => words.add(w));
  for (const c of CLASSES) add(`${c} ${PLURALS[c]}`);
  for (const c of COLORS) add(c);
  for (const r of RELATIONS) add(r);
  for (const n of NUMBER_WORDS) add(n);
  for (const q of Object.values(QUESTIONS)) add(q);
  add('a an the and is there a photo of user assistant');
  return [...words].sort();
}

export interface TextTokenizer {
  readonly vocab: readonly string[];
  readonly vocabSize: number;
  readonly pad: number;
  readonly bos: number;
  readonly eos: number;
  readonly sep: number;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
}

export function createTextTokenizer(): TextTokenizer {
  const vocab = [...SPECIAL_TOKENS, ...worldWords()];
  const index = new Map(vocab.map((w, i) => [w, i]));
  const id = (w: string): number => index.get(w)!;
  return {
    vocab,
    vocabSize: vocab.length,
    pad: id('<pad>'),
    bos: id('<bos>'),
    eos: id('<eos>'),
    sep: id('<sep>'),
    encode(text) {
      return splitWords(text).map((w) => {
        const i = index.get(w);
        if (i === undefined || i < SPECIAL_TOKENS.length) throw new Error(`the word "${w}" is not in the shapes world's vocabulary`);
        return i;
      });
    },
    decode(ids) {
      const words: string[] = [];
      for (const i of ids) {
        const w = vocab[i];
        if (w === undefined) throw new Error(`text token ${i} is outside the vocabulary (${vocab.length})`);
        if (w === '<eos>') break;
        if (w.startsWith('<')) continue;
        words.push(w);
      }
      return joinWords(words);
    },
  };
}
