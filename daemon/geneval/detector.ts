/**
 * The shapes world's object detector: it reads pixels only, never the scene that drew them, and
 * decides a class by what defines it rather than by how the world happens to draw it.
 *
 * 1. Every pixel is read as a blend of the background and one palette colour; touching pixels of
 *    one colour form a region, and specks below a minimum area are noise (segment.ts).
 * 2. Each region is described by size-free measures (holes, convexity, fill, moments) and a coarse
 *    picture of its mask (descriptors.ts).
 * 3. A small learned classifier turns the description into the probability of each class and of
 *    "none" (classifier.ts). The class is the most probable shape; the confidence is its
 *    probability, calibrated, so GenEval's thresholds (0.3, and 0.9 for counting) keep their
 *    meaning: counting asks for objects the detector is sure of, and a blob or a fragment, whose
 *    probability goes to "none", is dropped. A region read as a triangle that points down or
 *    sideways is read again, turned to stand on its base (readRegion).
 *
 * Why learned, and over descriptors and the picture both: measured in docs/geneval.md. The first
 * detector, template overlap with the world's own shapes, is kept in template-detector.ts.
 */
import type { ColorName, ShapeClass } from '../world/definition';
import type { Box } from '../world/relations';
import type { RgbImage } from '../world/render';
import { bestShape, classify, committedClassifierLabel, committedTurnedClassifierLabel, defaultClassifier, defaultTurnedClassifier, type ShapeClassifier } from './classifier';
import { describeRegion, quarterTurned } from './descriptors';
import { findRegions, type Region } from './segment';

export interface Detection {
  class: ShapeClass;
  color: ColorName;
  /** [x1, y1, x2, y2] in pixels, x2 and y2 exclusive, as GenEval's boxes. */
  box: Box;
  /** Confidence in [0, 1]. */
  score: number;
  /** Pixels in the region. */
  area: number;
}

/** Reads one image into detections; the two detectors share this signature. */
export type Detector = (image: RgbImage) => Detection[];

/**
 * The fewest pixels, as a share of the image's shorter side, that a region must span on its longer
 * side to be read as an object: 5/32, 5 px on the world's 32 px canvas. Objects are drawn at a
 * quarter of the canvas or more, yet a thin corner or apex under half coverage leaves the region of
 * an 8 px triangle or diamond 5 px across; the training family's class regions span 5 px or more
 * (all but 4 of 10,786 measured). A smaller region is no object of any class: left to the
 * classifier, which never saw a class that small, single blocks of upscaled noise were read as
 * squares.
 */
export const MIN_OBJECT_SIDE = 5 / 32;

/** What the detector does around its classifier, for the record a score carries: change it with any change of detect. */
const DETECTOR_REVISION = `regions spanning under ${MIN_OBJECT_SIDE * 32}/32 of the image not read, since session 37; a lopsided region read as a triangle read again turned heavier end down, since session 38, by`;

/** Which detector read a learned score: the committed classifiers and how detect uses them. */
export function detectorLabel(): string {
  return `${committedClassifierLabel()}; ${DETECTOR_REVISION} ${committedTurnedClassifierLabel()}`;
}

/**
 * A second look at triangles. The installed networks learned triangles standing on their base (the
 * world draws them so, and most programs do), and read one pointing down or sideways as a hedge or
 * as "none". A region they take for a triangle (their best class), lopsided enough to turn
 * (`quarterTurned`), is read again turned heavier end down by networks trained on regions read the
 * same way, and that reading is the region's. Only such regions: turned, the small off-centre
 * crosses and diamonds of other programs read worse, and staircase blobs of noise read as triangles
 * (docs/geneval.md, candidates 17-26), so every other region keeps the first reading.
 */
function readRegion(region: Region, classifier: ShapeClassifier, turnedReader: ShapeClassifier): Float32Array {
  const drawn = classify(classifier, describeRegion(region));
  if (bestShape(drawn).shape !== 'triangle') return drawn;
  const turned = quarterTurned(region);
  return turned === region ? drawn : classify(turnedReader, describeRegion(turned));
}

/** All objects found in an image, most confident first. */
export function detect(image: RgbImage, classifier: ShapeClassifier = defaultClassifier(), turnedReader: ShapeClassifier = defaultTurnedClassifier()): Detection[] {
  const detections: Detection[] = [];
  const minSide = MIN_OBJECT_SIDE * Math.min(image.width, image.height);
  for (const region of findRegions(image)) {
    if (Math.max(region.box[2] - region.box[0], region.box[3] - region.box[1]) < minSide) continue;
    const { shape, probability } = bestShape(readRegion(region, classifier, turnedReader));
    detections.push({ class: shape, color: region.color, box: region.box, score: probability, area: region.area });
  }
  return detections.sort((a, b) => b.score - a.score);
}
