/**
 * What "left of", "right of", "above" and "below" mean, in GenEval's own words
 * (evaluation/evaluate_images.py, relative_position): centre offset of A minus B, each component
 * shrunk towards zero by 0.1 x (size of A + size of B) along that axis, then divided by the length
 * of the full offset; a relation holds past 0.5. The scene sampler draws by it and the GenEval
 * scorer judges by it, so a truth scene and its score can never disagree.
 */
import type { Relation } from './definition';

/** A box as GenEval writes it: [x1, y1, x2, y2] in pixels, y downward. */
export type Box = readonly [number, number, number, number];

/** Each relation's mirror: what holds of B and A when the relation holds of A and B. */
export const MIRROR: Readonly<Record<Relation, Relation>> = { 'left of': 'right of', 'right of': 'left of', above: 'below', below: 'above' };

/** GenEval's POSITION_THRESHOLD. */
export const POSITION_MARGIN = 0.1;

export function relationsBetween(a: Box, b: Box): Set<Relation> {
  const offset = [(a[0] + a[2]) / 2 - (b[0] + b[2]) / 2, (a[1] + a[3]) / 2 - (b[1] + b[3]) / 2] as const;
  const dims = [Math.abs(a[2] - a[0]) + Math.abs(b[2] - b[0]), Math.abs(a[3] - a[1]) + Math.abs(b[3] - b[1])] as const;
  const revised = [0, 1].map((k) => {
    const o = offset[k] as number;
    return Math.max(Math.abs(o) - POSITION_MARGIN * (dims[k] as number), 0) * Math.sign(o);
  }) as [number, number];
  const relations = new Set<Relation>();
  if (Math.abs(revised[0]) < 1e-3 && Math.abs(revised[1]) < 1e-3) return relations;
  const norm = Math.hypot(offset[0], offset[1]);
  const dx = revised[0] / norm;
  const dy = revised[1] / norm;
  if (dx < -0.5) relations.add('left of');
  if (dx > 0.5) relations.add('right of');
  if (dy < -0.5) relations.add('above');
  if (dy > 0.5) relations.add('below');
  return relations;
}
