/**
 * Scenes: lists of objects, and a sampler that draws, for any metadata line, a random scene that
 * satisfies it (the ground truth that an image for that prompt should show).
 */
import { Rng } from '../util/random';
import { COLORS, objectGap, sizeRange, type ColorName, type Relation, type ShapeClass, type WorldConfig } from './definition';
import type { Metadata } from './metadata';
import { relationsBetween, type Box } from './relations';

export interface SceneObject {
  shape: ShapeClass;
  color: ColorName;
  /** Centre of the object's box in pixels; the box [cx - size/2, cx + size/2) lies on the pixel grid. */
  center: [number, number];
  /** Side of the object's square box in pixels. */
  size: number;
}

export interface Scene {
  objects: SceneObject[];
}

export function objectBox(obj: SceneObject): Box {
  const x0 = Math.round(obj.center[0] - obj.size / 2);
  const y0 = Math.round(obj.center[1] - obj.size / 2);
  return [x0, y0, x0 + obj.size, y0 + obj.size];
}

function boxesApart(a: Box, b: Box, gap: number): boolean {
  return a[2] + gap <= b[0] || b[2] + gap <= a[0] || a[3] + gap <= b[1] || b[3] + gap <= a[1];
}

/** A random object of the given shape and colour at a random place on the canvas. */
function randomObject(world: WorldConfig, rng: Rng, shape: ShapeClass, color: ColorName): SceneObject {
  const { min, max } = sizeRange(world);
  const size = rng.int(min, max);
  const x0 = rng.int(0, world.canvas - size);
  const y0 = rng.int(0, world.canvas - size);
  return { shape, color, center: [x0 + size / 2, y0 + size / 2], size };
}

export class UnsatisfiableError extends Error {}

/**
 * Draws a scene that satisfies a metadata line: each include group gets exactly its count of its
 * class (in its colour if asked, else a random one), every position relation holds between every
 * pair of the two groups under GenEval's rule and is the only one that holds (GenEval's rule lets
 * a diagonal pair be both "above" and "right of": a third of random placements; such a scene would
 * make the prompt's answer only one of two true ones, a noisy label for understanding), no two
 * objects touch, and no exclude is triggered.
 * Rejection sampling: objects are placed one by one, and a scene that gets stuck starts over.
 */
export function sampleScene(meta: Metadata, world: WorldConfig, rng: Rng): Scene {
  const groups = meta.include;
  for (const ex of meta.exclude ?? []) {
    const wanted = groups.filter((g) => g.class === ex.class).reduce((n, g) => n + g.count, 0);
    if (wanted >= ex.count) {
      throw new UnsatisfiableError(`"${meta.prompt}": include asks for ${wanted} ${ex.class} but exclude forbids ${ex.count}`);
    }
  }
  const gap = objectGap(world);
  for (let attempt = 0; attempt < 200; attempt++) {
    const placed: SceneObject[][] = groups.map(() => []);
    let stuck = false;
    for (let g = 0; g < groups.length && !stuck; g++) {
      const group = groups[g]!;
      for (let k = 0; k < group.count && !stuck; k++) {
        let ok = false;
        for (let tryPlace = 0; tryPlace < 100 && !ok; tryPlace++) {
          const obj = randomObject(world, rng, group.class, group.color ?? rng.pick(COLORS));
          const box = objectBox(obj);
          if (!placed.flat().every((other) => boxesApart(box, objectBox(other), gap))) continue;
          ok = relationsHold(groups, placed, g, box);
          if (ok) placed[g]!.push(obj);
        }
        stuck = !ok;
      }
    }
    if (!stuck) return { objects: placed.flat() };
  }
  throw new UnsatisfiableError(`"${meta.prompt}": no scene found that satisfies it on a ${world.canvas} px canvas`);
}

/** Does the relation `rel` hold between boxes a and b under GenEval's rule, and no other? */
const onlyRelation = (a: Box, b: Box, rel: Relation): boolean => {
  const held = relationsBetween(a, b);
  return held.size === 1 && held.has(rel);
};

/** Do the position relations that involve group g hold (alone) for a new box of g against the groups placed so far? */
function relationsHold(groups: Metadata['include'], placed: SceneObject[][], g: number, box: Box): boolean {
  const position = groups[g]!.position;
  if (position) {
    const [rel, target] = position;
    for (const other of placed[target] ?? []) if (!onlyRelation(box, objectBox(other), rel)) return false;
  }
  for (let h = 0; h < groups.length; h++) {
    const pos = groups[h]!.position;
    if (!pos || pos[1] !== g) continue;
    for (const other of placed[h] ?? []) if (!onlyRelation(objectBox(other), box, pos[0])) return false;
  }
  return true;
}
