/** Learning-rate schedule: linear warm-up, then cosine decay to a floor (nanoGPT's). */
export interface LrSchedule {
  lr: number;
  minLr: number;
  warmup: number;
  steps: number;
}

export function learningRate(s: LrSchedule, step: number): number {
  if (step < s.warmup) return (s.lr * (step + 1)) / s.warmup;
  if (step >= s.steps) return s.minLr;
  const progress = (step - s.warmup) / Math.max(1, s.steps - s.warmup);
  return s.minLr + 0.5 * (1 + Math.cos(Math.PI * progress)) * (s.lr - s.minLr);
}
