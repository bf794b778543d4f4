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
 *    sideways is read again, turned to stand on its base; a region read with no class above 0.9 is
 *    read in the eight views of the square, and one then read as a cross, a diamond or a ring
 *    without being sure is read again by networks that learned crosses and diamonds at any
 *    quarter turn (readRegion).
 *
 * Why learned, and over descriptors and the picture both: measured in docs/geneval.md. The first
 * detector, template overlap with the world's own shapes, is kept in template-detector.ts.
 */
import type { ColorName, ShapeClass } from '../world/definition';
import type { Box } from '../world/relations';
import type { RgbImage } from '../world/render';
import { bestShape, classify, committedClassifier, committedClassifierLabel, defaultClassifier, OUTPUTS, type ShapeClassifier } from './classifier';
import { COUNTING_THRESHOLD, THRESHOLD } from './rules';
import { describeRegion, quarterTurned, symmetricViews } from './descriptors';
import { findRegions, JOINED_SHARE, LONE_STROKE_SHARE, type Region } from './segment';

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

/**
 * How sure the turned networks must be of a triangle in a region the first networks were not sure
 * of. Probed on candidate 39's networks (docs/geneval.md, session 40): of the held-out programs'
 * triangles read so, 51 of 54 turned were above it and 3 between 0.9 and 0.999; of the noise and
 * fragment regions turned read as triangles above 0.9, 1 of 22 (half a diamond) was above it.
 */
export const TURNED_TRIANGLE_SURE = 0.999;

/** What the detector does around its classifier, for the record a score carries: change it with any change of detect. */
const DETECTOR_REVISION = `a region read as no class above ${COUNTING_THRESHOLD} read as the mean of its eight views of the square, since session 41; a faint stroke's pieces joined to the one region found whole that they touch through faint pixels when they are ${JOINED_SHARE} of its pixels or more, since session 40; a faint stroke alone read from pieces ${LONE_STROKE_SHARE.toFixed(2)} of the minimum area when its faint group reaches it and encloses a hole, since session 40; regions spanning under ${MIN_OBJECT_SIDE * 32}/32 of the image not read, since session 37; a lopsided region read as a triangle read again turned heavier end down, since session 38 (a lopsided region read as no class above ${COUNTING_THRESHOLD} taken as a triangle when the turned networks read one above ${TURNED_TRIANGLE_SURE}, since session 40), by`;
const CROSSES_REVISION = `a region read as a cross or a diamond (or a ring, since session 41) above ${THRESHOLD} but not above ${COUNTING_THRESHOLD} read again, since session 38, by`;

/** Which detector read a learned score: the committed classifiers and how detect uses them. */
export function detectorLabel(): string {
  return `${committedClassifierLabel()}; ${DETECTOR_REVISION} ${committedClassifierLabel('triangles')}; ${CROSSES_REVISION} ${committedClassifierLabel('crossesAndDiamonds')}`;
}

/** The networks of the second looks (readRegion). */
export interface SecondLooks {
  triangles: ShapeClassifier;
  crossesAndDiamonds: ShapeClassifier;
}

const committedLooks = (): SecondLooks => ({ triangles: committedClassifier('triangles'), crossesAndDiamonds: committedClassifier('crossesAndDiamonds') });

/**
 * A region's probabilities: the first networks' reading, or a second look where they are likely
 * wrong for a reason another reader does not share.
 *
 * Triangles. The first networks learned triangles standing on their base (the world draws them so,
 * and most programs do), and read one pointing down or sideways as a hedge or as "none". A region
 * they take for a triangle, lopsided enough to turn (`quarterTurned`), is read again turned heavier
 * end down by networks trained on regions read the same way. Only such regions: read turned, the
 * small off-centre crosses and diamonds of other programs read worse, and staircase blobs of
 * noise read as triangles (docs/geneval.md, candidates 17-26).
 *
 * Unsure regions. A region the first networks are not sure of (no class above the counting
 * threshold: "none", or an unsure cross, say) is read further, and a sure reading is never undone:
 * - lopsided enough to turn, it is read turned by the triangle networks too, and is a triangle when
 *   they are all but certain of one (TURNED_TRIANGLE_SURE; candidate 41);
 * - otherwise it is read by the first networks in the eight views of the square, and the mean is
 *   its reading (readInEveryView; candidate 44);
 * - if that names a cross, a diamond or a ring above GenEval's threshold but not above the counting
 *   threshold, it is read by the crosses-and-diamonds networks: the first networks' family draws a
 *   cross's upright bar near the centre and diamonds no wider than tall, and those networks, whose
 *   family draws both at any quarter turn, read such crosses and diamonds and the pale thin rings
 *   the first networks hedge on more surely, though they lose other small crosses and diamonds the
 *   first read surely (candidates 27-28, 45).
 */
function readRegion(region: Region, first: ShapeClassifier, looks: SecondLooks): Float32Array {
  const descriptor = describeRegion(region);
  const drawn = classify(first, descriptor);
  const { shape, probability } = bestShape(drawn);
  if (shape === 'triangle') {
    const turned = quarterTurned(region);
    return turned === region ? drawn : classify(looks.triangles, describeRegion(turned));
  }
  if (probability > COUNTING_THRESHOLD) return drawn;
  // A triangle pointing down or sideways, never seen by the first networks, is often "none" or
  // an unsure cross to them; turned heavier end down it is a triangle the turned networks are
  // all but certain of, as no noise region in TURNED_TRIANGLE_SURE's probe made them.
  const turned = quarterTurned(region);
  if (turned !== region) {
    const read = classify(looks.triangles, describeRegion(turned));
    const best = bestShape(read);
    if (best.shape === 'triangle' && best.probability > TURNED_TRIANGLE_SURE) return read;
  }
  const read = readInEveryView(region, first, drawn);
  const best = bestShape(read);
  if (SECOND_LOOK_CLASSES.has(best.shape) && best.probability > THRESHOLD && best.probability <= COUNTING_THRESHOLD) return classify(looks.crossesAndDiamonds, descriptor);
  return read;
}

/** The classes an unsure reading of which the crosses-and-diamonds networks read again (readRegion). */
const SECOND_LOOK_CLASSES: ReadonlySet<ShapeClass> = new Set(['cross', 'diamond', 'ring']);

/**
 * The mean of the networks' readings of the region in the eight views of the square
 * (symmetricViews); `asDrawn` is their reading of the first, the region as drawn. Every class
 * but the triangle is itself in each view, but the networks learned that only as far as their
 * family drew it: a small cross or a pale ring they hedge on as drawn they often read surely
 * mirrored or turned. The mean asks for a reading that holds in every view.
 * It costs seven more readings of the region, most of the detector's time on images of many
 * unsure regions (noise, a weak model's blobs; measured in docs/geneval.md).
 */
function readInEveryView(region: Region, networks: ShapeClassifier, asDrawn: Float32Array): Float32Array {
  const views = symmetricViews(region);
  const mean = new Float32Array(OUTPUTS.length);
  // The first view is the region as drawn, whose reading the caller already has.
  views.forEach((view, k) => (k === 0 ? asDrawn : classify(networks, describeRegion(view))).forEach((p, i) => (mean[i]! += p / views.length)));
  return mean;
}

/** All objects found in an image, most confident first. */
export function detect(image: RgbImage, classifier: ShapeClassifier = defaultClassifier(), looks: SecondLooks = committedLooks()): Detection[] {
  const detections: Detection[] = [];
  const minSide = MIN_OBJECT_SIDE * Math.min(image.width, image.height);
  for (const region of findRegions(image)) {
    if (Math.max(region.box[2] - region.box[0], region.box[3] - region.box[1]) < minSide) continue;
    const { shape, probability } = bestShape(readRegion(region, classifier, looks));
    detections.push({ class: shape, color: region.color, box: region.box, score: probability, area: region.area });
  }
  return detections.sort((a, b) => b.score - a.score);
}
