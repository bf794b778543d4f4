/**
 * A synthetic run's events for the view's tests: a base GenEval, a GRPO stage (metrics every step,
 * a group of samples every few steps, checkpoints), a final GenEval; deterministic (seeded).
 * The images are real PNGs (solid squares) so a browser can show them.
 */
import type { RunEvent, RunEventBody } from '../../schemas/protocol';
import { encodePng } from '../../daemon/util/png';

export interface SyntheticOptions {
  grpoSteps: number;
  samplesEvery: number;
  groupSize: number;
  checkpointEvery: number;
  seed: number;
}

const DEFAULTS: SyntheticOptions = { grpoSteps: 60, samplesEvery: 5, groupSize: 4, checkpointEvery: 25, seed: 1 };
const PROMPTS = ['a photo of a red circle', 'a photo of a blue square', 'a photo of two triangles', 'a photo of a green ring left of a star'];
const TAGS = ['single_object', 'two_object', 'counting', 'colors', 'position', 'color_attr'];

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function squarePng(r: number, g: number, b: number, side = 16): string {
  const data = new Uint8Array(side * side * 3);
  for (let i = 0; i < side * side; i++) {
    // A lighter quarter so the upscaling (nearest neighbour) shows sharp edges.
    const light = i % side < side / 2 && Math.floor(i / side) < side / 2 ? 60 : 0;
    data.set([Math.min(255, r + light), Math.min(255, g + light), Math.min(255, b + light)], i * 3);
  }
  return Buffer.from(encodePng({ width: side, height: side, data })).toString('base64');
}

export function syntheticRun(options: Partial<SyntheticOptions> = {}): RunEvent[] {
  const o = { ...DEFAULTS, ...options };
  const random = rng(o.seed);
  const start = Date.UTC(2026, 0, 1, 12, 0, 0);
  const events: RunEvent[] = [];
  const push = (body: RunEventBody): void => {
    const seq = events.length + 1;
    events.push({ ...body, seq, time: new Date(start + seq * 250).toISOString() });
  };
  const geneval = (stage: number, level: number): void => {
    push({ type: 'stage', stage, kind: 'geneval', status: 'started' });
    const tags = Object.fromEntries(
      TAGS.map((t, i) => {
        const total = 40;
        const correct = Math.round(total * Math.min(1, Math.max(0, level + (i - 2.5) * 0.08 + (random() - 0.5) * 0.1)));
        return [t, { correct, total, score: correct / total }];
      }),
    );
    const scores = Object.values(tags).map((t) => t.score);
    const overall = scores.reduce((a, b) => a + b, 0) / scores.length;
    for (let step = 1; step <= 10; step++) {
      push({ type: 'progress', stage, step, total: 10, etaSeconds: step > 5 ? 10 - step : null, stepsPerSecond: 2 });
      push({ type: 'metric', stage, step, values: { 'geneval/overall': overall * (0.9 + step / 100) } });
    }
    push({ type: 'result', stage, kind: 'geneval', path: `stages/${stage}-geneval`, result: { overall, tags, totalImages: 240, totalPrompts: 60, correctImages: Math.round(240 * overall), correctPrompts: Math.round(60 * overall * 0.9) } });
    push({ type: 'stage', stage, kind: 'geneval', status: 'finished' });
  };

  push({ type: 'state', state: 'queued' });
  push({ type: 'state', state: 'running' });
  geneval(0, 0.45);
  push({ type: 'stage', stage: 1, kind: 'grpo', status: 'started' });
  for (let step = 1; step <= o.grpoSteps; step++) {
    const p = step / o.grpoSteps;
    const noise = (): number => (random() - 0.5) * 0.2;
    push({ type: 'progress', stage: 1, step, total: o.grpoSteps, etaSeconds: step > 10 ? (o.grpoSteps - step) * 0.5 : null, stepsPerSecond: step > 10 ? 2 : null });
    push({
      type: 'metric',
      stage: 1,
      step,
      values: {
        'grpo/loss_generation': 2 * Math.exp(-2 * p) + noise(),
        'grpo/loss_understanding': 1.2 * Math.exp(-p) + noise() / 2,
        'grpo/reward': 0.4 + 0.4 * p + noise(),
        'grpo/reward_std': 0.3 + noise() / 3,
        'grpo/kl': 0.01 * p + Math.abs(noise()) / 50,
        'grpo/clip_ratio': Math.abs(noise()) / 4,
        'grpo/grounding_gap': 0.3 - 0.15 * p + noise() / 5,
        'grpo/entropy': step === 7 ? null : 3 - p + noise(),
      },
    });
    if (step % o.samplesEvery === 0 || step === 1) {
      const prompt = PROMPTS[Math.floor(step / o.samplesEvery) % PROMPTS.length]!;
      const rewards: number[] = Array.from({ length: o.groupSize }, () => (random() < 0.4 + 0.4 * p ? 1 : 0));
      const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
      const sd = Math.sqrt(rewards.reduce((a, r) => a + (r - mean) ** 2, 0) / Math.max(1, rewards.length - 1));
      rewards.forEach((reward, i) => {
        const png = squarePng(reward ? 40 : 200, 80 + i * 30, reward ? 200 : 40);
        push({
          type: 'sample',
          stage: 1,
          step,
          prompt,
          image: { path: `samples/s1-${String(step).padStart(7, '0')}-${i}.png`, pngBase64: png },
          answer: reward ? 'yes' : 'no',
          reward,
          advantage: sd === 0 ? 0 : (reward - mean) / sd,
        });
      });
    }
    if (step % o.checkpointEvery === 0 || step === o.grpoSteps) push({ type: 'checkpoint', stage: 1, step, path: `checkpoints/1-${step}` });
  }
  push({ type: 'log', level: 'warn', message: 'a warning for the log' });
  push({ type: 'stage', stage: 1, kind: 'grpo', status: 'finished' });
  geneval(2, 0.62);
  push({ type: 'state', state: 'completed' });
  return events;
}
