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
 *    probability goes to "none", is dropped.
 *
 * Why learned, and over descriptors and the picture both: measured in docs/geneval.md. The first
 * detector, template overlap with the world's own shapes, is kept in template-detector.ts.
 */
import type { ColorName, ShapeClass } from '../world/definition';
import type { Box } from '../world/relations';
import type { RgbImage } from '../world/render';
import { bestShape, classify, committedClassifierLabel, defaultClassifier, loadClassifier, type ClassifierWeights, type ShapeClassifier } from './classifier';
import { describeRegion, quarterTurned } from './descriptors';
import { findRegions, type Region } from './segment';
import { readFileSync } from 'node:fs';

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
const DETECTOR_REVISION = `regions spanning under ${MIN_OBJECT_SIDE * 32}/32 of the image not read, since session 37`;

/** Which detector read a learned score: the committed classifier and how detect uses it. */
export function detectorLabel(): string {
  return `${committedClassifierLabel()}; ${DETECTOR_REVISION}`;
}

/** PROBE: the networks that read a region turned heavier end down (candidate 23's). */
let turnedReader: ShapeClassifier | undefined;
function secondLook(classifier: ShapeClassifier, region: Region): Float32Array {
  const drawn = classify(classifier, describeRegion(region));
  if (bestShape(drawn).shape !== 'triangle') return drawn;
  const turned = quarterTurned(region);
  if (turned === region) return drawn;
  turnedReader ??= loadClassifier(JSON.parse(readFileSync(process.env['UNIRL_TURNED'] ?? 'bench/candidate23/merged.json', 'utf8')) as ClassifierWeights);
  return classify(turnedReader, describeRegion(turned));
}

/** All objects found in an image, most confident first. */
export function detect(image: RgbImage, classifier: ShapeClassifier = defaultClassifier()): Detection[] {
  const detections: Detection[] = [];
  const minSide = MIN_OBJECT_SIDE * Math.min(image.width, image.height);
  for (const region of findRegions(image)) {
    if (Math.max(region.box[2] - region.box[0], region.box[3] - region.box[1]) < minSide) continue;
    const { shape, probability } = bestShape(secondLook(classifier, region));
    detections.push({ class: shape, color: region.color, box: region.box, score: probability, area: region.area });
  }
  return detections.sort((a, b) => b.score - a.score);
}
