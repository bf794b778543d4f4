/**
 * A third drawing program, used only to score the detector: written after the detector's weights
 * were fixed and scored once, so that no choice of the detector was made while looking at it
 * (the held-out family's results were looked at over several rounds; docs/geneval.md says so).
 *
 * It shares nothing with the world's renderer, the training family or the held-out family but the
 * palette and the scene. Each shape is a signed distance function in pixels, and a pixel takes
 * the object's colour in proportion to clamp(0.5 - distance at its centre): the analytic
 * anti-aliasing of vector and font renderers, not a sample grid. Settings are drawn per object
 * within what a person still calls the shape: ellipses within 8% of round, squares and crosses
 * turned by up to 8 degrees with corners rounded by at most 0.12 of the side, diamonds 0.7-1 as
 * wide as high, triangles 0.8-1 as high as their side with the apex off centre by up to 15% of the
 * half base, cross bars 0.28-0.42 of the side and at least 1.5 px, ring walls 0.2-0.35 of the
 * radius and at least 1.5 px.
 */
import { Rng } from '../../daemon/util/random';
import { BACKGROUND_RGB, COLOR_RGB, type ShapeClass } from '../../daemon/world/definition';
import type { RgbImage } from '../../daemon/world/render';
import type { Scene } from '../../daemon/world/scene';

const between = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng.float();

/** Signed distance in pixels from a point relative to the object's centre (negative inside). */
type Sdf = (x: number, y: number) => number;

const box = (hx: number, hy: number, r: number): Sdf => (x, y) => {
  const qx = Math.abs(x) - (hx - r);
  const qy = Math.abs(y) - (hy - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
};

/** The distance to the nearest of a convex polygon's edge lines, outward normals (exact inside, near enough outside). */
const convex = (corners: [number, number][]): Sdf => (x, y) => {
  let d = -Infinity;
  corners.forEach(([ax, ay], i) => {
    const [bx, by] = corners[(i + 1) % corners.length]!;
    const len = Math.hypot(bx - ax, by - ay);
    // Corners clockwise on screen (y down): the outward normal of the edge a -> b is (by - ay, ax - bx) / len.
    d = Math.max(d, ((x - ax) * (by - ay) + (y - ay) * (ax - bx)) / len);
  });
  return d;
};

function shapeSdf(shape: ShapeClass, side: number, rng: Rng): Sdf {
  const h = side / 2;
  switch (shape) {
    case 'circle': {
      const a = h * between(rng, 0.96, 1.04);
      const b = h * between(rng, 0.96, 1.04);
      return (x, y) => (Math.hypot(x / a, y / b) - 1) * Math.min(a, b);
    }
    case 'square': {
      const aspect = between(rng, 0.92, 1.08);
      return box(h * Math.sqrt(aspect), h / Math.sqrt(aspect), side * between(rng, 0, 0.12));
    }
    case 'diamond': {
      const w = h * between(rng, 0.7, 1);
      return (x, y) => (Math.abs(x) / w + Math.abs(y) / h - 1) / Math.hypot(1 / w, 1 / h);
    }
    case 'triangle': {
      const height = side * between(rng, 0.8, 1);
      const half = h * between(rng, 0.85, 1);
      const apex = half * between(rng, -0.15, 0.15);
      return convex([[apex, -height / 2], [half, height / 2], [-half, height / 2]]);
    }
    case 'cross': {
      const t = Math.max(1.5, side * between(rng, 0.28, 0.42)) / 2;
      const across = box(h, t, 0);
      const down = box(t, h, 0);
      return (x, y) => Math.min(across(x, y), down(x, y));
    }
    case 'ring': {
      const wall = Math.max(1.5, h * between(rng, 0.2, 0.35));
      const middle = h - wall / 2;
      return (x, y) => Math.abs(Math.hypot(x, y) - middle) - wall / 2;
    }
  }
}

const MAX_TURN: Record<ShapeClass, number> = { circle: 0, ring: 0, square: 8, cross: 8, triangle: 8, diamond: 6 };

/** A scene drawn by this program: each object at its box's centre, side 0.85-1 of the box. */
export function renderSdf(scene: Scene, canvas: number, rng: Rng): RgbImage {
  const data = new Uint8Array(canvas * canvas * 3);
  for (let i = 0; i < canvas * canvas; i++) data.set(BACKGROUND_RGB, i * 3);
  for (const obj of scene.objects) {
    const cx = Math.round(obj.center[0] - obj.size / 2) + obj.size / 2;
    const cy = Math.round(obj.center[1] - obj.size / 2) + obj.size / 2;
    const sdf = shapeSdf(obj.shape, obj.size * between(rng, 0.85, 1), rng);
    const angle = (between(rng, -1, 1) * MAX_TURN[obj.shape] * Math.PI) / 180;
    const [c, s] = [Math.cos(angle), Math.sin(angle)];
    const rgb = COLOR_RGB[obj.color];
    const reach = Math.ceil(obj.size * 0.75) + 1;
    for (let py = Math.max(0, Math.floor(cy - reach)); py < Math.min(canvas, Math.ceil(cy + reach)); py++) {
      for (let px = Math.max(0, Math.floor(cx - reach)); px < Math.min(canvas, Math.ceil(cx + reach)); px++) {
        const dx = px + 0.5 - cx;
        const dy = py + 0.5 - cy;
        // Turned by -angle into the shape's own frame.
        const cover = Math.min(1, Math.max(0, 0.5 - sdf(c * dx + s * dy, -s * dx + c * dy)));
        if (cover === 0) continue;
        for (let k = 0; k < 3; k++) {
          const i = (py * canvas + px) * 3 + k;
          data[i] = Math.round(cover * (rgb[k] as number) + (1 - cover) * (data[i] as number));
        }
      }
    }
  }
  return { width: canvas, height: canvas, data };
}
