/**
 * GenEval's scoring of one image, rule for rule as evaluation/evaluate_images.py:
 * detections kept per class above the confidence threshold (strictly, 0.3; 0.9 for every class
 * when the tag is counting), most confident first, at most 16 a class, no suppression
 * (NMS_THRESHOLD 1.0); each include item needs `count` detections (extras allowed), colour is
 * judged on the top-`count` detections only, position only when both groups matched, against
 * every object of the target group; an exclude item fails the image at `count` detections.
 * The reason strings are the official ones.
 */
import { COLORS, type ShapeClass } from '../world/definition';
import type { Metadata } from '../world/metadata';
import { relationsBetween } from '../world/relations';
import type { Detection } from './detector';

export const THRESHOLD = 0.3;
export const COUNTING_THRESHOLD = 0.9;
export const MAX_OBJECTS = 16;

export type DetectedByClass = Map<ShapeClass, Detection[]>;

/** The detections GenEval keeps for an image of a given tag. */
export function keepDetections(detections: readonly Detection[], tag: Metadata['tag']): DetectedByClass {
  const threshold = tag === 'counting' ? COUNTING_THRESHOLD : THRESHOLD;
  const byClass: DetectedByClass = new Map();
  const sorted = [...detections].sort((a, b) => b.score - a.score);
  for (const det of sorted) {
    if (!(det.score > threshold)) continue;
    const list = byClass.get(det.class) ?? [];
    if (list.length >= MAX_OBJECTS) continue;
    list.push(det);
    byClass.set(det.class, list);
  }
  return byClass;
}

export interface ImageVerdict {
  correct: boolean;
  reason: string;
}

/** evaluate() of evaluate_images.py, over the kept detections. */
export function evaluateDetections(objects: ReadonlyMap<ShapeClass, readonly Detection[]>, meta: Metadata): ImageVerdict {
  let correct = true;
  const reason: string[] = [];
  const matchedGroups: (readonly Detection[] | null)[] = [];
  for (const req of meta.include) {
    const classname = req.class;
    let matched = true;
    const found = (objects.get(classname) ?? []).slice(0, req.count);
    if (found.length < req.count) {
      correct = matched = false;
      reason.push(`expected ${classname}>=${req.count}, found ${found.length}`);
    } else {
      if (req.color !== undefined) {
        const colors = found.map((d) => d.color);
        const countOf = (c: string): number => colors.filter((x) => x === c).length;
        if (countOf(req.color) < req.count) {
          correct = matched = false;
          reason.push(
            `expected ${req.color} ${classname}>=${req.count}, found ${countOf(req.color)} ${req.color}; and ` +
              COLORS.filter((c) => colors.includes(c))
                .map((c) => `${countOf(c)} ${c}`)
                .join(', '),
          );
        }
      }
      if (req.position !== undefined && matched) {
        const [expectedRel, targetGroup] = req.position;
        const targets = matchedGroups[targetGroup];
        if (targets === undefined || targets === null) {
          // The official script indexes matched_groups here; a target that has not been
          // evaluated yet (a forward reference) counts as unmatched rather than crashing.
          correct = matched = false;
          reason.push(`no target for ${classname} to be ${expectedRel}`);
        } else {
          outer: for (const obj of found) {
            for (const target of targets) {
              const trueRels = relationsBetween(obj.box, target.box);
              if (!trueRels.has(expectedRel)) {
                correct = matched = false;
                reason.push(`expected ${classname} ${expectedRel} target, found ${[...trueRels].join(' and ')} target`);
                break outer;
              }
            }
          }
        }
      }
    }
    matchedGroups.push(matched ? found : null);
  }
  for (const req of meta.exclude ?? []) {
    const n = objects.get(req.class)?.length ?? 0;
    if (n >= req.count) {
      correct = false;
      reason.push(`expected ${req.class}<${req.count}, found ${n}`);
    }
  }
  return { correct, reason: reason.join('\n') };
}
