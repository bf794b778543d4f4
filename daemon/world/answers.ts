/**
 * Judging answers in the world's language. An answer is parsed into the facts it states and
 * compared with the facts the prompt implies, so equivalent phrasings agree: "There is a square and
 * a circle" answers "There is a circle and a square", and "The square is right of the circle"
 * answers "The circle is left of the square". That is the exact, normalised match; the graded
 * variant gives partial credit per asked attribute (class, count, colour, relation).
 */
import { CLASSES, COLORS, PLURALS, RELATIONS, type ColorName, type Relation, type ShapeClass } from './definition';
import type { Metadata } from './metadata';
import { readCount } from './counts';
import { MIRROR } from './relations';
import { combinationOf, questionAnswer } from './prompts';

export interface Verdict {
  /** Every fact right. */
  correct: boolean;
  /** Fraction of the asked attributes right, in [0, 1]. */
  graded: number;
}

const words = (text: string): string[] =>
  text
    .toLowerCase()
    .replace(/[?.,]/g, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 0);

function classesIn(ws: string[]): ShapeClass[] {
  const out: ShapeClass[] = [];
  for (const w of ws) {
    const c = CLASSES.find((k) => k === w || PLURALS[k] === w);
    if (c) out.push(c);
  }
  return out;
}
/** The classes an answer names, in order ("There is a ring and a cross": ring, cross). */
export const classesNamed = (text: string): ShapeClass[] => classesIn(words(text));

const colorsIn = (ws: string[]): ColorName[] => ws.filter((w): w is ColorName => (COLORS as readonly string[]).includes(w));

function relationIn(text: string): Relation | undefined {
  const t = ` ${words(text).join(' ')} `;
  return RELATIONS.find((r) => t.includes(` ${r} `));
}

/** Fraction of equal items between two multisets of strings (by the larger size). */
function overlap(a: readonly string[], b: readonly string[]): number {
  const rest = [...b];
  let same = 0;
  for (const x of a) {
    const i = rest.indexOf(x);
    if (i >= 0) {
      same++;
      rest.splice(i, 1);
    }
  }
  return same / Math.max(a.length, b.length, 1);
}

/** Judges a model's answer against the answer a metadata line implies. */
export function judgeAnswer(meta: Metadata, answer: string): Verdict {
  const combo = combinationOf(meta);
  const qa = questionAnswer(meta);
  if (!combo || !qa) {
    // A line outside the six templates: plain normalised string match.
    const same = qa !== undefined && words(answer).join(' ') === words(qa.answer).join(' ');
    return { correct: same, graded: same ? 1 : 0 };
  }
  const ws = words(answer);
  const classes = classesIn(ws);
  const colors = colorsIn(ws);
  const verdict = (parts: number[]): Verdict => {
    const graded = parts.reduce((a, b) => a + b, 0) / parts.length;
    return { correct: graded === 1, graded };
  };
  switch (combo.tag) {
    case 'single_object':
      return verdict([classes.length === 1 && classes[0] === combo.shape ? 1 : 0]);
    case 'two_object':
      return verdict([overlap(classes, [combo.first, combo.second])]);
    case 'counting': {
      const numberRight = readCount(answer) === combo.count ? 1 : 0;
      const classRight = classes.length === 1 && classes[0] === combo.shape ? 1 : 0;
      return verdict([numberRight, classRight]);
    }
    case 'colors':
      return verdict([colors.length === 1 && colors[0] === combo.color ? 1 : 0]);
    case 'position': {
      const rel = relationIn(answer);
      const pairRight = overlap(classes, [combo.subject, combo.target]);
      // Each object is named by its class, or, for two objects of one class told apart by colour
      // ("The red circle is left of the blue circle"), by its colour: the names' order says which is which.
      const subjectItem = meta.include.find((g) => g.position);
      const targetItem = subjectItem && meta.include[subjectItem.position![1]];
      const byColour = combo.subject === combo.target && subjectItem?.color !== undefined && targetItem?.color !== undefined;
      const [a, b] = byColour ? colors : classes;
      const [subject, target] = byColour ? [subjectItem.color, targetItem.color] : [combo.subject, combo.target];
      let relRight = 0;
      if (rel && classes.length === 2 && (!byColour || colors.length === 2)) {
        if (a === subject && b === target && rel === combo.relation) relRight = 1;
        if (a === target && b === subject && rel === MIRROR[combo.relation]) relRight = 1;
      }
      return verdict([pairRight, relRight]);
    }
    case 'color_attr': {
      // "The ring is purple and the diamond is orange": each clause pairs a class with a colour.
      const stated = answer
        .toLowerCase()
        .split(/\band\b/)
        .map((clause) => {
          const cw = words(clause);
          return `${classesIn(cw).join('+')}:${colorsIn(cw).join('+')}`;
        });
      const expected = [`${combo.first}:${combo.firstColor}`, `${combo.second}:${combo.secondColor}`];
      return verdict([overlap(classes, [combo.first, combo.second]), overlap(stated, expected)]);
    }
  }
}
