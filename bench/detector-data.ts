/**
 * Labelled regions for the shape classifier: scenes of the training family (bench/styles/
 * training-family.ts), degraded at random, segmented exactly as the detector segments them, each
 * region labelled with what it is: the class of the object it is the main piece of, or "none" (a
 * blob, a fragment, two shapes merged where they touch, a speck of noise, a small piece of a
 * broken object).
 * The main piece of an object that a degradation changed too much (overlap with the object as
 * drawn below 0.7) is left out: taught either way, it would make the classifier hedge on clean
 * shapes.
 */
import { describeRegion, DESCRIPTOR_LENGTH, findRegions, OUTPUTS, quarterTurned, type Region } from '../daemon/geneval';
import { Rng } from '../daemon/util/random';
import { COLOR_RGB, COLORS } from '../daemon/world';
import type { RgbImage } from '../daemon/world/render';
import { bilinearUpscale, gaussianBlur, gaussianNoise, jpegRoundTrip, speckles } from './degrade';
import type { Dataset } from './mlp';
import { blankCanvas, trainingScene } from './styles/training-family';

const NONE = OUTPUTS.indexOf('none');

/** A random degradation of the kinds generated images suffer; returns the image and its scale. */
function degrade(image: RgbImage, rng: Rng, mayUpscale: boolean): { image: RgbImage; scale: number } {
  // JPEG is the rarest only because jpeg-js builds its tables for every image (0.1 s each).
  const r = rng.float() * (mayUpscale ? 1 : 0.85);
  if (r < 0.25) return { image: gaussianNoise(image, 3 + 27 * rng.float(), rng), scale: 1 };
  if (r < 0.42) return { image: speckles(image, 0.01 + 0.05 * rng.float(), rng), scale: 1 };
  if (r < 0.7) return { image: gaussianBlur(image, 0.3 + 0.6 * rng.float()), scale: 1 };
  if (r < 0.85) return { image: jpegRoundTrip(image, rng.int(40, 95)), scale: 1 };
  const up = bilinearUpscale(image, 4);
  return { image: rng.float() < 0.5 ? jpegRoundTrip(up, rng.int(60, 95)) : up, scale: 4 };
}

/**
 * Blocky noise: a grid of 2-3 px cells, each painted at random in a palette colour or left as
 * background, sometimes blurred. Cells of one colour that touch make staircase blobs, which are
 * lopsided and, read turned heavier end down, look like small triangles: they are no class.
 */
function blockyNoise(rng: Rng): RgbImage {
  const image = blankCanvas(32);
  const cell = rng.int(2, 3);
  const painted = 0.3 + 0.4 * rng.float();
  // A few colours an image, so that neighbouring cells often share one.
  const colours = Array.from({ length: rng.int(1, 3) }, () => COLOR_RGB[rng.pick(COLORS)]);
  for (let cy = 0; cy < 32; cy += cell) {
    for (let cx = 0; cx < 32; cx += cell) {
      if (rng.float() >= painted) continue;
      const rgb = rng.pick(colours);
      for (let y = cy; y < Math.min(32, cy + cell); y++) for (let x = cx; x < Math.min(32, cx + cell); x++) image.data.set(rgb, (y * 32 + x) * 3);
    }
  }
  return rng.float() < 0.5 ? gaussianBlur(image, 0.4 + 0.5 * rng.float()) : image;
}

/** An image of noise alone: every region in it is "none". With `blocky`, a third of them are blockyNoise. */
function noiseImage(rng: Rng, blocky: boolean): RgbImage {
  if (blocky && rng.float() < 1 / 3) return blockyNoise(rng);
  const blank = blankCanvas(32);
  return rng.float() < 0.5 ? gaussianNoise(blank, 30 + 40 * rng.float(), rng) : speckles(blank, 0.05 + 0.15 * rng.float(), rng);
}

export interface DataOptions {
  scenes: number;
  seed: number;
  /** Share of class objects drawn exactly as the world does. */
  worldShare: number;
  /** Share of objects that are no class. */
  noneShare: number;
  /** Share of images that are noise alone. */
  noiseShare: number;
  /** Share of scenes degraded (noise, speckles, blur, JPEG or 4x upscaling); the rest stay as drawn. */
  degradedShare: number;
  /** Draw no picture for two answers (trainingScene's `legible`). */
  legible?: boolean;
  /** Point 40% of triangles down, left or right (trainingScene's `trianglesFourWays`). */
  trianglesFourWays?: boolean;
  /** A third of the noise-only images blocky (blockyNoise). */
  blockyNoise?: boolean;
  /** Describe every region turned heavier end down (quarterTurned): data for the detector's second look at triangles. */
  turned?: boolean;
  /** Turn crosses and diamonds by any quarter turn (trainingScene's `quarterTurnedCrossesAndDiamonds`). */
  quarterTurnedCrossesAndDiamonds?: boolean;
  /** The share of them turned (trainingScene's `quarterTurnShare`). */
  quarterTurnShare?: number;
  /** Round half of the squares enough to cut a small one's corner pixels (trainingScene's `cornerPixelSquares`). */
  cornerPixelSquares?: boolean;
  /** Half of the crosses' bars off centre, every arm kept (trainingScene's `offsetBars`). */
  offsetBars?: boolean;
  /** Half of the objects at the three smallest sizes (trainingScene's `smallObjects`). */
  smallObjects?: boolean;
  /** One tip cut off half of the diamonds (trainingScene's `cutTips`). */
  cutTips?: boolean;
}

/** Labelled region descriptors from `scenes` random images. */
export function labelledRegions(o: DataOptions): Dataset {
  const describe = (region: Region): Float32Array => describeRegion(o.turned === true ? quarterTurned(region) : region);
  const rng = new Rng(o.seed);
  const rows: Float32Array[] = [];
  const labels: number[] = [];
  for (let s = 0; s < o.scenes; s++) {
    if (rng.float() < o.noiseShare) {
      for (const region of findRegions(noiseImage(rng, o.blockyNoise === true))) {
        rows.push(describe(region));
        labels.push(NONE);
      }
      continue;
    }
    const side = rng.float() < 0.75 ? 32 : 64;
    const scene = trainingScene(side, rng, o);
    const { image, scale } = rng.float() < o.degradedShare ? degrade(scene.image, rng, side === 32) : { image: scene.image, scale: 1 };
    // Pixels each object owns in the drawn scene (at the degraded image's scale).
    const ownedArea = new Map<number, number>();
    for (const owner of scene.owner) if (owner >= 0) ownedArea.set(owner, (ownedArea.get(owner) ?? 0) + 1);
    const regions = findRegions(image);
    // Largest region per object, so that small pieces of a broken object are "none".
    const mainPiece = new Map<number, { region: number; count: number }>();
    const dominant = regions.map((region, ri) => {
      const counts = new Map<number, number>();
      const w = region.box[2] - region.box[0];
      region.mask.forEach((on, i) => {
        if (!on) return;
        const x = Math.floor((region.box[0] + (i % w)) / scale);
        const y = Math.floor((region.box[1] + Math.floor(i / w)) / scale);
        const owner = scene.owner[y * side + x]!;
        counts.set(owner, (counts.get(owner) ?? 0) + 1);
      });
      let best = -1;
      let bestCount = 0;
      for (const [owner, count] of counts) if (owner >= 0 && count > bestCount) [best, bestCount] = [owner, count];
      if (best >= 0 && bestCount > (mainPiece.get(best)?.count ?? 0)) mainPiece.set(best, { region: ri, count: bestCount });
      // Two objects merged into one region (a touching pair): at least a tenth from a second one.
      const merged = [...counts].some(([owner, count]) => owner >= 0 && owner !== best && count >= 0.1 * region.area);
      return { owner: best, count: bestCount, merged };
    });
    regions.forEach((region, ri) => {
      const { owner, count, merged } = dominant[ri]!;
      const object = owner >= 0 ? scene.objects[owner] : undefined;
      const isMainPiece = owner >= 0 && mainPiece.get(owner)?.region === ri;
      // How well the region matches the object as drawn (intersection over union, in drawing pixels).
      const inter = count / (scale * scale);
      const iou = inter / (region.area / (scale * scale) + (ownedArea.get(owner) ?? 0) - inter);
      let label = NONE;
      if (object?.label !== undefined && isMainPiece && !merged) {
        // A degradation that changed the object's outline too much leaves it neither its class
        // nor "none" (a person could say either): such regions are left out.
        if (iou < 0.7) return;
        label = OUTPUTS.indexOf(object.label);
      }
      rows.push(describe(region));
      labels.push(label);
    });
  }
  const x = new Float32Array(rows.length * DESCRIPTOR_LENGTH);
  rows.forEach((r, i) => x.set(r, i * DESCRIPTOR_LENGTH));
  return { x, y: Int32Array.from(labels), weight: new Float32Array(rows.length).fill(1), n: rows.length, width: DESCRIPTOR_LENGTH };
}
