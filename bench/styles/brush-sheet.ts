/**
 * Contact sheet and self-checks of the round-brush style family (bench/styles/brush-family.ts):
 *   npx tsx bench/styles/brush-sheet.ts --out /tmp/brush-sheet.png [--scale 6] [--draws 2] [--seed 1]
 * The checks read the drawn pixels (the drawing's geometry only says where to look) over single
 * objects of every class and size on 32 and 64 px canvases and over scenes of the default prompt set.
 */
import { readFileSync } from 'node:fs';
import { defaultPromptSet } from '../../daemon/util/paths';
import { Rng } from '../../daemon/util/random';
import { CLASSES, COLORS, COLOR_RGB, sizeRange, type ShapeClass } from '../../daemon/world/definition';
import { parseMetadataLines } from '../../daemon/world/metadata';
import type { RgbImage } from '../../daemon/world/render';
import { objectBox, sampleScene, type Scene, type SceneObject } from '../../daemon/world/scene';
import { planBrush, renderBrush, type BrushPlan } from './brush-family';
import { backgroundBlend, checkReport, drawsAlikeFromOneState, isBackground, styleSheetMain } from './sheet';

interface Drawn {
  scene: Scene;
  canvas: number;
  image: RgbImage;
  plans: BrushPlan[];
  state: [number, number, number, number];
}

/** Renders a scene and replays its plans from a copy of the rng state (renderBrush plans objects in order). */
function draw(scene: Scene, canvas: number, rng: Rng): Drawn {
  const state = rng.state();
  const image = renderBrush(scene, canvas, rng);
  const replay = Rng.fromState(state);
  return { scene, canvas, image, plans: scene.objects.map((o) => planBrush(o, replay)), state };
}

/** Single objects of every class and size (32 px: 8-12, four draws each; 64 px: 16-24, two draws each) at random places. */
function singles(rng: Rng): Drawn[] {
  const out: Drawn[] = [];
  let k = 0;
  for (const canvas of [32, 64]) {
    const { min, max } = sizeRange({ canvas });
    for (const shape of CLASSES) {
      for (let size = min; size <= max; size++) {
        for (let d = 0; d < (canvas === 32 ? 4 : 2); d++) {
          const x0 = rng.int(0, canvas - size);
          const y0 = rng.int(0, canvas - size);
          const obj: SceneObject = { shape, color: COLORS[k++ % COLORS.length]!, center: [x0 + size / 2, y0 + size / 2], size };
          out.push(draw({ objects: [obj] }, canvas, rng));
        }
      }
    }
  }
  return out;
}

/** Scenes of the default prompt set: 120 lines on a 32 px canvas, 40 on a 64 px canvas. */
function promptScenes(rng: Rng): { drawn: Drawn[]; skipped: number } {
  const path = defaultPromptSet();
  const metas = parseMetadataLines(readFileSync(path, 'utf8'), path);
  const drawn: Drawn[] = [];
  let skipped = 0;
  for (const [canvas, n] of [
    [32, 120],
    [64, 40],
  ] as const) {
    for (const meta of rng.shuffle(metas).slice(0, n)) {
      try {
        drawn.push(draw(sampleScene(meta, { canvas }, rng), canvas, rng));
      } catch {
        skipped++;
      }
    }
  }
  return { drawn, skipped };
}

/** An object's coverage (alpha clamped to [0, 1]) over its box grown by 1 px, clipped to the canvas; 0 elsewhere. */
function coverageOf(d: Drawn, o: SceneObject): (x: number, y: number) => number {
  const [x0, y0, x1, y1] = objectBox(o);
  const rgb = COLOR_RGB[o.color];
  return (x, y) => (x < Math.max(0, x0 - 1) || y < Math.max(0, y0 - 1) || x >= Math.min(d.canvas, x1 + 1) || y >= Math.min(d.canvas, y1 + 1) ? 0 : Math.min(1, Math.max(0, backgroundBlend(d.image, y * d.image.width + x, rgb).alpha)));
}

const grownContains = (o: SceneObject, x: number, y: number): boolean => {
  const [x0, y0, x1, y1] = objectBox(o);
  return x >= x0 - 1 && y >= y0 - 1 && x < x1 + 1 && y < y1 + 1;
};

/** Every non-background pixel lies in exactly one object's box grown by 1 px, and is a blend of the background and that object's colour. */
function checkPixels(all: Drawn[]): { outside: number; offBlend: number; worstOff: number; coloured: number } {
  let outside = 0;
  let offBlend = 0;
  let worstOff = 0;
  let coloured = 0;
  for (const d of all) {
    for (let y = 0; y < d.canvas; y++) {
      for (let x = 0; x < d.canvas; x++) {
        if (isBackground(d.image, y * d.image.width + x)) continue;
        coloured++;
        const owners = d.scene.objects.filter((o) => grownContains(o, x, y));
        if (owners.length !== 1) {
          outside++;
          continue;
        }
        const { alpha, off } = backgroundBlend(d.image, y * d.image.width + x, COLOR_RGB[owners[0]!.color]);
        worstOff = Math.max(worstOff, off);
        if (off > 1.0 || alpha < -0.01 || alpha > 1.01) offBlend++;
      }
    }
  }
  return { outside, offBlend, worstOff, coloured };
}

/** The ring's centre pixel is pure background and the hole (coverage < 0.5, 4-connected from it) holds at least 4 pixels and never leaves the box. */
function ringOpen(d: Drawn, o: SceneObject, plan: BrushPlan): string | undefined {
  const [x0, y0, x1, y1] = objectBox(o);
  const cov = coverageOf(d, o);
  const sx = Math.floor(plan.centre[0]);
  const sy = Math.floor(plan.centre[1]);
  if (!isBackground(d.image, sy * d.image.width + sx)) return `centre pixel (${sx}, ${sy}) is not background`;
  const seen = new Set<number>([sy * d.canvas + sx]);
  const todo: [number, number][] = [[sx, sy]];
  while (todo.length > 0) {
    const [x, y] = todo.pop()!;
    if (x < x0 || y < y0 || x >= x1 || y >= y1) return `hole leaks out of the box at (${x}, ${y})`;
    for (const [nx, ny] of [
      [x + 1, y],
      [x - 1, y],
      [x, y + 1],
      [x, y - 1],
    ] as const) {
      if (nx < 0 || ny < 0 || nx >= d.canvas || ny >= d.canvas || seen.has(ny * d.canvas + nx) || cov(nx, ny) >= 0.5) continue;
      seen.add(ny * d.canvas + nx);
      todo.push([nx, ny]);
    }
  }
  return seen.size < 4 ? `hole of only ${seen.size} pixels` : undefined;
}

/**
 * Four visible arms: along each arm, at least 1 px beyond the other bar's edge, a solid pixel
 * (coverage >= 0.75); and in each of the four corners between arms (0.7 px clear of both bars) a
 * background-like pixel (coverage <= 0.15), so the arms stand apart.
 */
function crossArms(d: Drawn, o: SceneObject, plan: BrushPlan): string | undefined {
  const [x0, y0, x1, y1] = objectBox(o);
  const cov = coverageOf(d, o);
  const [h, v] = plan.strokes;
  if (!h || !v) return 'not two strokes';
  const halfH = h.radius; // half thickness of the horizontal bar
  const halfV = v.radius;
  const cos = Math.cos(plan.angle);
  const sin = Math.sin(plan.angle);
  const arm = [0, 0, 0, 0]; // right, left, down, up: best coverage
  const notch = [1, 1, 1, 1]; // (+u +v), (-u +v), (+u -v), (-u -v): least coverage
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const dx = x + 0.5 - plan.centre[0];
      const dy = y + 0.5 - plan.centre[1];
      const u = dx * cos + dy * sin;
      const w = -dx * sin + dy * cos;
      const c = cov(x, y);
      if (Math.abs(w) <= Math.max(halfH - 0.3, 0.5) && Math.abs(u) >= halfV + 1) arm[u > 0 ? 0 : 1] = Math.max(arm[u > 0 ? 0 : 1]!, c);
      if (Math.abs(u) <= Math.max(halfV - 0.3, 0.5) && Math.abs(w) >= halfH + 1) arm[w > 0 ? 2 : 3] = Math.max(arm[w > 0 ? 2 : 3]!, c);
      if (Math.abs(u) >= halfV + 0.7 && Math.abs(w) >= halfH + 0.7) {
        const q = (u > 0 ? 0 : 1) + (w > 0 ? 0 : 2);
        notch[q] = Math.min(notch[q]!, c);
      }
    }
  }
  const weak = arm.findIndex((c) => c < 0.75);
  if (weak >= 0) return `arm ${['right', 'left', 'down', 'up'][weak]} not visible (best coverage ${arm[weak]!.toFixed(2)})`;
  const filled = notch.findIndex((c) => c > 0.15);
  if (filled >= 0) return `corner ${filled} between arms is filled (least coverage ${notch[filled]!.toFixed(2)})`;
  return undefined;
}

/** The solid pixels (coverage >= 0.5) form one 8-connected piece whose longer side spans at least 3/4 of the box. */
function onePieceFillingBox(d: Drawn, o: SceneObject): string | undefined {
  const [x0, y0, x1, y1] = objectBox(o);
  const cov = coverageOf(d, o);
  const solid: number[] = [];
  for (let y = Math.max(0, y0 - 1); y < Math.min(d.canvas, y1 + 1); y++) for (let x = Math.max(0, x0 - 1); x < Math.min(d.canvas, x1 + 1); x++) if (cov(x, y) >= 0.5) solid.push(y * d.canvas + x);
  if (solid.length === 0) return 'no solid pixel';
  const set = new Set(solid);
  const seen = new Set<number>([solid[0]!]);
  const todo = [solid[0]!];
  while (todo.length > 0) {
    const p = todo.pop()!;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const x = (p % d.canvas) + dx;
        const q = p + dy * d.canvas + dx;
        if (x < 0 || x >= d.canvas || !set.has(q) || seen.has(q)) continue;
        seen.add(q);
        todo.push(q);
      }
    }
  }
  if (seen.size !== solid.length) return `${solid.length - seen.size} of ${solid.length} solid pixels apart from the rest`;
  const xs = solid.map((p) => p % d.canvas);
  const ys = solid.map((p) => Math.floor(p / d.canvas));
  const span = Math.max(Math.max(...xs) - Math.min(...xs) + 1, Math.max(...ys) - Math.min(...ys) + 1);
  if (span < 0.75 * o.size) return `spans ${span} px of a ${o.size} px box`;
  return undefined;
}

function checks(seed: number): boolean {
  const { report, held } = checkReport();
  const rng = new Rng(seed * 7919 + 17);
  const single = singles(rng);
  const { drawn: scenes, skipped } = promptScenes(rng);
  const all = [...single, ...scenes];
  const objects = all.flatMap((d) => d.scene.objects.map((o, i) => ({ d, o, plan: d.plans[i]! })));
  const perClass = Object.fromEntries(CLASSES.map((c) => [c, objects.filter((x) => x.o.shape === c).length])) as Record<ShapeClass, number>;
  console.log(`objects: ${objects.length} (${single.length} single, ${objects.length - single.length} in ${scenes.length} prompt scenes, ${skipped} prompts skipped); ${CLASSES.map((c) => `${c} ${perClass[c]}`).join(', ')}`);

  const px = checkPixels(all);
  report('inside box + 1 px', px.outside === 0, `${px.outside} of ${px.coloured} coloured pixels outside every object's box grown by 1 px (or in two)`);
  report('blends only', px.offBlend === 0, `${px.offBlend} pixels not a blend of background and their object's colour (largest distance off the blend line ${px.worstOff.toFixed(2)}, allowed 1.0)`);

  const failures = (shape: ShapeClass | undefined, test: (d: Drawn, o: SceneObject, plan: BrushPlan) => string | undefined): { n: number; bad: string[] } => {
    const chosen = objects.filter((x) => shape === undefined || x.o.shape === shape);
    const bad = chosen.flatMap(({ d, o, plan }) => {
      const why = test(d, o, plan);
      return why === undefined ? [] : [`${o.shape} size ${o.size} at (${o.center.join(', ')}) on ${d.canvas} px: ${why}`];
    });
    return { n: chosen.length, bad };
  };
  const detail = (r: { n: number; bad: string[] }, what: string): string => `${r.n - r.bad.length} of ${r.n} ${what}${r.bad.length > 0 ? `; first: ${r.bad.slice(0, 3).join(' | ')}` : ''}`;

  const rings = failures('ring', ringOpen);
  report('ring holes open', rings.bad.length === 0 && rings.n > 0, detail(rings, 'rings with a background centre pixel and a hole of 4+ pixels enclosed by the wall'));
  const crosses = failures('cross', crossArms);
  report('cross arms', crosses.bad.length === 0 && crosses.n > 0, detail(crosses, 'crosses with four visible arms and four clear corners between them'));
  const pieces = failures(undefined, (d, o) => onePieceFillingBox(d, o));
  report('one piece, about its box', pieces.bad.length === 0, detail(pieces, 'objects drawn as one solid piece spanning at least 3/4 of the box'));

  const alike = drawsAlikeFromOneState(renderBrush, seed) && all.slice(0, 60).every((d) => renderBrush(d.scene, d.canvas, Rng.fromState(d.state)).data.every((v, i) => v === d.image.data[i]));
  report('determinism', alike, 'the same rng state draws the same image (drawsAlikeFromOneState and 60 scenes redrawn)');
  return held();
}

styleSheetMain(renderBrush, checks);
