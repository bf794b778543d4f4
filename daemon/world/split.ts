/**
 * The held-out split: a fixed, seeded subset of the compositional combinations that no training
 * stage ever sees, so that GenEval here measures generalisation to unseen combinations.
 *
 * A combination is held out together with its mirror phrasings: "a circle and a square" with
 * "a square and a circle", "a circle left of a square" with "a square right of a circle", and
 * colour pairs in either order, so training never sees the same scene under other words.
 */
import { Rng } from '../util/random';
import { CLASSES, COLORS, RELATIONS } from './definition';
import { MIRROR } from './relations';
import type { Metadata } from './metadata';
import type { Combination } from './prompts';

/** Fixed forever: changing it changes what every committed evaluation measured. */
export const SPLIT_SEED = 20250529;
/** Fractions of each compositional tag's equivalence classes that are held out. */
export const HELD_OUT_FRACTION = { two_object: 1 / 3, position: 1 / 4, color_attr: 1 / 4 } as const;

/** The split key of a combination, shared by all its mirror phrasings; undefined for tags that are not split. */
export function combinationKey(c: Combination): string | undefined {
  switch (c.tag) {
    case 'two_object':
      return `two_object:${[c.first, c.second].sort().join('+')}`;
    case 'position': {
      // Canonical phrasing: relation "left of" or "above".
      const flip = c.relation === 'right of' || c.relation === 'below';
      const [s, r, t] = flip ? [c.target, MIRROR[c.relation], c.subject] : [c.subject, c.relation, c.target];
      return `position:${s}|${r}|${t}`;
    }
    case 'color_attr':
      return `color_attr:${[`${c.firstColor} ${c.first}`, `${c.secondColor} ${c.second}`].sort().join('+')}`;
    default:
      return undefined;
  }
}

function allKeys(tag: keyof typeof HELD_OUT_FRACTION): string[] {
  const keys = new Set<string>();
  for (const x of CLASSES) {
    for (const y of CLASSES) {
      if (x === y) continue;
      if (tag === 'two_object') keys.add(combinationKey({ tag, first: x, second: y })!);
      if (tag === 'position') for (const relation of RELATIONS) keys.add(combinationKey({ tag, subject: x, relation, target: y })!);
      if (tag === 'color_attr') {
        for (const cx of COLORS) {
          for (const cy of COLORS) {
            if (cx !== cy) keys.add(combinationKey({ tag, first: x, firstColor: cx, second: y, secondColor: cy })!);
          }
        }
      }
    }
  }
  return [...keys].sort();
}

function buildHeldOut(): ReadonlySet<string> {
  const held = new Set<string>();
  const rng = new Rng(SPLIT_SEED);
  for (const tag of ['two_object', 'position', 'color_attr'] as const) {
    const keys = rng.shuffle(allKeys(tag));
    const n = Math.round(keys.length * HELD_OUT_FRACTION[tag]);
    for (const key of keys.slice(0, n)) held.add(key);
  }
  return held;
}

let heldOut: ReadonlySet<string> | undefined;

/** The held-out keys (computed once; deterministic). */
export function heldOutKeys(): ReadonlySet<string> {
  heldOut ??= buildHeldOut();
  return heldOut;
}

export function isHeldOutKey(key: string): boolean {
  return heldOutKeys().has(key);
}

/**
 * The keys a metadata line touches, read from its structure whatever its tag says: a positioned
 * pair is a position triple, a pair of coloured groups a colour quadruple, any other pair of
 * groups a two-object pair. A training sampler refuses a line when any of them is held out.
 */
export function metadataKeys(meta: Metadata): string[] {
  const keys: string[] = [];
  const inc = meta.include;
  for (let i = 0; i < inc.length; i++) {
    for (let j = i + 1; j < inc.length; j++) {
      const x = inc[i]!;
      const y = inc[j]!;
      if (x.class === y.class) continue;
      const positioned = x.position?.[1] === j ? ([x, y] as const) : y.position?.[1] === i ? ([y, x] as const) : undefined;
      if (positioned) {
        const [subject, target] = positioned;
        keys.push(combinationKey({ tag: 'position', subject: subject.class, relation: subject.position![0], target: target.class })!);
      } else if (x.color && y.color) {
        keys.push(combinationKey({ tag: 'color_attr', first: x.class, firstColor: x.color, second: y.class, secondColor: y.color })!);
      } else {
        keys.push(combinationKey({ tag: 'two_object', first: x.class, second: y.class })!);
      }
    }
  }
  return keys;
}

/** True when a metadata line touches any held-out combination. */
export function touchesHeldOut(meta: Metadata): boolean {
  return metadataKeys(meta).some(isHeldOutKey);
}
