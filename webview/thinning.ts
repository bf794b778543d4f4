/**
 * Point thinning for the charts: a chart a few hundred pixels wide cannot show 10,000 points, and
 * drawing them all costs time on every frame. Per x bucket (about one per pixel) we keep the
 * points that hold each series' minimum and maximum, so spikes and dips stay visible (no outlier
 * is ever hidden), plus the first and the last point and one null per gap, so gaps stay gaps.
 */

export function thin(x: readonly number[], ys: readonly (readonly (number | null | undefined)[])[], buckets: number): number[] {
  const n = x.length;
  const all = (): number[] => Array.from({ length: n }, (_, i) => i);
  if (n <= 2 || buckets < 1 || n <= buckets * 2) return all();
  const x0 = x[0]!;
  const span = x[n - 1]! - x0;
  if (!(span > 0)) return all();
  const keep = new Uint8Array(n);
  keep[0] = 1;
  keep[n - 1] = 1;
  let bucket = -1;
  // Per series, the indices of the min, the max and the first null of the current bucket.
  const lo = new Int32Array(ys.length).fill(-1);
  const hi = new Int32Array(ys.length).fill(-1);
  const gap = new Int32Array(ys.length).fill(-1);
  const flush = (): void => {
    for (let s = 0; s < ys.length; s++) {
      for (const i of [lo[s]!, hi[s]!, gap[s]!]) if (i >= 0) keep[i] = 1;
      lo[s] = hi[s] = gap[s] = -1;
    }
  };
  for (let i = 0; i < n; i++) {
    const b = Math.min(buckets - 1, Math.floor(((x[i]! - x0) / span) * buckets));
    if (b !== bucket) {
      flush();
      bucket = b;
    }
    for (let s = 0; s < ys.length; s++) {
      const v = ys[s]![i];
      if (v === undefined) continue;
      if (v === null) {
        if (gap[s]! < 0) gap[s] = i;
        continue;
      }
      if (lo[s]! < 0 || v < ys[s]![lo[s]!]!) lo[s] = i;
      if (hi[s]! < 0 || v > ys[s]![hi[s]!]!) hi[s] = i;
    }
  }
  flush();
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (keep[i]) out.push(i);
  return out;
}

/** The columns at the kept indices. */
export function pick<T>(column: readonly T[], indices: readonly number[]): T[] {
  return indices.map((i) => column[i]!);
}
