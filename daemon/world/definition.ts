/**
 * The shapes world's fixed vocabulary: six classes, GenEval's ten colours, four relations, counts 1-4.
 * Everything that draws, reads or talks about a scene takes its words and colours from here.
 */

export const CLASSES = ['circle', 'square', 'triangle', 'diamond', 'cross', 'ring'] as const;
export type ShapeClass = (typeof CLASSES)[number];

export const PLURALS: Readonly<Record<ShapeClass, string>> = {
  circle: 'circles',
  square: 'squares',
  triangle: 'triangles',
  diamond: 'diamonds',
  cross: 'crosses',
  ring: 'rings',
};

/** GenEval's ten colour words, in GenEval's order. */
export const COLORS = ['red', 'orange', 'yellow', 'green', 'blue', 'purple', 'pink', 'brown', 'black', 'white'] as const;
export type ColorName = (typeof COLORS)[number];

export type RGB = readonly [number, number, number];

/**
 * Pure palette colours, chosen far apart in RGB so that a nearest-colour rule reads them
 * even through noise, blur and JPEG artifacts (the closest pair, orange-yellow, is 95 apart).
 */
export const COLOR_RGB: Readonly<Record<ColorName, RGB>> = {
  red: [220, 30, 30],
  orange: [255, 140, 0],
  yellow: [250, 230, 30],
  green: [30, 160, 60],
  blue: [30, 80, 230],
  purple: [130, 40, 180],
  pink: [255, 140, 210],
  brown: [120, 70, 20],
  black: [10, 10, 10],
  white: [250, 250, 250],
};

/** A neutral mid grey: none of the ten colours, and at least 96 away from each of them. */
export const BACKGROUND_RGB: RGB = [128, 128, 128];

export const RELATIONS = ['left of', 'right of', 'above', 'below'] as const;
export type Relation = (typeof RELATIONS)[number];

export const MIN_COUNT = 1;
export const MAX_COUNT = 4;
export const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five'] as const;

/** World parameters that may change per run: the canvas side and, derived from it, the object sizes. */
export interface WorldConfig {
  /** Side of the square canvas in pixels. */
  readonly canvas: number;
}

export const DEFAULT_WORLD: WorldConfig = { canvas: 32 };

/**
 * Object sizes (side of the object's square box) run from a quarter to three eighths of the canvas:
 * 8-12 px on the default 32 px canvas, so that four objects always fit without overlapping and the
 * smallest ring still has a visible hole.
 */
export function sizeRange(world: WorldConfig): { min: number; max: number } {
  return { min: Math.max(4, Math.round(world.canvas / 4)), max: Math.max(5, Math.round((world.canvas * 3) / 8)) };
}

/**
 * Empty pixels kept between two objects' boxes: at least 3, so that no two objects touch and no
 * 4 x 4 patch ever holds pieces of two objects (which keeps the patch tokenizer lossless on every
 * truth render); more on larger canvases.
 */
export function objectGap(world: WorldConfig): number {
  return Math.max(3, Math.round((world.canvas * 3) / 32));
}

export function isShapeClass(word: string): word is ShapeClass {
  return (CLASSES as readonly string[]).includes(word);
}
export function isColorName(word: string): word is ColorName {
  return (COLORS as readonly string[]).includes(word);
}
export function isRelation(word: string): word is Relation {
  return (RELATIONS as readonly string[]).includes(word);
}

/** "a" or "an" before a word, by its first letter (every word of this world is regular). */
export function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

/** The world's definition as plain JSON, for `unirl world --json` and for other tools. */
export function describeWorld(world: WorldConfig = DEFAULT_WORLD): Record<string, unknown> {
  const sizes = sizeRange(world);
  return {
    classes: [...CLASSES],
    plurals: { ...PLURALS },
    colors: Object.fromEntries(COLORS.map((c) => [c, [...COLOR_RGB[c]]])),
    background: [...BACKGROUND_RGB],
    canvas: world.canvas,
    sizeRange: { min: sizes.min, max: sizes.max, unit: 'px, side of the object box' },
    objectGap: objectGap(world),
    relations: [...RELATIONS],
    counts: { min: MIN_COUNT, max: MAX_COUNT },
    shapes: {
      circle: 'disc filling its box',
      square: 'filled square filling its box',
      triangle: 'filled triangle, apex at the top centre, base along the bottom edge',
      diamond: 'filled square rotated 45 degrees, corners at the box edge midpoints',
      cross: 'plus sign, arms one third of the box wide (|u| <= 1/3 or |v| <= 1/3)',
      ring: 'annulus, inner radius half the outer',
    },
    coordinates:
      'pixel (x, y) belongs to a shape of box [x0, x0+s) x [y0, y0+s) when inside(u, v) with ' +
      'u = 2 (x + 0.5 - x0) / s - 1 and v = 2 (y + 0.5 - y0) / s - 1; y grows downward',
  };
}
