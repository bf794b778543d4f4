import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  classifierLogits,
  classify,
  compactWeights,
  COUNTING_THRESHOLD,
  THRESHOLD,
  describeRegion,
  describeShape,
  detect,
  MIN_OBJECT_SIDE,
  OUTPUTS,
  detectByTemplate,
  evaluateDetections,
  findRegions,
  keepDetections,
  loadClassifier,
  mergeClassifiers,
  SHAPE_MEASURES,
  scoreImageFolder,
  writePromptFolder,
  quarterTurned,
  symmetricViews,
  type ClassifierWeights,
} from '../../daemon/geneval';
import weightsFile from '../../daemon/geneval/shape-classifier.json';
import { Rng } from '../../daemon/util/random';
import { CLASSES, COLOR_RGB, COLORS, DEFAULT_WORLD, generatePromptSet, metadataFor, objectBox, renderScene, sampleScene, shapeMask, sizeRange, TAGS, type Metadata, type RgbImage } from '../../daemon/world';
import { FALSE_POSITIVE_CASES } from '../../bench/styles/false-positives';
import { renderFiltered } from '../../bench/styles/filtered-family';
import { renderPixelart } from '../../bench/styles/pixelart-family';
import { HELDOUT_STYLES, renderHeldout } from '../../bench/styles/heldout-family';
import { renderPolygon } from '../../bench/styles/polygon-family';
import { renderBrush } from '../../bench/styles/brush-family';
import { renderSdf } from '../../bench/styles/sdf-family';
import { answerOf, blankCanvas, drawObjects, familyBook, familyObject, objectCoverage, pictureOf, trainingScene } from '../../bench/styles/training-family';
import { scratchDir } from '../scratch';

const measure = (descriptor: Float32Array, name: (typeof SHAPE_MEASURES)[number]): number => descriptor[SHAPE_MEASURES.indexOf(name)]!;
const prompts = (seed: number, each: number): Metadata[] =>
  generatePromptSet({ seed, split: 'all', counts: Object.fromEntries(TAGS.map((t) => [t, each])) });

/**
 * Draws a ring (centre, outer and inner radius in px) on a 32 px canvas, each pixel blended with what
 * lies beneath by its coverage (samples x samples a pixel); returns the pixels at half the colour or more.
 */
function drawCoveredRing(image: RgbImage, color: readonly number[], [cx, cy, outer, inner]: [number, number, number, number], samples: number): number {
  let half = 0;
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      let hits = 0;
      for (let sy = 0; sy < samples; sy++) for (let sx = 0; sx < samples; sx++) {
        const r = Math.hypot(x + (sx + 0.5) / samples - cx, y + (sy + 0.5) / samples - cy);
        if (r <= outer && r >= inner) hits++;
      }
      const a = hits / (samples * samples);
      if (a === 0) continue;
      if (a >= 0.5) half++;
      image.data.set(color.map((v, k) => Math.round(a * v + (1 - a) * image.data[(y * 32 + x) * 3 + k]!)), (y * 32 + x) * 3);
    }
  }
  return half;
}

/** How the detector reads `count` images of one object each: "<class> sure" (above the counting threshold), "<class> unsure", or "<n> found". */
function readingsOfLoneObjects(count: number, draw: () => RgbImage): Map<string, number> {
  const readings = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const found = detect(draw());
    const reading = found.length === 1 ? `${found[0]!.class} ${found[0]!.score > COUNTING_THRESHOLD ? 'sure' : 'unsure'}` : `${found.length} found`;
    readings.set(reading, (readings.get(reading) ?? 0) + 1);
  }
  return readings;
}

describe("the detector on the world's renders", () => {
  it('names every shape the world draws, at every size of 32 and 64 px canvases, above the counting threshold', () => {
    for (const canvas of [32, 64]) {
      const { min, max } = sizeRange({ canvas });
      for (let size = min; size <= max; size++) {
        for (const shape of CLASSES) {
          const image = renderScene({ objects: [{ shape, color: 'blue', center: [canvas / 2, canvas / 2], size }] }, { canvas });
          const found = detect(image);
          assert.equal(found.length, 1, `${shape} ${size}px on ${canvas}`);
          assert.equal(found[0]!.class, shape, `${shape} ${size}px on ${canvas}`);
          assert.ok(found[0]!.score > COUNTING_THRESHOLD, `${shape} ${size}px on ${canvas}: ${found[0]!.score}`);
        }
      }
    }
  });

  it('reads rendered scenes exactly (class, colour and box of every object), as the template detector did', () => {
    const rng = new Rng(3);
    for (const meta of prompts(9, 10)) {
      const scene = sampleScene(meta, DEFAULT_WORLD, rng);
      const image = renderScene(scene, DEFAULT_WORLD);
      const truth = scene.objects.map((o) => `${o.shape}/${o.color}`).sort();
      const found = detect(image);
      assert.deepEqual(found.map((d) => `${d.class}/${d.color}`).sort(), truth, meta.prompt);
      // Sure, and never surer than certain (ten networks' float32 shares once summed to 1.0000001).
      for (const d of found) assert.ok(d.score > COUNTING_THRESHOLD && d.score <= 1, `${meta.prompt}: ${d.class} ${d.score}`);
      // Every world shape fills its box's rows and columns, so the region's box is the object's box.
      assert.deepEqual(found.map((d) => d.box.join(',')).sort(), scene.objects.map((o) => objectBox(o).join(',')).sort());
      assert.deepEqual(detectByTemplate(image).map((d) => `${d.class}/${d.color}`).sort(), truth);
    }
  });

  it("reads a small square with its corner pixels cut (a rounded corner) as a square, not as the world's circle", () => {
    // The world's 8 px circle cuts three pixels from each corner; a square rounded by a pixel cuts one.
    const image = renderScene({ objects: [{ shape: 'square', color: 'red', center: [12, 12], size: 8 }] }, DEFAULT_WORLD);
    for (const [x, y] of [[8, 8], [15, 8], [8, 15], [15, 15]] as const) image.data.set([128, 128, 128], (y * 32 + x) * 3);
    const found = detect(image);
    assert.equal(found.length, 1);
    assert.equal(found[0]!.class, 'square', `read as ${found[0]!.class} ${found[0]!.score}`);
    assert.ok(found[0]!.score > COUNTING_THRESHOLD, `score ${found[0]!.score}`);
  });

  it('drops specks and does not count a square with a corner cut away', () => {
    const image = renderScene({ objects: [{ shape: 'square', color: 'green', center: [8, 8], size: 10 }] }, DEFAULT_WORLD);
    // A 2 x 2 red speck is noise, not an object.
    for (const [x, y] of [[25, 25], [26, 25], [25, 26], [26, 26]] as const) image.data.set([220, 30, 30], (y * 32 + x) * 3);
    const whole = detect(image);
    assert.equal(whole.length, 1);
    assert.equal(whole[0]!.class, 'square');
    // Cut a 5 x 5 notch into the square: an L, which counting must not take for a square.
    for (let y = 3; y < 8; y++) for (let x = 3; x < 8; x++) image.data.set([128, 128, 128], (y * 32 + x) * 3);
    const notched = detect(image);
    assert.equal(notched.length, 1);
    assert.ok(notched[0]!.score < COUNTING_THRESHOLD, `score ${notched[0]!.score}`);
  });
  it("reads no region narrower than 5/32 of the image's side as an object, at any scale, and every shape the world draws at its smallest", () => {
    // Solid blocks of one colour, each well over the speck area, on a grey canvas of this side.
    const blocks = (side: number, size: number): RgbImage => {
      const image = blankCanvas(side);
      for (const [x0, y0] of [[2, 2], [side / 2 + 2, side / 2 + 2]]) {
        for (let y = y0!; y < y0! + size; y++) for (let x = x0!; x < x0! + size; x++) image.data.set(COLOR_RGB.red, (y * side + x) * 3);
      }
      return image;
    };
    for (const side of [32, 64, 128]) {
      const below = Math.ceil(MIN_OBJECT_SIDE * side) - 1;
      assert.deepEqual(detect(blocks(side, below)), [], `${below} px blocks on a ${side} px image`);
      assert.equal(detect(blocks(side, below + 1)).length, 2, `${below + 1} px blocks on a ${side} px image`);
    }
    const smallest = sizeRange(DEFAULT_WORLD).min;
    for (const shape of CLASSES) {
      const found = detect(renderScene({ objects: [{ shape, color: 'blue', center: [16, 16], size: smallest }] }, DEFAULT_WORLD));
      assert.deepEqual(found.map((d) => d.class), [shape], `${shape} at ${smallest} px`);
    }
  });

  it('reads a diamond half again as wide as tall, and a plus with its upright bar off centre, above the counting threshold', () => {
    const drawn = (inside: (x: number, y: number) => boolean): RgbImage => {
      const image = blankCanvas(32);
      for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) if (inside(x + 0.5, y + 0.5)) image.data.set(COLOR_RGB.blue, (y * 32 + x) * 3);
      return image;
    };
    for (const height of [12, 14, 16, 20]) {
      const width = Math.round(height * 1.5);
      const found = detect(drawn((x, y) => Math.abs(x - (4 + width / 2)) / (width / 2) + Math.abs(y - (4 + height / 2)) / (height / 2) <= 1));
      assert.deepEqual(found.map((d) => d.class), ['diamond'], `${width} x ${height}`);
      assert.ok(found[0]!.score > COUNTING_THRESHOLD, `${width} x ${height}: ${found[0]!.score}`);
    }
    // 12 px, bars 4 px wide, the upright one 2 px left of centre.
    const found = detect(drawn((x, y) => x >= 6 && x < 18 && y >= 6 && y < 18 && ((x >= 8 && x < 12) || (y >= 10 && y < 14))));
    assert.deepEqual(found.map((d) => d.class), ['cross']);
    assert.ok(found[0]!.score > COUNTING_THRESHOLD, `${found[0]!.score}`);
  });

  it("reads the world's triangles pointing down, left or right as triangles above the counting threshold (10-24 px)", () => {
    for (const size of [10, 12, 16, 20, 24]) {
      const mask = shapeMask('triangle', size, size);
      for (const quarters of [1, 2, 3]) {
        const image = blankCanvas(32);
        for (let y = 0; y < size; y++) {
          for (let x = 0; x < size; x++) {
            if (!mask[y * size + x]) continue;
            const [tx, ty] = quarters === 1 ? [size - 1 - y, x] : quarters === 2 ? [size - 1 - x, size - 1 - y] : [y, size - 1 - x];
            image.data.set(COLOR_RGB.green, ((ty + 4) * 32 + tx + 4) * 3);
          }
        }
        const found = detect(image);
        assert.equal(found.length, 1, `${size} px, ${quarters} quarter turns`);
        assert.equal(found[0]!.class, 'triangle', `${size} px, ${quarters} quarter turns`);
        assert.ok(found[0]!.score > COUNTING_THRESHOLD, `${size} px, ${quarters} quarter turns: ${found[0]!.score}`);
      }
    }
  });
  it('reads round-brush triangles pointing any way, alone on the canvas, as triangles above the counting threshold', () => {
    // Another program's triangles point down or sideways too, which the first networks never saw:
    // some are "none" to them, and read turned they are triangles (detector.ts, TURNED_TRIANGLE_SURE).
    const rng = new Rng(4);
    const readings = readingsOfLoneObjects(400, () => {
      const size = rng.int(8, 12);
      const [x, y] = [rng.int(size / 2 + 1, 31 - size / 2), rng.int(size / 2 + 1, 31 - size / 2)];
      return renderBrush({ objects: [{ shape: 'triangle', color: rng.pick(COLORS), center: [x, y], size }] }, 32, rng);
    });
    assert.ok((readings.get('triangle sure') ?? 0) >= 396, JSON.stringify([...readings]));
  });
  it('reads thin anti-aliased rings alone on the canvas as rings above the counting threshold', () => {
    // Rings 8-11 px across with walls of 0.5-1 px, off the pixel grid, each pixel blended with the grey by
    // its coverage: every pixel of the wall is pale. The first networks hedge on some between a ring and
    // "none"; read in the eight views of the square and by the second networks they are rings (readRegion).
    // Measured: the detector before candidates 44-45 read 385 of these 400 surely as rings, candidate 45 393.
    const rng = new Rng(7);
    const readings = readingsOfLoneObjects(400, () => {
      const image = blankCanvas(32);
      const outer = 4 + 1.5 * rng.float();
      const inner = outer - 0.5 - 0.5 * rng.float();
      const [cx, cy] = [8 + 16 * rng.float(), 8 + 16 * rng.float()];
      drawCoveredRing(image, COLOR_RGB[rng.pick(COLORS)], [cx, cy, outer, inner], 8);
      return image;
    });
    assert.ok((readings.get('ring sure') ?? 0) >= 391, JSON.stringify([...readings]));
  });
});

describe('segmentation', () => {
  it('reads a pale thin ring alone as one region though its pieces at half its colour are under the minimum area', () => {
    // An 8 px ring off the pixel grid with a wall of half a pixel, each pixel blended with the grey by its
    // coverage (16 x 16 samples): 9 pixels reach half the colour, 22 a quarter.
    const image = blankCanvas(32);
    const pieces = drawCoveredRing(image, COLOR_RGB.blue, [16.3, 15.8, 3.9, 3.4], 16);
    assert.ok(pieces >= 8 && pieces < 12, `${pieces} pixels at half the colour or more`);
    const regions = findRegions(image);
    assert.equal(regions.length, 1);
    assert.deepEqual([regions[0]!.color, regions[0]!.box], ['blue', [12, 12, 20, 20]]);
  });
  it("reads an anti-aliased edge as a blend with the background, not as a third colour", () => {
    // White half-mixed with grey is nearest to pink: a nearest-colour reading wraps a white disc in a pink ring.
    const image = renderHeldout({ objects: [{ shape: 'circle', color: 'white', center: [16, 16], size: 12 }] }, 32, HELDOUT_STYLES.find((s) => s.name === 'anti-aliased')!, new Rng(1));
    const edge = Array.from({ length: 32 * 32 }, (_, i) => [...image.data.subarray(i * 3, i * 3 + 3)]).filter(([r, g, b]) => r !== 128 && r !== 250 && r === g && g === b);
    assert.ok(edge.length > 0, 'the disc has soft edge pixels');
    const regions = findRegions(image);
    assert.deepEqual(regions.map((r) => r.color), ['white']);
  });

  it("gives a region the faint pixels of its own colour around it as coverage, and not another colour's", () => {
    const image: RgbImage = { width: 32, height: 32, data: new Uint8Array(32 * 32 * 3).fill(128) };
    const mix = (rgb: readonly number[], w: number): number[] => rgb.map((v) => Math.round(128 + w * (v - 128)));
    for (let y = 10; y < 14; y++) for (let x = 10; x < 14; x++) image.data.set([220, 30, 30], (y * 32 + x) * 3);
    image.data.set(mix([220, 30, 30], 0.3), (12 * 32 + 14) * 3); // faint red, touching
    image.data.set(mix([30, 80, 230], 0.3), (12 * 32 + 9) * 3); // faint blue, touching
    image.data.set(mix([220, 30, 30], 0.3), (12 * 32 + 20) * 3); // faint red, apart
    const [region] = findRegions(image);
    assert.ok(region);
    assert.deepEqual(region.box, [10, 10, 14, 14]);
    // The coverage grid is the box grown by a pixel: (w + 2) x (h + 2), origin at (9, 9).
    const at = (x: number, y: number): number => region.coverage[(y - 9) * 6 + (x - 9)]!;
    assert.equal(region.coverage.length, 36);
    assert.ok(Math.abs(at(12, 12) - 1) < 0.02, `inside ${at(12, 12)}`);
    assert.ok(Math.abs(at(14, 12) - 0.3) < 0.02, `faint red ${at(14, 12)}`);
    assert.equal(at(9, 12), 0, 'a faint pixel of another colour is not this region');
    assert.equal(at(14, 10), 0, 'background');
  });

  it("joins the specks a thin anti-aliased ring (a wall under a pixel) falls into at half its colour into one region", () => {
    // An annulus of outer radius 4.3 px and a 0.55 px wall, its coverage from 16 x 16 samples a pixel.
    const image: RgbImage = { width: 32, height: 32, data: new Uint8Array(32 * 32 * 3).fill(128) };
    const red = [220, 30, 30];
    let halfCovered = 0;
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        let hits = 0;
        for (let k = 0; k < 256; k++) {
          const r = Math.hypot(x + ((k % 16) + 0.5) / 16 - 16.3, y + (Math.floor(k / 16) + 0.5) / 16 - 16.1);
          if (r <= 4.3 && r >= 3.75) hits++;
        }
        const a = hits / 256;
        if (a >= 0.5) halfCovered++;
        image.data.set(red.map((v) => Math.round(128 + a * (v - 128))), (y * 32 + x) * 3);
      }
    }
    assert.ok(halfCovered >= 12, `${halfCovered} pixels at least half red: enough for a region once joined`);
    const regions = findRegions(image);
    assert.equal(regions.length, 1, `one region, not ${regions.length}`);
    assert.equal(regions[0]!.color, 'red');
    assert.deepEqual(regions[0]!.box, [12, 12, 21, 20]);
    assert.ok(describeRegion(regions[0]!).every(Number.isFinite), 'its descriptor is finite');
  });

  it('reads a thin ring whose wall is over half its colour on one side only as one region, not its thick arc', () => {
    // An annulus of outer radius 4.3 px: a 1.4 px wall left of its centre, a 0.55 px wall elsewhere.
    const image: RgbImage = { width: 32, height: 32, data: new Uint8Array(32 * 32 * 3).fill(128) };
    const red = [220, 30, 30];
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        let hits = 0;
        for (let k = 0; k < 256; k++) {
          const [px, py] = [x + ((k % 16) + 0.5) / 16 - 16.3, y + (Math.floor(k / 16) + 0.5) / 16 - 16.1];
          const r = Math.hypot(px, py);
          if (r <= 4.3 && r >= (px < -1 ? 2.9 : 3.75)) hits++;
        }
        image.data.set(red.map((v) => Math.round(128 + (hits / 256) * (v - 128))), (y * 32 + x) * 3);
      }
    }
    // The thick arc alone is a region (13 pixels at half red, box [12, 12, 16, 20]); the thin
    // wall's specks join it through their faint pixels.
    const regions = findRegions(image);
    assert.deepEqual(regions.map((r) => r.box), [[12, 12, 21, 20]]);
    assert.equal(regions[0]!.area, 20);
  });

  it('joins specks to the one region found whole that they reach through faint pixels, never two regions, and no specks too few together', () => {
    const image: RgbImage = { width: 32, height: 32, data: new Uint8Array(32 * 32 * 3).fill(128) };
    const blue = [30, 80, 230];
    const faint = blue.map((v) => Math.round(128 + 0.35 * (v - 128)));
    for (let y = 4; y < 8; y++) for (let x = 4; x < 8; x++) image.data.set(blue, (y * 32 + x) * 3);
    // A faint trail from the square to a speck of 5 pixels: the speck is part of the square's stroke.
    for (let x = 8; x < 14; x++) image.data.set(faint, (5 * 32 + x) * 3);
    for (let x = 14; x < 19; x++) image.data.set(blue, (5 * 32 + x) * 3);
    // Two specks of 4 pixels joined by a faint trail: 8 pixels, under the minimum of 12.
    for (let x = 2; x < 6; x++) image.data.set(blue, (20 * 32 + x) * 3);
    for (let x = 6; x < 9; x++) image.data.set(faint, (20 * 32 + x) * 3);
    for (let x = 9; x < 13; x++) image.data.set(blue, (20 * 32 + x) * 3);
    // Two squares with a speck between them, faint trails to both: the speck belongs to neither,
    // and the squares are not joined through it.
    for (let y = 26; y < 30; y++) for (let x = 2; x < 6; x++) image.data.set(blue, (y * 32 + x) * 3);
    for (let y = 26; y < 30; y++) for (let x = 20; x < 24; x++) image.data.set(blue, (y * 32 + x) * 3);
    for (let x = 6; x < 11; x++) image.data.set(faint, (27 * 32 + x) * 3);
    for (let x = 11; x < 14; x++) image.data.set(blue, (27 * 32 + x) * 3);
    for (let x = 14; x < 20; x++) image.data.set(faint, (27 * 32 + x) * 3);
    const regions = findRegions(image);
    assert.deepEqual(regions.map((r) => r.box), [[4, 4, 19, 8], [2, 26, 6, 30], [20, 26, 24, 30]]);
    assert.deepEqual(regions.map((r) => r.area), [21, 16, 16]);
  });

  it('keeps specks below 1.2% of the image out', () => {
    const image: RgbImage = { width: 32, height: 32, data: new Uint8Array(32 * 32 * 3).fill(128) };
    for (let i = 0; i < 12; i++) image.data.set([30, 80, 230], (5 * 32 + i) * 3);
    assert.equal(findRegions(image).length, 1);
    image.data.set([128, 128, 128], (5 * 32 + 11) * 3);
    assert.equal(findRegions(image).length, 0);
  });
});

describe('shape descriptors', () => {
  // A mask turned by quarter turns (clockwise on screen) and, if asked, then mirrored left to right,
  // drawn in red and found as the detector finds it.
  const regionOfTurned = (mask: Uint8Array, size: number, quarters: number, mirrored = false) => {
    const image = blankCanvas(size + 8);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        if (!mask[y * size + x]) continue;
        const [tx, ty] = quarters === 0 ? [x, y] : quarters === 1 ? [size - 1 - y, x] : quarters === 2 ? [size - 1 - x, size - 1 - y] : [y, size - 1 - x];
        image.data.set(COLOR_RGB.red, ((ty + 4) * (size + 8) + (mirrored ? size - 1 - tx : tx) + 4) * 3);
      }
    }
    return findRegions(image)[0]!;
  };
  it("turn a triangle pointing down, left or right to stand on its base (quarterTurned), and leave the world's shapes as they are", () => {
    for (const size of [8, 11, 16, 23]) {
      for (const shape of CLASSES) {
        const upright = regionOfTurned(shapeMask(shape, size, size), size, 0);
        assert.equal(quarterTurned(upright), upright, `${shape} ${size} px is turned`);
      }
      const triangle = shapeMask('triangle', size, size);
      const standing = describeRegion(regionOfTurned(triangle, size, 0));
      for (const quarters of [1, 2, 3]) assert.deepEqual(describeRegion(quarterTurned(regionOfTurned(triangle, size, quarters))), standing, `triangle ${size} px, ${quarters} quarter turns`);
    }
  });
  it('read a region in the eight views of the square as the shape drawn turned and mirrored (symmetricViews)', () => {
    // A triangle with its apex off centre and a region of two rectangles of different sizes look different
    // in each of the eight views; each view must be what drawing the shape so gives, and all eight distinct.
    const lopsided = (size: number): Uint8Array => {
      const mask = new Uint8Array(size * size);
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) mask[y * size + x] = Number(y >= size / 3 ? x < size - 2 : x < size / 3 && y > 0);
      return mask;
    };
    for (const [name, mask, size] of [['off-centre triangle', shapeMask('triangle', 11, 11), 11], ['lopsided blocks', lopsided(9), 9], ['lopsided blocks', lopsided(16), 16]] as const) {
      const views = symmetricViews(regionOfTurned(mask, size, 0)).map(describeRegion);
      assert.equal(views.length, 8);
      for (let view = 0; view < 8; view++) {
        assert.deepEqual(views[view], describeRegion(regionOfTurned(mask, size, view % 4, view >= 4)), `${name}, view ${view}`);
      }
      if (name === 'lopsided blocks') assert.equal(new Set(views.map((v) => v.join(','))).size, 8, `${name}: the eight views are not all different`);
    }
  });
  const of = (shape: (typeof CLASSES)[number], size: number): Float32Array => describeShape(shapeMask(shape, size, size), size, size);
  it("see a ring's hole and a disc's absence of one", () => {
    assert.ok(measure(of('ring', 12), 'holeFraction') > 0.15);
    assert.equal(measure(of('ring', 12), 'holeCount'), 1);
    assert.equal(measure(of('circle', 12), 'holeFraction'), 0);
  });
  it('find a cross far from convex and a square, disc and triangle close to it', () => {
    assert.ok(measure(of('cross', 24), 'solidity') < 0.8);
    for (const shape of ['square', 'circle', 'triangle'] as const) assert.ok(measure(of(shape, 24), 'solidity') > 0.9, shape);
  });
  it('see that three corners explain a triangle and four a square or a diamond, but not a disc', () => {
    assert.ok(measure(of('triangle', 24), 'threeCornerFit') > 0.8);
    for (const shape of ['circle', 'square', 'diamond'] as const) assert.ok(measure(of(shape, 24), 'threeCornerFit') < 0.55, shape);
    for (const shape of ['square', 'diamond'] as const) assert.ok(measure(of(shape, 24), 'fourCornerFit') > 0.85, shape);
    assert.ok(measure(of('circle', 24), 'fourCornerFit') < 0.7);
    // A half-disc is no triangle: its best three corners leave a third of it out.
    const r = 12;
    const halfDisc = new Uint8Array(2 * r * r);
    for (let y = 0; y < r; y++) for (let x = 0; x < 2 * r; x++) if ((x + 0.5 - r) ** 2 + (r - y - 0.5) ** 2 <= r * r) halfDisc[y * 2 * r + x] = 1;
    assert.ok(measure(describeShape(halfDisc, 2 * r, r), 'threeCornerFit') < 0.7);
  });
  it("read a small anti-aliased disc's outline between pixel centres, where its half-covered mask is a rounded square's", () => {
    // 9 px discs at sub-pixel places, 4 x 4 samples a pixel: how well the best four corners fill
    // the shape (a disc 2 / pi, a square 1).
    const disc = (u: number, v: number): boolean => u * u + v * v <= 1;
    const large = measure(of('circle', 48), 'fourCornerFit');
    const rng = new Rng(3);
    for (let k = 0; k < 10; k++) {
      const image = blankCanvas(32);
      drawObjects(image, [{ kind: 'circle', label: 'circle', color: 'blue', cx: 16 + rng.float(), cy: 16 + rng.float(), halfX: 4.5, halfY: 4.5, angle: 0, samples: 4, inside: disc }]);
      const region = findRegions(image)[0]!;
      const pixels = measure(describeShape(region.mask, region.box[2] - region.box[0], region.box[3] - region.box[1], region.weights), 'fourCornerFit');
      const outline = measure(describeRegion(region), 'fourCornerFit');
      assert.ok(Math.abs(outline - large) < Math.abs(pixels - large), `sub-pixel ${outline.toFixed(3)}, pixels ${pixels.toFixed(3)}, a large disc ${large.toFixed(3)}`);
      assert.ok(Math.abs(outline - large) < 0.05, `sub-pixel ${outline.toFixed(3)} against ${large.toFixed(3)}`);
    }
  });

  it('read a large region as its pixels, and a hard-edged one with its crispness', () => {
    const image = renderScene({ objects: [{ shape: 'cross', color: 'green', center: [32, 32], size: 40 }] }, { canvas: 64 });
    const region = findRegions(image)[0]!;
    assert.deepEqual(describeRegion(region), describeShape(region.mask, 40, 40, region.weights));
    const small = findRegions(renderScene({ objects: [{ shape: 'cross', color: 'green', center: [16, 16], size: 9 }] }, DEFAULT_WORLD))[0]!;
    const d = describeRegion(small);
    assert.equal(measure(d, 'meanWeight'), 1);
    assert.equal(measure(d, 'softPixels'), 0);
    assert.ok(measure(d, 'solidity') < 0.8, 'still a cross');
  });

  it("tell a square from a diamond by the sides of the best four corners, little turned or rounded", () => {
    const drawn = (inside: (u: number, v: number) => boolean, degrees: number): Float32Array => {
      const image = blankCanvas(32);
      drawObjects(image, [{ kind: 'square', label: 'square', color: 'red', cx: 16.3, cy: 15.8, halfX: 8, halfY: 8, angle: (degrees * Math.PI) / 180, samples: 4, inside }]);
      const region = findRegions(image)[0]!;
      return describeShape(region.mask, region.box[2] - region.box[0], region.box[3] - region.box[1], region.weights);
    };
    const square = (u: number, v: number): boolean => Math.abs(u) <= 1 && Math.abs(v) <= 1;
    // Corners rounded by 0.15 of the side.
    const rounded = (u: number, v: number): boolean => square(u, v) && Math.max(0, Math.abs(u) - 0.7) ** 2 + Math.max(0, Math.abs(v) - 0.7) ** 2 <= 0.09;
    const diamond = (u: number, v: number): boolean => Math.abs(u) + Math.abs(v) <= 1;
    assert.ok(measure(of('square', 24), 'fourSidesAlignment') > 0.95);
    assert.ok(measure(of('diamond', 24), 'fourSidesAlignment') < -0.8);
    for (const degrees of [-10, 0, 10]) {
      assert.ok(measure(drawn(square, degrees), 'fourSidesAlignment') > 0.5, `square turned ${degrees}`);
      assert.ok(measure(drawn(rounded, degrees), 'fourSidesAlignment') > 0.5, `rounded square turned ${degrees}`);
      assert.ok(measure(drawn(diamond, degrees), 'fourSidesAlignment') < 0, `diamond turned ${degrees}`);
    }
  });

  it('reads a region of pixels barely over half, with fainter ones all round, by its own pixels', () => {
    // A diagonal stroke at 0.52 on a 0.3 haze: bilinear samples between centres stay under half.
    const image: RgbImage = { width: 32, height: 32, data: new Uint8Array(32 * 32 * 3).fill(128) };
    const green = COLOR_RGB.green;
    const mix = (w: number): number[] => green.map((v) => Math.round(128 + w * (v - 128)));
    for (let y = 8; y < 24; y++) for (let x = 8; x < 24; x++) image.data.set(mix(0.3), (y * 32 + x) * 3);
    for (let i = 0; i < 14; i++) image.data.set(mix(0.52), ((9 + i) * 32 + 9 + i) * 3);
    const regions = findRegions(image);
    assert.equal(regions.length, 1);
    assert.ok(describeRegion(regions[0]!).every(Number.isFinite), 'a finite descriptor');
  });
  it('hardly change with size', () => {
    for (const shape of CLASSES) {
      const small = of(shape, 12);
      const large = of(shape, 48);
      for (const name of ['filledExtent', 'solidity', 'm20', 'm02', 'm03'] as const) {
        assert.ok(Math.abs(measure(small, name) - measure(large, name)) < 0.1, `${shape} ${name}: ${measure(small, name)} vs ${measure(large, name)}`);
      }
    }
  });
});

describe('the detector on images the world did not draw', () => {
  // A small sample of the held-out styles (the full table is bench/detector-styles.ts). Every style
  // scores at least 0.987 on every tag of the full table (docs/geneval.md) but "varied" counting,
  // which asks 0.9 of every object: 0.975 (small hard-edged crosses and diamonds are read right
  // but below 0.9); so 0.9 on 12 prompts a tag, and 0.8 for that one.
  const floor = (style: string, tag: string): number => (style === 'varied' && tag === 'counting' ? 0.8 : 0.9);
  for (const style of HELDOUT_STYLES) {
    it(`reads the held-out style "${style.name}": GenEval at least ${floor(style.name, 'counting') < 0.9 ? '0.9 on every tag (counting 0.8)' : '0.9 on every tag'}, where the template detector fails`, () => {
      const rng = new Rng(11);
      const tags = new Map<string, { right: number; total: number }>();
      let templateRight = 0;
      let total = 0;
      for (const meta of prompts(5, 12)) {
        const image = renderHeldout(sampleScene(meta, DEFAULT_WORLD, rng), 32, style, rng);
        const t = tags.get(meta.tag) ?? { right: 0, total: 0 };
        t.total++;
        total++;
        if (evaluateDetections(keepDetections(detect(image), meta.tag), meta).correct) t.right++;
        if (evaluateDetections(keepDetections(detectByTemplate(image), meta.tag), meta).correct) templateRight++;
        tags.set(meta.tag, t);
      }
      for (const [tag, t] of tags) assert.ok(t.right / t.total >= floor(style.name, tag), `${style.name} ${tag}: ${t.right} / ${t.total}`);
      const overall = [...tags.values()].reduce((s, t) => s + t.right / t.total, 0) / tags.size;
      assert.ok(overall > templateRight / total, `${style.name}: ${overall} vs template ${templateRight / total}`);
    });
  }
});

describe('small shapes drawn by other programs', () => {
  // The failure the sub-pixel outline fixed: a 9-10 px anti-aliased disc's half-covered pixels are
  // a rounded square's (read as a square, or as a circle below 0.9), and small crosses and
  // diamonds were hedged. Four programs that share nothing with the world's renderer or the
  // training family, one object alone at a random place.
  const programs = { 'distance fields': renderSdf, 'exact-area polygons': renderPolygon, 'Lanczos-filtered bitmaps': renderFiltered, 'pixel-art drawings': renderPixelart };
  for (const [name, render] of Object.entries(programs)) {
    it(`reads ${name}' 9-10 px circles, crosses and diamonds as their class above the counting threshold`, () => {
      const rng = new Rng(21);
      const misses: string[] = [];
      let total = 0;
      for (const shape of ['circle', 'cross', 'diamond'] as const) {
        for (let k = 0; k < 20; k++) {
          const size = 9 + (k % 2);
          const image = render({ objects: [{ shape, color: COLORS[k % COLORS.length]!, center: [10 + 12 * rng.float(), 10 + 12 * rng.float()], size }] }, 32, rng);
          const found = detect(image);
          total++;
          if (!(found.length === 1 && found[0]!.class === shape && found[0]!.score > COUNTING_THRESHOLD)) misses.push(`${shape} ${size}px: ${found.map((d) => `${d.class} ${d.score.toFixed(2)}`).join(', ') || 'nothing'}`);
        }
      }
      assert.ok(misses.length <= 0.05 * total, `${misses.length} of ${total}: ${misses.join('; ')}`);
    });
  }
});

describe('the held-out family', () => {
  it('never draws one picture for two classes in the varied style (the style, not the detector, keeps it legible)', () => {
    const varied = HELDOUT_STYLES.find((s) => s.name === 'varied')!;
    assert.ok(varied.legible);
    // Small objects, where hard edges make a disc, a rounded square and a turned diamond alike
    // (boxes of 8-10 px, a pixel apart, so that no two touch).
    const rng = new Rng(5);
    const classesOf = new Map<string, Set<string>>();
    for (let i = 0; i < 150; i++) {
      const objects = (['circle', 'square', 'diamond'] as const).map((shape, k) => ({ shape, color: 'red' as const, center: [5 + 11 * k, 16] as [number, number], size: 8 + (i % 3) }));
      const image = renderHeldout({ objects }, 32, varied, rng);
      for (const region of findRegions(image)) {
        const x = (region.box[0] + region.box[2]) / 2;
        const shape = objects.reduce((a, b) => (Math.abs(b.center[0] - x) < Math.abs(a.center[0] - x) ? b : a)).shape;
        const picture = `${region.box[2] - region.box[0]}x${region.box[3] - region.box[1]}:${Array.from(region.weights, (v) => Math.round(v * 1000)).join(',')}`;
        classesOf.set(picture, (classesOf.get(picture) ?? new Set()).add(shape));
      }
    }
    const shared = [...classesOf].filter(([, c]) => c.size > 1);
    assert.deepEqual(shared, []);
    assert.ok(classesOf.size > 50, `only ${classesOf.size} pictures`);
  });
});

describe('the training family', () => {
  it("drawn legibly, never draws a picture it also draws for another answer (the world's own drawings aside)", () => {
    // Small objects on 32 px canvases, where a chunky plus and a small diamond, or a disc and a
    // turned diamond, can come out as the same few pixels: taught both ways, the classifier
    // would hedge on every picture near them.
    const rng = new Rng(3);
    let checked = 0;
    const shared: string[] = [];
    for (let i = 0; i < 800; i++) {
      for (const obj of trainingScene(32, rng, { worldShare: 0.3, noneShare: 0.25, legible: true }).objects) {
        if (obj.asWorld || obj.kind === 'touching') continue;
        checked++;
        if (familyBook(32).drawnForAnother(answerOf(obj.kind), pictureOf(obj, 32))) shared.push(`${obj.kind} ${(2 * obj.halfX).toFixed(1)} px`);
      }
    }
    assert.deepEqual(shared, []);
    assert.ok(checked > 1000, `only ${checked} objects`);
  });

  it('draws diamonds no wider than tall, or with quarterTurnedCrossesAndDiamonds about half of them wider, and turns quarterTurnShare of them', () => {
    // Width over height of a diamond's coverage, from its second moments about its centre.
    const widthOverHeight = (quarterTurned: boolean, rng: Rng): number => {
      const obj = familyObject({ kind: 'diamond', color: 'red', cx: 20, cy: 20, size: 20, quarterTurnedCrossesAndDiamonds: quarterTurned }, rng);
      const { x0, y0, width, cover } = objectCoverage(obj, 40, 40);
      let [sxx, syy] = [0, 0];
      cover.forEach((c, i) => {
        sxx += c * (x0 + (i % width) + 0.5 - 20) ** 2;
        syy += c * (y0 + Math.floor(i / width) + 0.5 - 20) ** 2;
      });
      return Math.sqrt(sxx / syy);
    };
    const wide = (quarterTurned: boolean): number => {
      const rng = new Rng(9);
      let n = 0;
      for (let i = 0; i < 400; i++) if (widthOverHeight(quarterTurned, rng) > 1.2) n++;
      return n;
    };
    assert.equal(wide(false), 0);
    const turned = wide(true);
    assert.ok(turned > 100 && turned < 240, `${turned} of 400 wider than tall`);
    // quarterTurnShare: the share turned a quarter or more before the small turn (at most 15 degrees).
    const turnedShare = (share: number): number => {
      const rng = new Rng(9);
      let n = 0;
      for (let i = 0; i < 400; i++) {
        const { angle } = familyObject({ kind: 'cross', color: 'red', cx: 20, cy: 20, size: 20, quarterTurnedCrossesAndDiamonds: true, quarterTurnShare: share }, rng);
        if (Math.abs(angle) > (20 * Math.PI) / 180) n++;
      }
      return n / 400;
    };
    assert.equal(turnedShare(0), 0);
    assert.equal(turnedShare(1), 1);
    assert.ok(Math.abs(turnedShare(0.33) - 0.33) < 0.07, `${turnedShare(0.33)}`);
  });
  it('with offsetBars draws crosses with either bar well off centre, every arm still reaching 0.15 of the side', () => {
    // Read in the cross's own frame (u, v in [-1, 1], the side spans 2): near the top only the
    // upright bar is inside, near the left end only the horizontal one.
    const span = (inside: (u: number, v: number) => boolean, along: (t: number) => [number, number]): [number, number] => {
      let [lo, hi] = [Infinity, -Infinity];
      for (let i = 0; i <= 2000; i++) {
        const t = -1.2 + (2.4 * i) / 2000;
        if (inside(...along(t))) [lo, hi] = [Math.min(lo, t), Math.max(hi, t)];
      }
      return [lo, hi];
    };
    const crosses = (offsetBars: boolean): { offCentre: number; shortestArm: number } => {
      const rng = new Rng(13);
      let offCentre = 0;
      let shortestArm = Infinity;
      for (let i = 0; i < 400; i++) {
        const { inside } = familyObject({ kind: 'cross', color: 'red', cx: 20, cy: 20, size: 20, offsetBars }, rng);
        const upright = span(inside, (t) => [t, 0.97]);
        const across = span(inside, (t) => [-0.84, t]);
        const [vx, hy] = [(upright[0] + upright[1]) / 2, (across[0] + across[1]) / 2];
        const ends = span(inside, (t) => [t, hy]);
        if (Math.abs(vx) <= 0.1 && Math.abs(hy) <= 0.1) continue;
        offCentre++;
        // Arms past the other bar, left, right, up and down.
        const arms = [upright[0] - ends[0], ends[1] - upright[1], across[0] + 1, 1 - across[1]];
        if (Math.abs(vx) > 0.1) shortestArm = Math.min(shortestArm, ...arms);
      }
      return { offCentre, shortestArm };
    };
    const [drawn, option] = [crosses(false), crosses(true)];
    // Without the option the upright bar stays within 0.05 of the side; only a raised horizontal
    // bar is off centre.
    assert.equal(drawn.shortestArm, Infinity);
    assert.ok(option.offCentre > drawn.offCentre + 60, `off centre: ${drawn.offCentre} drawn, ${option.offCentre} with the option`);
    assert.ok(option.shortestArm >= 0.3 - 0.01, `shortest arm ${option.shortestArm.toFixed(3)} of the half side`);
  });
  it('with cutTips cuts one tip off about half of the diamonds, 10-25% of the diagonal', () => {
    // Each tip's reach from the centre along the diamond's own axes: a whole diamond reaches as far
    // on both sides of each axis; a cut one falls short on one side by 0.2-0.5 of that half-diagonal.
    const reach = (inside: (u: number, v: number) => boolean, du: number, dv: number): number => {
      let r = 0;
      for (let i = 0; i <= 1000; i++) if (inside((du * i) / 1000, (dv * i) / 1000)) r = i / 1000;
      return r;
    };
    const cuts = (cutTips: boolean): number[] => {
      const rng = new Rng(19);
      const found: number[] = [];
      for (let i = 0; i < 400; i++) {
        const { inside } = familyObject({ kind: 'diamond', color: 'red', cx: 20, cy: 20, size: 20, cutTips }, rng);
        for (const [du, dv] of [[1, 0], [0, 1]] as const) {
          const [a, b] = [reach(inside, du, dv), reach(inside, -du, -dv)];
          if (Math.abs(a - b) > 0.01) found.push(1 - Math.min(a, b) / Math.max(a, b));
        }
      }
      return found;
    };
    assert.deepEqual(cuts(false), []);
    const cut = cuts(true);
    assert.ok(cut.length > 150 && cut.length < 250, `${cut.length} of 400 diamonds cut`);
    assert.ok(cut.every((c) => c >= 0.2 - 0.01 && c <= 0.5 + 0.01), `cut shares ${Math.min(...cut).toFixed(3)}-${Math.max(...cut).toFixed(3)} of the half-diagonal`);
  });
  it('with smallObjects draws about half of the objects at the three smallest sizes', () => {
    const small = (smallObjects: boolean): number => {
      const rng = new Rng(17);
      let [n, total] = [0, 0];
      for (let i = 0; i < 400; i++) {
        for (const obj of trainingScene(32, rng, { worldShare: 0.3, noneShare: 0.25, smallObjects }).objects) {
          if (obj.kind === 'touching') continue;
          total++;
          // Objects fill 85-100% of their box, stretched by up to 12%: at most 9 px across, the box is at most 10.
          if (2 * Math.max(obj.halfX, obj.halfY) <= 9) n++;
        }
      }
      return n / total;
    };
    const [drawn, option] = [small(false), small(true)];
    assert.ok(option > drawn + 0.15, `objects at most 9 px across: ${drawn.toFixed(2)} drawn, ${option.toFixed(2)} with the option`);
  });
  it("with cornerPixelSquares draws many more small squares short of exactly their corner pixels, and the world's circle seldom", () => {
    // Hard-edged, unturned 8 and 9 px squares, as pixel pictures: a full block but for its four
    // corner pixels (what another rasteriser makes of a slightly rounded square; the unit test
    // above), and the world's own circle of that size, which cuts three pixels a corner.
    const pictures = (cornerPixel: boolean, size: number): { cornersCut: number; worldCircle: number; hard: number } => {
      const rng = new Rng(11);
      const circle = shapeMask('circle', size, size);
      const cornersCut = (w: number): Uint8Array => Uint8Array.from({ length: w * w }, (_, k) => ([0, w - 1].includes(k % w) && [0, w - 1].includes(Math.floor(k / w)) ? 0 : 1));
      let [cut, world, hard] = [0, 0, 0];
      for (let i = 0; i < 4000; i++) {
        const obj = familyObject({ kind: 'square', color: 'red', cx: 20 + rng.float() - 0.5, cy: 20 + rng.float() - 0.5, size, cornerPixelSquares: cornerPixel }, rng);
        const { width, cover } = objectCoverage(obj, 40, 40);
        if (obj.angle !== 0 || cover.some((c) => c > 0 && c < 1)) continue;
        hard++;
        const xs: number[] = [];
        const ys: number[] = [];
        cover.forEach((c, k) => c === 1 && (xs.push(k % width), ys.push(Math.floor(k / width))));
        const [left, top, right, bottom] = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
        if (right - left !== bottom - top) continue;
        const w = right - left + 1;
        const picture = Uint8Array.from({ length: w * w }, (_, k) => cover[(top + Math.floor(k / w)) * width + left + (k % w)]!);
        if (w >= 7 && picture.every((v, k) => v === cornersCut(w)[k])) cut++;
        if (w === size && picture.every((v, k) => v === circle[k])) world++;
      }
      return { cornersCut: cut, worldCircle: world, hard };
    };
    for (const size of [8, 9]) {
      const [drawn, option] = [pictures(false, size), pictures(true, size)];
      assert.ok(option.cornersCut > 2 * drawn.cornersCut && drawn.cornersCut > 0, `${size} px, corner pixels cut: ${drawn.cornersCut} drawn, ${option.cornersCut} with the option`);
      assert.equal(drawn.worldCircle, 0);
      assert.ok(option.worldCircle * 1000 < option.hard, `${size} px: the world's circle in ${option.worldCircle} of ${option.hard}`);
    }
  });
  it('points triangles up, or with trianglesFourWays 40% of them down, left or right', () => {
    // Which way a triangle points, from where its coverage lies against its box centre: its
    // base side holds most of its area.
    type Way = 'up' | 'down' | 'left' | 'right';
    const pointingOf = (fourWays: boolean, rng: Rng): Way => {
      const obj = familyObject({ kind: 'triangle', color: 'red', cx: 20, cy: 20, size: 20, trianglesFourWays: fourWays }, rng);
      const { x0, y0, width, cover } = objectCoverage(obj, 40, 40);
      let [sx, sy, total] = [0, 0, 0];
      cover.forEach((c, i) => {
        sx += c * (x0 + (i % width) + 0.5 - 20);
        sy += c * (y0 + Math.floor(i / width) + 0.5 - 20);
        total += c;
      });
      const [dx, dy] = [sx / total, sy / total];
      if (Math.abs(dy) > Math.abs(dx)) return dy > 0 ? 'up' : 'down';
      return dx > 0 ? 'left' : 'right';
    };
    const count = (fourWays: boolean): Record<Way, number> => {
      const rng = new Rng(5);
      const counts = { up: 0, down: 0, left: 0, right: 0 };
      for (let i = 0; i < 400; i++) counts[pointingOf(fourWays, rng)]++;
      return counts;
    };
    // Without the option an apex far to one side, turned 18 degrees, can put the area a little
    // more sideways than down, but never above the centre.
    const up = count(false);
    assert.ok(up.up >= 390 && up.down === 0, JSON.stringify(up));
    const fourWays = count(true);
    assert.ok(fourWays.up > 200 && fourWays.up < 280, JSON.stringify(fourWays));
    for (const way of ['down', 'left', 'right'] as const) assert.ok(fourWays[way] > 25, JSON.stringify(fourWays));
  });

  it("draws its objects 'as the world draws them' with exactly the world's pixels", () => {
    // The world's inside-tests asked outside an object's box once gave squares the whole clip
    // around them and crosses arms to its edge (bench/small-shapes.ts found it).
    for (const shape of CLASSES) {
      for (const size of [8, 11]) {
        const obj = familyObject({ kind: shape, color: 'red', cx: 10 + size / 2, cy: 10 + size / 2, size, asWorld: true }, new Rng(1));
        const { x0, y0, width, cover } = objectCoverage(obj, 32, 32);
        const drawn: string[] = [];
        cover.forEach((c, i) => {
          if (c > 0) drawn.push(`${x0 + (i % width)},${y0 + Math.floor(i / width)}`);
        });
        const mask = shapeMask(shape, size, size);
        const world = [...mask.keys()].filter((i) => mask[i]).map((i) => `${10 + (i % size)},${10 + Math.floor(i / size)}`);
        assert.deepEqual(drawn.sort(), world.sort(), `${shape} ${size} px`);
      }
    }
  });
});

describe('re-scoring a folder with either detector', () => {
  const scratch = scratchDir('detector');
  it('scores the same images with the template detector or the detector', () => {
    // Three thin plus-sign crosses (bars 0.2 of the side): a person counts three crosses; the world's template
    // (bars a third of the box) does not fit them well enough for counting.
    const meta = metadataFor({ tag: 'counting', shape: 'cross', count: 3 });
    const rng = new Rng(2);
    const thin = HELDOUT_STYLES.find((s) => s.name === 'thin')!;
    const images = [0, 1].map(() => renderHeldout(sampleScene(meta, DEFAULT_WORLD, rng), 32, thin, rng));
    writePromptFolder(scratch, 0, meta, images);
    assert.equal(scoreImageFolder(scratch, { detector: detect }).summary.overall, 1);
    assert.equal(scoreImageFolder(scratch, { detector: detectByTemplate }).summary.overall, 0);
    // The default judge stays the template detector until the detector meets its targets (default-detector.ts).
    assert.equal(scoreImageFolder(scratch).summary.overall, 0);
  });
});

describe('false positives', () => {
  const rateOf = (name: string, images: number): { objects: number; accepted: number } => {
    const c = FALSE_POSITIVE_CASES.find((x) => x.name.startsWith(name))!;
    const rng = new Rng(4);
    let objects = 0;
    let accepted = 0;
    let questions = 0;
    for (let i = 0; i < images; i++) {
      const { image, questions: qs } = c.make(rng);
      const found = detect(image);
      objects += found.filter((d) => d.score > THRESHOLD).length;
      for (const q of qs) {
        questions++;
        if (evaluateDetections(keepDetections(found, q.meta.tag), q.meta).correct) accepted++;
      }
    }
    return { objects: objects / images, accepted: accepted / questions };
  };
  it('asks a person\'s verdict of every case, a triangle cut to a smaller one a yes and to four corners a no', () => {
    const verdicts = (name: string): (boolean | undefined)[] => {
      const c = FALSE_POSITIVE_CASES.find((x) => x.name === name)!;
      const rng = new Rng(5);
      return Array.from({ length: 3 }, () => c.make(rng).questions.map((q) => q.person)).flat();
    };
    assert.deepEqual(verdicts('a fragment (40-65%) of a triangle: a smaller triangle'), [true, true, true]);
    assert.deepEqual(verdicts('a fragment (40-65%) of a triangle: four corners'), [false, false, false]);
    assert.deepEqual(verdicts('a single lumpy blob'), new Array(18).fill(false));
    assert.deepEqual(verdicts('two squares of one colour, touching'), [undefined, undefined, undefined]);
  });
  it('finds no objects in noise alone', () => {
    for (const name of ['noise: gaussian', 'noise: speckles']) assert.ok(rateOf(name, 30).objects <= 0.1, name);
  });
  it('rarely accepts a lumpy blob or a broken cross or ring as a shape', () => {
    for (const name of ['a single lumpy blob', 'a fragment (40-65%) of a cross', 'a fragment (40-65%) of a ring']) {
      assert.ok(rateOf(name, 40).accepted <= 0.25, `${name}: ${rateOf(name, 40).accepted}`);
    }
  });
});

describe('the classifier file', () => {
  it('is refused when its weights do not fit its shape', () => {
    const weights = weightsFile as ClassifierWeights;
    assert.doesNotThrow(() => loadClassifier(weights));
    const [first, ...others] = weights.networks;
    assert.throws(() => loadClassifier({ ...weights, networks: [{ ...first!, b2: first!.b2.slice(1) }, ...others] }), /b2 has 6 values, expected 7/);
    assert.throws(() => loadClassifier({ ...weights, networks: [] }), /no networks/);
    // Weights trained on the half-covered pixels (before the sub-pixel outline) are refused by name.
    assert.throws(() => loadClassifier({ ...weights, format: 'unirl-shape-classifier/2' } as unknown as ClassifierWeights), /version 2 weights .* retrain/);
  });

  it('is written with the fewest digits that load the same 32-bit weights', () => {
    // A merge's folded first layer holds full doubles; the file keeps what the Float32Arrays hold.
    const weights = weightsFile as ClassifierWeights;
    const rng = new Rng(3);
    const net = weights.networks[0]!;
    const doubles = { ...weights, networks: [{ ...net, w1: net.w1.map((w) => w / (0.5 + rng.float())), b1: net.b1.map((b) => b * Math.PI) }] };
    const compact = compactWeights(doubles);
    const [a, b] = [loadClassifier(doubles), loadClassifier(JSON.parse(JSON.stringify(compact)) as ClassifierWeights)];
    assert.deepEqual(Array.from(b.networks[0]!.w1), Array.from(a.networks[0]!.w1));
    assert.deepEqual(Array.from(b.networks[0]!.b1), Array.from(a.networks[0]!.b1));
    assert.ok(JSON.stringify(compact).length < 0.7 * JSON.stringify(doubles).length);
    // Rounding to fewer digits than a 32-bit float needs would change the weights.
    assert.ok(compact.networks[0]!.w1.some((w) => Math.fround(Number(w.toPrecision(6))) !== Math.fround(w)));
    // The committed file is already compact: compacting it again changes nothing.
    assert.deepEqual(compactWeights(weights).networks[0]!.w1, net.w1);
  });

  it('reads each network\'s logits as a plain loop over its weights does, bit for bit', () => {
    // The first layers run as one matrix, four products a step (classifierLogits): the logits must be
    // exactly those of a plain loop over each network's own weights, so no reading depends on it.
    const weights = weightsFile as ClassifierWeights;
    const model = loadClassifier(weights);
    const n = weights.inputs.length;
    const plain = (descriptor: Float32Array): Float32Array[] =>
      weights.networks.map((net) => {
        const x = Float32Array.from(weights.inputs, (input, i) => (descriptor[input]! - Math.fround(weights.mean[i]!)) / Math.fround(weights.std[i]!));
        const w1 = Float32Array.from(net.w1);
        const hidden = Float32Array.from({ length: weights.hidden }, (_, j) => {
          let s = Math.fround(net.b1[j]!);
          for (let i = 0; i < n; i++) s += w1[j * n + i]! * x[i]!;
          return s > 0 ? s : 0;
        });
        const w2 = Float32Array.from(net.w2);
        return Float32Array.from({ length: OUTPUTS.length }, (_, k) => {
          let s = Math.fround(net.b2[k]!);
          for (let j = 0; j < weights.hidden; j++) s += w2[k * weights.hidden + j]! * hidden[j]!;
          return s;
        });
      });
    const rng = new Rng(9);
    for (let i = 0; i < 40; i++) {
      const image = FALSE_POSITIVE_CASES[i % FALSE_POSITIVE_CASES.length]!.make(rng).image;
      for (const region of findRegions(image)) {
        const descriptor = describeRegion(region);
        assert.deepEqual(classifierLogits(model, descriptor), plain(descriptor));
      }
    }
  });

  it('averages its networks\' probabilities, each network\'s logits divided by the one temperature', () => {
    const weights = weightsFile as ClassifierWeights;
    assert.ok(weights.networks.length > 1, 'an ensemble');
    const descriptor = describeShape(shapeMask('cross', 10, 10), 10, 10);
    const alone = weights.networks.map((net) => classify(loadClassifier({ ...weights, networks: [net] }), descriptor));
    const together = classify(loadClassifier(weights), descriptor);
    together.forEach((p, k) => assert.ok(Math.abs(p - alone.reduce((s, a) => s + a[k]!, 0) / alone.length) < 1e-6, `output ${k}`));
    assert.ok(Math.abs(together.reduce((s, p) => s + p, 0) - 1) < 1e-6);
    assert.throws(() => loadClassifier({ ...weights, inputs: [...weights.inputs.slice(1), 10_000] }), /outside the descriptor/);
  });

  it('merges weights files into one ensemble whose probabilities are the average of all their networks', () => {
    const weights = weightsFile as ClassifierWeights;
    const [a, b] = [{ ...weights, networks: weights.networks.slice(0, 2) }, { ...weights, networks: weights.networks.slice(2) }];
    // The second file as if trained on other regions: another standardisation (mean + shift,
    // std * scale), its networks' first layers changed to compute the same function.
    const n = b.inputs.length;
    const shift = (i: number): number => 0.1 * (i % 3);
    const scale = (i: number): number => 1 + 0.05 * (i % 4);
    const shifted: ClassifierWeights = {
      ...b,
      mean: b.mean.map((m, i) => m + shift(i)),
      std: b.std.map((s, i) => s * scale(i)),
      networks: b.networks.map((net) => ({
        ...net,
        w1: net.w1.map((w, at) => w * scale(at % n)),
        b1: net.b1.map((x, j) => x + b.std.reduce((sum, s, i) => sum + (net.w1[j * n + i]! * shift(i)) / s, 0)),
      })),
    };
    const merged = loadClassifier(mergeClassifiers([a, shifted], { merged: true }));
    assert.equal(merged.networks.length, weights.networks.length);
    for (const [shape, size] of [['cross', 10], ['ring', 17], ['triangle', 9]] as const) {
      const descriptor = describeShape(shapeMask(shape, size, size), size, size);
      const want = classify(loadClassifier(weights), descriptor);
      const got = classify(merged, descriptor);
      want.forEach((p, k) => assert.ok(Math.abs(p - got[k]!) < 1e-4, `${shape} output ${k}: ${got[k]} against ${p}`));
    }
    assert.throws(() => mergeClassifiers([a, { ...b, inputs: [...b.inputs].reverse() }], {}), /different inputs or hidden sizes/);
  });
});
