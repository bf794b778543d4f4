/**
 * The held-out family of drawing styles: a second, separate drawing program used only to score
 * the detector, never to train or tune it.
 *
 * It shares nothing with the world's renderer or the training family but the palette and the
 * scene (where objects go, from the world's scene sampler). Its geometry is its own, in pixels
 * rather than box fractions: shapes are polygons (circles as 48-gons), unions and differences of
 * polygons, filled by a point-in-polygon rasteriser: hard edges sample each pixel's centre,
 * anti-aliasing a k x k grid whose first sample sits at the pixel's corner. Ring walls and cross bars have widths
 * in pixels; triangles have their own base, height and apex; squares may have rounded corners;
 * diamonds may be taller than wide. Every setting stays within what a person still calls the
 * shape: a ring's hole is at least 40% of its diameter, a cross's arms all reach past the other
 * bar by at least 0.6 bar widths, a square's corners are rounded by at most 0.12 of its side, a
 * turn is at most 15 degrees. And a style with `legible` set never draws one picture for two
 * classes: hard edges at 8-10 px make a disc, a rounded square and a slightly turned diamond the
 * same few pixels, which no person could name, so an object whose picture the style also draws for
 * another class is drawn again with new settings (legibleDrawing; it compares pictures, it never
 * asks a detector).
 *
 * The named styles of the style table are settings of this one program (HELDOUT_STYLES).
 */
import { Rng } from '../../daemon/util/random';
import { BACKGROUND_RGB, CLASSES, COLOR_RGB, type ShapeClass } from '../../daemon/world/definition';
import type { RgbImage } from '../../daemon/world/render';
import type { Scene } from '../../daemon/world/scene';
import { cropPicture, drawLegibly, newLegibilityCount, PictureBook, type Picture } from './legibility';

export type Point = [number, number];
/** A filled area: inside `add` polygons and outside every `cut` polygon. */
export interface Figure {
  add: Point[][];
  cut: Point[][];
}

/** One held-out style: ranges the program draws each object's settings from. */
export interface HeldoutStyle {
  name: string;
  description: string;
  /** Samples per pixel side (1: hard edges). */
  samples: number;
  /** Largest turn in degrees (each object turns by a uniform draw in +-maxTurn). */
  maxTurn: number;
  /** Ring wall in pixels. */
  ringWall: [number, number];
  /** Cross bar width as a fraction of the object's side (and at least 2 px). */
  barWidth: [number, number];
  /** Largest shift of the cross's horizontal bar from the centre, as a fraction of the side (negative: up). */
  barShift: [number, number];
  /** Triangle height over side, and apex offset over half the base. */
  triangleHeight: [number, number];
  apexOffset: [number, number];
  /** Square corner radius over side. */
  cornerRadius: [number, number];
  /** Diamond width over height. */
  diamondWidth: [number, number];
  /** Object drawn at this fraction of its box side. */
  fill: [number, number];
  /** Redraw an object whose picture the style also draws for another class (legibleDrawing). */
  legible?: boolean;
}

const BASE: Omit<HeldoutStyle, 'name' | 'description'> = {
  samples: 1,
  maxTurn: 0,
  ringWall: [2, 2],
  barWidth: [0.3, 0.3],
  barShift: [0, 0],
  triangleHeight: [0.85, 0.85],
  apexOffset: [0, 0],
  cornerRadius: [0, 0],
  diamondWidth: [1, 1],
  fill: [1, 1],
};

export const HELDOUT_STYLES: readonly HeldoutStyle[] = [
  {
    ...BASE,
    name: 'plain',
    description: 'hard edges; rings with 2 px walls; plus-sign crosses with centred bars 0.3 of the side; triangles 0.85 as high as wide',
  },
  {
    ...BASE,
    name: 'anti-aliased',
    description: 'as plain, with 4 x 4 coverage anti-aliasing',
    samples: 4,
  },
  {
    ...BASE,
    name: 'thin',
    description: 'anti-aliased; rings with 1.5 px walls; bars 0.2 of the side (at least 2 px); triangles 0.75 high',
    samples: 4,
    ringWall: [1.5, 1.5],
    barWidth: [0.2, 0.2],
    triangleHeight: [0.75, 0.75],
  },
  {
    ...BASE,
    name: 'bold',
    description: 'hard edges; ring walls 3 px (hole at least 40% of the diameter); bars 0.42 of the side; triangles as high as wide',
    ringWall: [3, 3],
    barWidth: [0.42, 0.42],
    triangleHeight: [1, 1],
  },
  {
    ...BASE,
    name: 'tilted',
    description: 'anti-aliased, every object turned by up to 15 degrees',
    samples: 4,
    maxTurn: 15,
  },
  {
    ...BASE,
    name: 'varied',
    description:
      'every setting drawn per object: hard or anti-aliased, turns up to 10 degrees, walls 1.5-3 px, bars 0.2-0.42 shifted up to 0.2 of the side (every arm kept), ' +
      'triangles 0.75-1 high with the apex up to half the base off centre, square corners rounded up to 0.12 of the side, diamonds 0.7-1 as wide as high, objects 85-100% of their box',
    samples: 0,
    maxTurn: 10,
    ringWall: [1.5, 3],
    barWidth: [0.2, 0.42],
    barShift: [-0.2, 0.1],
    triangleHeight: [0.75, 1],
    apexOffset: [-0.5, 0.5],
    cornerRadius: [0, 0.12],
    diamondWidth: [0.7, 1],
    fill: [0.85, 1],
    legible: true,
  },
];

export function heldoutStyle(name: string): HeldoutStyle {
  const style = HELDOUT_STYLES.find((s) => s.name === name);
  if (!style) throw new Error(`no held-out style "${name}" (known: ${HELDOUT_STYLES.map((s) => s.name).join(', ')})`);
  return style;
}

const between = (rng: Rng, [lo, hi]: [number, number]): number => (lo === hi ? lo : lo + (hi - lo) * rng.float());

export function regularPolygon(cx: number, cy: number, r: number, corners = 48): Point[] {
  return Array.from({ length: corners }, (_, i) => {
    const t = (2 * Math.PI * i) / corners;
    return [cx + r * Math.cos(t), cy + r * Math.sin(t)] as Point;
  });
}

export function rectangle(x0: number, y0: number, x1: number, y1: number): Point[] {
  return [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
  ];
}

function roundedSquare(cx: number, cy: number, half: number, radius: number): Point[] {
  if (radius <= 0) return rectangle(cx - half, cy - half, cx + half, cy + half);
  const points: Point[] = [];
  const corners: Point[] = [
    [cx + half - radius, cy - half + radius],
    [cx + half - radius, cy + half - radius],
    [cx - half + radius, cy + half - radius],
    [cx - half + radius, cy - half + radius],
  ];
  corners.forEach(([x, y], c) => {
    for (let i = 0; i <= 6; i++) {
      const t = -Math.PI / 2 + (c + i / 6) * (Math.PI / 2);
      points.push([x + radius * Math.cos(t), y + radius * Math.sin(t)]);
    }
  });
  return points;
}

/** One shape as a figure, in pixels, centred at (cx, cy) with box side `side`, before any turn. */
export function figureOf(shape: ShapeClass, cx: number, cy: number, side: number, style: HeldoutStyle, rng: Rng): Figure {
  const s = side * between(rng, style.fill);
  const half = s / 2;
  switch (shape) {
    case 'circle':
      return { add: [regularPolygon(cx, cy, half)], cut: [] };
    case 'square':
      return { add: [roundedSquare(cx, cy, half, between(rng, style.cornerRadius) * s)], cut: [] };
    case 'triangle': {
      const height = between(rng, style.triangleHeight) * s;
      const apex = cx + between(rng, style.apexOffset) * half;
      return {
        add: [
          [
            [cx - half, cy + height / 2],
            [cx + half, cy + height / 2],
            [apex, cy - height / 2],
          ],
        ],
        cut: [],
      };
    }
    case 'diamond': {
      const w = half * between(rng, style.diamondWidth);
      return {
        add: [
          [
            [cx, cy - half],
            [cx + w, cy],
            [cx, cy + half],
            [cx - w, cy],
          ],
        ],
        cut: [],
      };
    }
    case 'cross': {
      const bar = Math.max(2, between(rng, style.barWidth) * s);
      // Every arm sticks out past the other bar by at least 0.6 bar widths (else it reads as a T).
      const room = Math.max(0, half - bar / 2 - 0.6 * bar);
      const shift = Math.max(-room, Math.min(room, between(rng, style.barShift) * s));
      return {
        add: [
          rectangle(cx - bar / 2, cy - half, cx + bar / 2, cy + half),
          rectangle(cx - half, cy + shift - bar / 2, cx + half, cy + shift + bar / 2),
        ],
        cut: [],
      };
    }
    case 'ring': {
      const wall = Math.min(between(rng, style.ringWall), 0.6 * half);
      return { add: [regularPolygon(cx, cy, half)], cut: [regularPolygon(cx, cy, half - wall)] };
    }
  }
}

/** Even-odd point-in-polygon. */
export function insidePolygon(poly: Point[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function turn(figure: Figure, cx: number, cy: number, angle: number): Figure {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const move = (poly: Point[]): Point[] => poly.map(([x, y]) => [cx + c * (x - cx) - s * (y - cy), cy + s * (x - cx) + c * (y - cy)] as Point);
  return { add: figure.add.map(move), cut: figure.cut.map(move) };
}

/** A figure's coverage of each pixel (0-1) over its own clip of the canvas: sampled at each pixel's centre, or on a k x k grid from its corner. */
export function coverage(figure: Figure, canvas: number, samples: number): { x0: number; y0: number; width: number; height: number; cover: Float32Array } {
  const all = figure.add.flat();
  const x0 = Math.max(0, Math.floor(Math.min(...all.map((p) => p[0]))));
  const x1 = Math.min(canvas - 1, Math.ceil(Math.max(...all.map((p) => p[0]))));
  const y0 = Math.max(0, Math.floor(Math.min(...all.map((p) => p[1]))));
  const y1 = Math.min(canvas - 1, Math.ceil(Math.max(...all.map((p) => p[1]))));
  const width = x1 - x0 + 1;
  const height = y1 - y0 + 1;
  const cover = new Float32Array(width * height);
  const step = 1 / samples;
  // Hard edges sample the pixel's centre; coverage samples a grid from its corner.
  const first = samples === 1 ? 0.5 : 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      let hits = 0;
      for (let j = 0; j < samples; j++) {
        for (let i = 0; i < samples; i++) {
          const px = x + first + i * step;
          const py = y + first + j * step;
          if (figure.add.some((p) => insidePolygon(p, px, py)) && !figure.cut.some((p) => insidePolygon(p, px, py))) hits++;
        }
      }
      cover[(y - y0) * width + (x - x0)] = hits / (samples * samples);
    }
  }
  return { x0, y0, width, height, cover };
}

/** Paints a figure, colour blended by coverage. */
export function paint(image: RgbImage, figure: Figure, rgb: readonly number[], samples: number): void {
  const { x0, y0, width, height, cover } = coverage(figure, image.width, samples);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const a = cover[y * width + x]!;
      if (a === 0) continue;
      const at = ((y0 + y) * image.width + x0 + x) * 3;
      for (let k = 0; k < 3; k++) image.data[at + k] = Math.round(a * rgb[k]! + (1 - a) * image.data[at + k]!);
    }
  }
}

/** A drawn object: its figure and how it is sampled. */
interface Drawing {
  figure: Figure;
  samples: number;
}

/** One object's settings drawn from the style, in its box (centre cx, cy, side `size`). */
function drawObject(shape: ShapeClass, cx: number, cy: number, size: number, style: HeldoutStyle, rng: Rng): Drawing {
  const angle = ((rng.float() * 2 - 1) * style.maxTurn * Math.PI) / 180;
  const samples = style.samples > 0 ? style.samples : rng.float() < 0.5 ? 1 : 4;
  return { figure: turn(figureOf(shape, cx, cy, size, style, rng), cx, cy, angle), samples };
}

function pictureOf({ figure, samples }: Drawing, canvas: number): Picture {
  return cropPicture(coverage(figure, canvas, samples));
}

/** Pictures the style draws for each class in a box of one size (one fixed sampling, so the set is the style's, not the scene's). */
const LIBRARY_DRAWS = 400;
const libraries = new Map<string, PictureBook>();

function library(style: HeldoutStyle, size: number): PictureBook {
  const key = `${style.name}/${size}`;
  const known = libraries.get(key);
  if (known) return known;
  const rng = new Rng(1000 + size);
  // The box's corner on whole pixels, as renderHeldout places it, so the centre's fraction is size's.
  const c = 2 + size / 2;
  const book = new PictureBook();
  for (const shape of CLASSES) for (let i = 0; i < LIBRARY_DRAWS; i++) book.add(shape, pictureOf(drawObject(shape, c, c, size, style, rng), size + 4));
  libraries.set(key, book);
  return book;
}

/** Box sizes whose drawings can have the same extent as one in a box of `size` (objects fill 85-100% of their box, turned a little). */
const NEAR_SIZES = 4;

/** Objects drawn legibly, how many had to be drawn again (the style table reports it), and how many stayed illegible after every try. */
export const legibility = newLegibilityCount();

/**
 * Draws one object so that its picture is its class's alone: settings whose picture the same
 * style also draws (within SAME_PICTURE, in a box of any near size) for another class are drawn
 * again (legibility.ts). It reads only the style's own pictures, never a detector.
 */
function legibleDrawing(shape: ShapeClass, cx: number, cy: number, size: number, style: HeldoutStyle, canvas: number, rng: Rng): Drawing {
  const books: PictureBook[] = [];
  for (let s = Math.max(2, size - NEAR_SIZES); s <= size + NEAR_SIZES; s++) books.push(library(style, s));
  // An object still illegible after every try is drawn anyway (the style table counts them: none so far).
  return drawLegibly(() => drawObject(shape, cx, cy, size, style, rng), (d) => pictureOf(d, canvas), shape, books, legibility).drawing;
}

/** A scene drawn in a held-out style: each object in its box, with this program's geometry. */
export function renderHeldout(scene: Scene, canvas: number, style: HeldoutStyle, rng: Rng): RgbImage {
  const data = new Uint8Array(canvas * canvas * 3);
  for (let i = 0; i < canvas * canvas; i++) data.set(BACKGROUND_RGB, i * 3);
  const image = { width: canvas, height: canvas, data };
  for (const obj of scene.objects) {
    // The box as the world places it (whole pixels), its centre in continuous coordinates.
    const x0 = Math.round(obj.center[0] - obj.size / 2);
    const y0 = Math.round(obj.center[1] - obj.size / 2);
    const { figure, samples } = style.legible
      ? legibleDrawing(obj.shape, x0 + obj.size / 2, y0 + obj.size / 2, obj.size, style, canvas, rng)
      : drawObject(obj.shape, x0 + obj.size / 2, y0 + obj.size / 2, obj.size, style, rng);
    paint(image, figure, COLOR_RGB[obj.color], samples);
  }
  return image;
}
