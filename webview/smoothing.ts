/**
 * Smoothing of a curve: the exponential moving average with TensorBoard's debiasing. A plain EMA
 * starts at 0 and creeps up for the first 1/(1-w) points; dividing by 1 - w^n removes that bias,
 * so the smoothed curve starts on the data. The weight is capped below 1 (at 1 the curve would
 * never move), and nulls (non-finite values) stay gaps without disturbing the average.
 */

export const MAX_SMOOTHING = 0.999;

export function clampSmoothing(weight: number): number {
  return Number.isFinite(weight) ? Math.min(MAX_SMOOTHING, Math.max(0, weight)) : 0;
}

export function smooth(values: readonly (number | null)[], weight: number): (number | null)[] {
  const w = clampSmoothing(weight);
  const out: (number | null)[] = new Array<number | null>(values.length);
  let last = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    last = last * w + (1 - w) * v;
    n++;
    // w = 0 makes 1 - w^n = 1: the data as it is.
    out[i] = w === 0 ? v : last / (1 - w ** n);
  }
  return out;
}
