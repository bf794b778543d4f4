/**
 * Legibility: a style must never draw one picture for two answers. At 6-10 px with hard edges a
 * disc, a rounded square and a slightly turned diamond can be the same few pixels, and a chunky
 * plus the same as a small diamond; no person can name such a picture, so a style that draws it
 * tests nothing (the held-out family) or teaches two answers for it, which makes a classifier
 * hedge on every picture near it (the training family).
 *
 * The rule compares a style's own pictures, never a detector's view: a PictureBook holds pictures
 * the style draws for each answer, and a new drawing whose picture lies within SAME_PICTURE of a
 * picture drawn for another answer is drawn again (drawLegibly).
 */

/** An object's coverage of each pixel (0-1), cropped to the pixels it touches. */
export interface Picture {
  width: number;
  height: number;
  cover: Float32Array;
}

/** Crops a coverage grid to its touched pixels. */
export function cropPicture(grid: { width: number; height: number; cover: Float32Array }): Picture {
  let [x0, y0, x1, y1] = [grid.width, grid.height, -1, -1];
  for (let y = 0; y < grid.height; y++) {
    for (let x = 0; x < grid.width; x++) {
      if (grid.cover[y * grid.width + x]! === 0) continue;
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  }
  if (x1 < 0) return { width: 0, height: 0, cover: new Float32Array(0) };
  const width = x1 - x0 + 1;
  const height = y1 - y0 + 1;
  const cover = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) cover[y * width + x] = grid.cover[(y0 + y) * grid.width + x0 + x]!;
  return { width, height, cover };
}

/**
 * Two pictures closer than this (summed coverage difference, in pixels) are one picture to a
 * person: a 9 px disc with hard edges is an 8 x 8 block with its corners cut, and so is a 9 px
 * rounded square; a 9 px diamond turned 8 degrees is a disc.
 */
export const SAME_PICTURE = 2;

/** Summed coverage difference; pictures of different extents are never the same picture. */
export function pictureDistance(a: Picture, b: Picture): number {
  if (a.width !== b.width || a.height !== b.height) return Infinity;
  let d = 0;
  for (let i = 0; i < a.cover.length; i++) d += Math.abs(a.cover[i]! - b.cover[i]!);
  return d;
}

/** Pictures a style draws, each with its answer, filed by extent so that a look-up compares only pictures that can be the same. */
export class PictureBook {
  private readonly byExtent = new Map<string, { answer: string; picture: Picture }[]>();

  add(answer: string, picture: Picture): void {
    const key = `${picture.width}x${picture.height}`;
    const shelf = this.byExtent.get(key) ?? [];
    shelf.push({ answer, picture });
    this.byExtent.set(key, shelf);
  }

  /** Whether the style also draws this picture (within SAME_PICTURE) for another answer. */
  drawnForAnother(answer: string, picture: Picture): boolean {
    const shelf = this.byExtent.get(`${picture.width}x${picture.height}`) ?? [];
    return shelf.some((entry) => entry.answer !== answer && pictureDistance(picture, entry.picture) < SAME_PICTURE);
  }
}

/** Drawings made through drawLegibly, how many had to be drawn again, and how many stayed illegible after every try. */
export interface LegibilityCount {
  objects: number;
  redrawn: number;
  unresolved: number;
}

export const newLegibilityCount = (): LegibilityCount => ({ objects: 0, redrawn: 0, unresolved: 0 });

/**
 * Draws until the picture is its answer's alone, up to `tries` drawings. Returns the drawing and
 * whether it is legible; after the last try the last drawing comes back counted as unresolved, for
 * the caller to keep or leave out.
 */
export function drawLegibly<D>(draw: () => D, pictureOf: (drawing: D) => Picture, answer: string, books: readonly PictureBook[], count: LegibilityCount, tries = 20): { drawing: D; legible: boolean } {
  count.objects++;
  let drawing = draw();
  for (let t = 0; t < tries; t++) {
    const picture = pictureOf(drawing);
    if (!books.some((book) => book.drawnForAnother(answer, picture))) return { drawing, legible: true };
    if (t === 0) count.redrawn++;
    if (t < tries - 1) drawing = draw();
  }
  count.unresolved++;
  return { drawing, legible: false };
}
