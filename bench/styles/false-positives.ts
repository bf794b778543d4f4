/**
 * Images that should not yield objects, or that test where objects end: noise alone, a single
 * lumpy blob, fragments of shapes, and two shapes of one colour that touch. Each comes with the
 * GenEval prompts to judge it by and the verdict a person would give.
 *
 * Drawn with the held-out program (heldout-family.ts), never with the training family, whose own
 * "none" shapes (blobs, fragments, touching pairs) are generated differently.
 */
import { Rng } from '../../daemon/util/random';
import { CLASSES, COLOR_RGB, COLORS, PLURALS, type ShapeClass } from '../../daemon/world/definition';
import type { Metadata } from '../../daemon/world/metadata';
import { metadataFor } from '../../daemon/world/prompts';
import type { RgbImage } from '../../daemon/world/render';
import { bilinearUpscale, gaussianNoise, speckles } from '../degrade';
import { figureOf, heldoutStyle, insidePolygon, paint, regularPolygon, turn, type Figure, type Point } from './heldout-family';
import { blankCanvas } from './training-family';

export interface Question {
  meta: Metadata;
  /** The verdict a person would give this image for this prompt (undefined: people would differ). */
  person: boolean | undefined;
}

export interface FalsePositiveCase {
  name: string;
  /** Which prompt family the questions ask, for the table. */
  asks: string;
  make: (rng: Rng) => { image: RgbImage; questions: Question[] };
}

const CANVAS = 32;
const style = heldoutStyle('varied');
const single = (shape: ShapeClass, person: boolean): Question => ({ meta: metadataFor({ tag: 'single_object', shape }), person });
const everyClass = (): Question[] => CLASSES.map((s) => single(s, false));

function place(rng: Rng, size: number): [number, number] {
  return [rng.int(1, CANVAS - size - 1) + size / 2, rng.int(1, CANVAS - size - 1) + size / 2];
}

/** Fraction of a figure's area on the kept side of a cut, found by sampling every quarter pixel. */
function keptFraction(figure: Figure, keep: (x: number, y: number) => boolean): number {
  let inside = 0;
  let kept = 0;
  for (let y = 0; y < CANVAS; y += 0.25) {
    for (let x = 0; x < CANVAS; x += 0.25) {
      if (!figure.add.some((p) => insidePolygon(p, x, y)) || figure.cut.some((p) => insidePolygon(p, x, y))) continue;
      inside++;
      if (keep(x, y)) kept++;
    }
  }
  return kept / Math.max(1, inside);
}

/**
 * A shape of the held-out program cut by a straight line that keeps 40-65% of it, and how many of
 * its outline's corners the kept side holds (a triangle keeping one corner is a smaller triangle).
 */
function fragment(shape: ShapeClass, rng: Rng): { image: RgbImage; keptCorners: number } {
  const size = rng.int(9, 12);
  const [cx, cy] = place(rng, size);
  const figure = turn(figureOf(shape, cx, cy, size, style, rng), cx, cy, 0);
  const t = rng.float() * 2 * Math.PI;
  const [nx, ny] = [Math.cos(t), Math.sin(t)];
  const target = 0.4 + 0.25 * rng.float();
  // Bisection on the line's offset from the centre.
  let lo = -size;
  let hi = size;
  for (let i = 0; i < 20; i++) {
    const mid = (lo + hi) / 2;
    if (keptFraction(figure, (x, y) => (x - cx) * nx + (y - cy) * ny <= mid) < target) lo = mid;
    else hi = mid;
  }
  const offset = (lo + hi) / 2;
  const keptCorners = figure.add.flat().filter(([x, y]) => (x - cx) * nx + (y - cy) * ny <= offset).length;
  // The cut: a large rectangle beyond the line.
  const far = 4 * size;
  const along: Point = [-ny, nx];
  const base: Point = [cx + nx * offset, cy + ny * offset];
  const cut: Point[] = [
    [base[0] + along[0] * far, base[1] + along[1] * far],
    [base[0] + along[0] * far + nx * far, base[1] + along[1] * far + ny * far],
    [base[0] - along[0] * far + nx * far, base[1] - along[1] * far + ny * far],
    [base[0] - along[0] * far, base[1] - along[1] * far],
  ];
  const image = blankCanvas(CANVAS);
  paint(image, { add: figure.add, cut: [...figure.cut, cut] }, COLOR_RGB[rng.pick(COLORS)], rng.float() < 0.5 ? 1 : 4);
  return { image, keptCorners };
}

/**
 * A triangle cut by a straight line is a smaller triangle when the kept side holds one of its
 * corners (a person would say yes to "a photo of a triangle") and four-cornered when it holds two
 * (a person would say no): drawn until the cut is of the kind asked for.
 */
function cutTriangle(keptCorners: 1 | 2, rng: Rng): RgbImage {
  // Either kind comes up about half the time; a thousand misses would mean the cut is broken.
  for (let attempt = 0; attempt < 1000; attempt++) {
    const cut = fragment('triangle', rng);
    if (cut.keptCorners === keptCorners) return cut.image;
  }
  throw new Error(`no straight cut of a triangle kept ${keptCorners} corner(s) in 1000 tries`);
}

/** Three or four ellipses of one colour whose centres are spread apart: lumpy, not round. */
function blob(rng: Rng): RgbImage {
  const size = rng.int(9, 12);
  const [cx, cy] = place(rng, size);
  const parts = rng.int(3, 4);
  const add: Point[][] = [];
  const start = rng.float() * 2 * Math.PI;
  for (let k = 0; k < parts; k++) {
    const a = start + (2 * Math.PI * k) / parts + 0.6 * (rng.float() - 0.5);
    const d = size * (0.18 + 0.12 * rng.float());
    const r = size * (0.2 + 0.12 * rng.float());
    const stretch = 0.7 + 0.6 * rng.float();
    add.push(regularPolygon(0, 0, r, 24).map(([x, y]) => [cx + d * Math.cos(a) + x * stretch, cy + d * Math.sin(a) + y / stretch] as Point));
  }
  const image = blankCanvas(CANVAS);
  paint(image, { add, cut: [] }, COLOR_RGB[rng.pick(COLORS)], rng.float() < 0.5 ? 1 : 4);
  return image;
}

/** Two shapes of one colour whose boxes touch (0 or 1 px overlap), side by side or stacked. */
function touching(first: ShapeClass, second: ShapeClass, rng: Rng): RgbImage {
  const size = rng.int(8, 11);
  const overlap = rng.int(0, 1);
  const horizontal = rng.float() < 0.5;
  const w = horizontal ? 2 * size - overlap : size;
  const h = horizontal ? size : 2 * size - overlap;
  const x0 = rng.int(1, CANVAS - w - 1);
  const y0 = rng.int(1, CANVAS - h - 1);
  const centres: [number, number][] = horizontal
    ? [[x0 + size / 2, y0 + size / 2], [x0 + size - overlap + size / 2, y0 + size / 2]]
    : [[x0 + size / 2, y0 + size / 2], [x0 + size / 2, y0 + size - overlap + size / 2]];
  const rgb = COLOR_RGB[rng.pick(COLORS)];
  const image = blankCanvas(CANVAS);
  const samples = rng.float() < 0.5 ? 1 : 4;
  // Full-size shapes, so that they really touch.
  const full = { ...style, fill: [1, 1] as [number, number] };
  [first, second].forEach((shape, k) => paint(image, figureOf(shape, centres[k]![0], centres[k]![1], size, full, rng), rgb, samples));
  return image;
}

export const FALSE_POSITIVE_CASES: readonly FalsePositiveCase[] = [
  { name: 'noise: gaussian sigma 50 on grey', asks: 'a photo of a X, every class', make: (rng) => ({ image: gaussianNoise(blankCanvas(CANVAS), 50, rng), questions: everyClass() }) },
  {
    name: 'noise: uniform random pixels',
    asks: 'a photo of a X, every class',
    make: (rng) => {
      const image = blankCanvas(CANVAS);
      for (let i = 0; i < image.data.length; i++) image.data[i] = rng.int(0, 255);
      return { image, questions: everyClass() };
    },
  },
  { name: 'noise: speckles 10%', asks: 'a photo of a X, every class', make: (rng) => ({ image: speckles(blankCanvas(CANVAS), 0.1, rng), questions: everyClass() }) },
  { name: 'noise: uniform random 8x8 blocks, 4x upscaled', asks: 'a photo of a X, every class', make: (rng) => {
    const small = blankCanvas(8);
    for (let i = 0; i < small.data.length; i++) small.data[i] = rng.int(0, 255);
    return { image: bilinearUpscale(small, 4), questions: everyClass() };
  } },
  { name: 'a single lumpy blob', asks: 'a photo of a X, every class', make: (rng) => ({ image: blob(rng), questions: everyClass() }) },
  ...CLASSES.filter((shape) => shape !== 'triangle').map((shape) => ({
    name: `a fragment (40-65%) of a ${shape}`,
    asks: `a photo of a ${shape}`,
    make: (rng: Rng) => ({ image: fragment(shape, rng).image, questions: [single(shape, false)] }),
  })),
  { name: 'a fragment (40-65%) of a triangle: a smaller triangle', asks: 'a photo of a triangle', make: (rng: Rng) => ({ image: cutTriangle(1, rng), questions: [single('triangle', true)] }) },
  { name: 'a fragment (40-65%) of a triangle: four corners', asks: 'a photo of a triangle', make: (rng: Rng) => ({ image: cutTriangle(2, rng), questions: [single('triangle', false)] }) },
  ...CLASSES.map((shape) => ({
    name: `two ${PLURALS[shape]} of one colour, touching`,
    asks: `a photo of two ${PLURALS[shape]}`,
    // Two squares side by side make a rectangle: people would differ on that one.
    make: (rng: Rng) => ({ image: touching(shape, shape, rng), questions: [{ meta: metadataFor({ tag: 'counting', shape, count: 2 }), person: shape === 'square' ? undefined : true }] }),
  })),
  {
    name: 'two different shapes of one colour, touching',
    asks: 'a photo of a X and a Y',
    make: (rng: Rng) => {
      const [first, second] = rng.shuffle(CLASSES);
      return { image: touching(first!, second!, rng), questions: [{ meta: metadataFor({ tag: 'two_object', first: first!, second: second! }), person: true }] };
    },
  },
];
