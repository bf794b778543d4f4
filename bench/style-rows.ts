/**
 * The rows of the style table: the world's renders, the training family and every held-out style
 * and drawing program, each a way to draw a scene. One list, read by the style table
 * (detector-styles.ts) and the viewer study (viewer-study.ts). A new held-out program is a new row
 * here, committed before its first score.
 */
import { Rng } from '../daemon/util/random';
import { DEFAULT_WORLD, objectBox, renderScene, sampleScene, type Metadata, type RgbImage, type Scene } from '../daemon/world';
import { jpegRoundTrip } from './degrade';
import { HELDOUT_STYLES, renderHeldout } from './styles/heldout-family';
import { renderBrush } from './styles/brush-family';
import { renderMarker } from './styles/marker-family';
import { renderPaint } from './styles/paint-family';
import { renderFiltered } from './styles/filtered-family';
import { renderPixelart } from './styles/pixelart-family';
import { renderPolygon } from './styles/polygon-family';
import { renderSdf } from './styles/sdf-family';
import { renderVector } from './styles/vector-family';
import { blankCanvas, drawObjects, familyObject } from './styles/training-family';

export interface StyleRow {
  name: string;
  heldOut: boolean;
  draw: (scene: Scene, rng: Rng) => RgbImage;
}

const canvas = DEFAULT_WORLD.canvas;
export const STYLE_ROWS: readonly StyleRow[] = [
  { name: "world's renders", heldOut: false, draw: (scene) => renderScene(scene, DEFAULT_WORLD) },
  {
    name: 'training family (in distribution)',
    heldOut: false,
    draw: (scene, rng) => {
      const image = blankCanvas(canvas);
      drawObjects(image, scene.objects.map((o) => familyObject({ kind: o.shape, color: o.color, cx: objectBox(o)[0] + o.size / 2, cy: objectBox(o)[1] + o.size / 2, size: o.size }, rng)));
      return image;
    },
  },
  ...HELDOUT_STYLES.map((style) => ({ name: `held out: ${style.name}`, heldOut: true, draw: (scene: Scene, rng: Rng) => renderHeldout(scene, canvas, style, rng) })),
  { name: 'held out: varied, JPEG 75', heldOut: true, draw: (scene: Scene, rng: Rng) => jpegRoundTrip(renderHeldout(scene, canvas, HELDOUT_STYLES.at(-1)!, rng), 75) },
  // A third program, written after the detector was fixed and scored once (styles/sdf-family.ts).
  { name: 'held out: distance fields (a third program)', heldOut: true, draw: (scene: Scene, rng: Rng) => renderSdf(scene, canvas, rng) },
  // A fourth, written apart from any detector in session 18 and first scored in session 19 with the
  // committed weights and with those retrained on the fixed training family (styles/polygon-family.ts).
  { name: 'held out: exact-area polygons (a fourth program)', heldOut: true, draw: (scene: Scene, rng: Rng) => renderPolygon(scene, canvas, rng) },
  // A fifth, written in session 20 by a session that never ran a detector nor read how one reads
  // shapes, first scored after the sub-pixel outline's weights were fixed (styles/filtered-family.ts).
  { name: 'held out: Lanczos-filtered bitmaps (a fifth program)', heldOut: true, draw: (scene: Scene, rng: Rng) => renderFiltered(scene, canvas, rng) },
  // A sixth, written in session 30 by a session that never read detector code, first scored with
  // the committed weights and two retrained candidates, after their rules were set (styles/pixelart-family.ts).
  { name: 'held out: pixel art (a sixth program)', heldOut: true, draw: (scene: Scene, rng: Rng) => renderPixelart(scene, canvas, rng) },
  // A seventh, written in session 33 by a session that never read detector or training-family code,
  // first scored with the committed weights and candidate 7 after its rule was set (styles/vector-family.ts).
  { name: 'held out: vector paths (a seventh program)', heldOut: true, draw: (scene: Scene, rng: Rng) => renderVector(scene, canvas, rng) },
  // An eighth, written in session 33 by a session that read no detector, family or other style code,
  // to a brief written after the seventh's failures were known (triangles pointing four ways, thin to
  // thick walls): not blind to them (styles/brush-family.ts).
  { name: 'held out: round brush (an eighth program)', heldOut: true, draw: (scene: Scene, rng: Rng) => renderBrush(scene, canvas, rng) },
  // A ninth, written in session 41 by a session that read no detector, family or other style code
  // (felt-marker outlines, gamma-correct anti-aliasing), first scored with the installed detector
  // (candidate 45) after it was adopted (styles/marker-family.ts).
  { name: 'held out: felt marker (a ninth program)', heldOut: true, draw: (scene: Scene, rng: Rng) => renderMarker(scene, canvas, rng) },
  // A tenth, written in session 42 by a session that read no detector, family or other style code
  // (an old paint program: corners snapped to whole pixels, scanline-filled, hard edges), first
  // scored after candidate 46's decision, with it and the installed detector (styles/paint-family.ts).
  { name: 'held out: old paint program (a tenth program)', heldOut: true, draw: (scene: Scene, rng: Rng) => renderPaint(scene, canvas, rng) },
];

/** Every scene of the prompts (n a prompt, drawn from `seed`) in the row's style. */
export function forEachImage(row: StyleRow, prompts: readonly Metadata[], n: number, seed: number, visit: (meta: Metadata, scene: Scene, image: RgbImage) => void): void {
  const rng = new Rng(seed);
  prompts.forEach((meta) => {
    for (let k = 0; k < n; k++) {
      const scene = sampleScene(meta, DEFAULT_WORLD, rng);
      visit(meta, scene, row.draw(scene, rng));
    }
  });
}

/** "1-6" or "1,3,5" (or both, "1-3,7") as the scene seeds they name. */
export function parseSeeds(text: string): number[] {
  const seeds = text.split(',').flatMap((part) => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`--seeds: "${part}" is not a seed or a range of seeds (say 1-6 or 1,2,3)`);
    const [from, to] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (to < from || to - from > 1000) throw new Error(`--seeds: "${part}" is not a range of at most 1,000 seeds`);
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
  return [...new Set(seeds)];
}

/** The rows whose names contain one of the words (every row without words); an error names a word no row has. */
export function selectRows(words: readonly string[] | undefined, option = '--rows'): StyleRow[] {
  if (!words) return [...STYLE_ROWS];
  const unknown = words.filter((w) => !STYLE_ROWS.some((r) => r.name.includes(w)));
  if (unknown.length > 0) throw new Error(`${option}: no row's name contains ${unknown.map((w) => `"${w}"`).join(', ')} (rows: ${STYLE_ROWS.map((r) => r.name).join('; ')})`);
  return STYLE_ROWS.filter((r) => words.some((w) => r.name.includes(w)));
}
