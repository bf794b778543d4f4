/**
 * Throughput of the product's own pretraining loop (`unirl bench --throughput`): for each
 * paradigm and batch size, daemon/train/pretrain.ts runs a few steps on the chosen backend and
 * reports tokens/s, examples/s, the estimated TFLOP/s the step achieves, and the share of wall time
 * spent waiting for data; beside it, the rate of one large fp32 matrix product, and the adapter
 * on webgpu. Works on every backend, so a GPU's figures and this machine's CPU path come from the
 * same code.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { initCompute, type AdapterReport, type BackendChoice } from '../daemon/compute';
import { createModel, modelConfig, type ModelConfig, type Paradigm } from '../daemon/models';
import { DEFAULT_PRETRAIN, pretrain, type PretrainMetrics } from '../daemon/train';

export interface ThroughputOptions {
  backend?: BackendChoice;
  paradigms?: Paradigm[];
  /** Generation batch sizes to measure (the understanding batch is the same). */
  batches?: number[];
  /** Model size overrides (default: the committed bases' size). */
  model?: Partial<Pick<ModelConfig, 'dim' | 'layers' | 'heads'>>;
  /** Timed steps per row (rounded up to whole windows of `warmupSteps`), after `warmupSteps` untimed ones (shader compilation, allocation). */
  steps?: number;
  warmupSteps?: number;
  /** Side of the square matrix product (0: skip). */
  matmulSize?: number;
  dataWorkers?: number;
  /** Also profile a few steps of each paradigm at the first batch: time and count per kernel. */
  profile?: boolean;
  log?: (line: string) => void;
}

export interface KernelProfile {
  paradigm: Paradigm;
  batch: number;
  steps: number;
  /** Kernels by total time (GPU time where the backend can measure it, else 0), then count. */
  kernels: { name: string; count: number; ms: number }[];
}

export interface ThroughputRow {
  paradigm: Paradigm;
  batch: number;
  params: number;
  stepSeconds: number;
  tokensPerSec: number;
  examplesPerSec: number;
  /** Dense-layer FLOPs (6 x dense parameters x tokens; attention scores left out) over step time. */
  tflops: number;
  dataWait: number;
}

export interface ThroughputResult {
  date: string;
  backend: string;
  backendReason: string;
  adapter: AdapterReport | null;
  cpu: string;
  cores: number;
  matmul: { size: number; ms: number; tflops: number } | null;
  rows: ThroughputRow[];
  profiles: KernelProfile[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median time of an n x n x n fp32 product, each timed to completion (a one-element read-back). */
async function matmulRate(n: number): Promise<{ size: number; ms: number; tflops: number }> {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  const once = async (): Promise<number> => {
    const started = performance.now();
    const c = tf.matMul(a, b);
    const corner = tf.slice(c, [0, 0], [1, 1]);
    await corner.data();
    tf.dispose([c, corner]);
    return performance.now() - started;
  };
  for (let i = 0; i < 2; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) times.push(await once());
  tf.dispose([a, b]);
  const ms = median(times);
  return { size: n, ms, tflops: (2 * n ** 3) / (ms / 1000) / 1e12 };
}

/** Parameters in dense layers (2-D weights other than embedding tables): what 6·P·tokens counts. */
function denseParams(config: ModelConfig): { all: number; dense: number } {
  const model = createModel(config);
  let all = 0;
  let dense = 0;
  for (const [name, v] of model.params.entries()) {
    all += v.size;
    if (v.rank === 2 && !/embed|pos/i.test(name)) dense += v.size;
  }
  model.params.dispose();
  return { all, dense };
}

export async function runThroughput(options: ThroughputOptions = {}): Promise<ThroughputResult> {
  const log = options.log ?? (() => undefined);
  const info = await initCompute({ backend: options.backend ?? 'auto' });
  log(`backend: ${info.backend} (${info.reason})`);
  const steps = options.steps ?? 10;
  const warmup = options.warmupSteps ?? 5;
  const size = options.matmulSize ?? 2048;
  const matmul = size > 0 ? await matmulRate(size) : null;
  if (matmul) log(`matmul ${size}^3 fp32: ${matmul.ms.toFixed(2)} ms, ${matmul.tflops.toFixed(2)} TFLOP/s`);

  const rows: ThroughputRow[] = [];
  const profiles: KernelProfile[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'unirl-throughput-'));
  try {
    for (const paradigm of options.paradigms ?? ['autoregressive', 'masked']) {
      const model = modelConfig(paradigm, { ...options.model });
      const { all, dense } = denseParams(model);
      for (const batch of options.batches ?? [16]) {
        const windows: PretrainMetrics[] = [];
        // Log windows of `warmup` steps: the first is the warm-up, the medians are over the rest.
        // (Windows, not single steps: a read-back every step would stop the host from queueing the
        // next step while the device runs this one, which the real loop does.)
        const windowsTimed = Math.max(1, Math.ceil(steps / warmup));
        const config = { ...DEFAULT_PRETRAIN, model, steps: warmup * (1 + windowsTimed), batchSize: batch, understandingBatchSize: batch, logEvery: warmup, checkpointEvery: 1_000_000, ...(options.dataWorkers === undefined ? {} : { dataWorkers: options.dataWorkers }) };
        await pretrain(config, join(dir, `${paradigm}-${batch}.safetensors`), { onMetrics: (m) => windows.push(m) });
        const timed = windows.slice(1);
        const stepSeconds = median(timed.map((m) => m['train/step_time']));
        const tokensPerSec = median(timed.map((m) => m['train/tokens_per_sec']));
        const row: ThroughputRow = {
          paradigm,
          batch,
          params: all,
          stepSeconds,
          tokensPerSec,
          examplesPerSec: (2 * batch) / stepSeconds,
          tflops: (6 * dense * tokensPerSec) / 1e12,
          dataWait: median(timed.map((m) => m['train/data_wait'])),
        };
        rows.push(row);
        log(`${paradigm} batch ${batch}+${batch}: ${(stepSeconds * 1000).toFixed(0)} ms/step, ${tokensPerSec.toFixed(0)} tok/s, ${row.examplesPerSec.toFixed(0)} examples/s, ${row.tflops.toFixed(3)} TFLOP/s, data wait ${(row.dataWait * 100).toFixed(0)}%`);
      }
    }
    if (options.profile) {
      for (const paradigm of options.paradigms ?? ['autoregressive', 'masked']) {
        const batch = (options.batches ?? [16])[0]!;
        const model = modelConfig(paradigm, { ...options.model });
        const steps = 3;
        const config = { ...DEFAULT_PRETRAIN, model, steps, batchSize: batch, understandingBatchSize: batch, logEvery: steps, checkpointEvery: 1_000_000 };
        const file = join(dir, `${paradigm}-profile.safetensors`);
        const info = await tf.profile(async () => {
          await pretrain(config, file);
        });
        const byName = new Map<string, { count: number; ms: number }>();
        for (const k of info.kernels) {
          const entry = byName.get(k.name) ?? { count: 0, ms: 0 };
          entry.count++;
          const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
          entry.ms += Number.isFinite(ms) ? ms : 0;
          byName.set(k.name, entry);
        }
        const kernels = [...byName].map(([name, e]) => ({ name, ...e })).sort((a, b) => b.ms - a.ms || b.count - a.count);
        profiles.push({ paradigm, batch, steps, kernels });
        const total = kernels.reduce((t, k) => t + k.ms, 0);
        log(`${paradigm} profile, ${steps} steps at ${batch}+${batch}: ${info.kernels.length} kernels, ${total.toFixed(0)} ms of kernel time`);
        for (const k of kernels.slice(0, 15)) log(`  ${k.name}: ${k.count} calls, ${k.ms.toFixed(1)} ms`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    date: new Date().toISOString(),
    backend: info.backend,
    backendReason: info.reason,
    adapter: info.adapter ?? null,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    matmul,
    rows,
    profiles,
  };
}

export function formatThroughput(r: ThroughputResult): string {
  const lines = [
    `backend ${r.backend}: ${r.backendReason}`,
    r.matmul ? `matmul ${r.matmul.size}^3 fp32: ${r.matmul.tflops.toFixed(2)} TFLOP/s` : 'matmul: skipped',
    '',
    '| paradigm | batch (gen+und) | ms/step | tokens/s | examples/s | TFLOP/s (dense) | data wait |',
    '|---|---|---|---|---|---|---|',
    ...r.rows.map((x) => `| ${x.paradigm} | ${x.batch}+${x.batch} | ${(x.stepSeconds * 1000).toFixed(0)} | ${x.tokensPerSec.toFixed(0)} | ${x.examplesPerSec.toFixed(0)} | ${x.tflops.toFixed(3)} | ${(x.dataWait * 100).toFixed(0)}% |`),
  ];
  return lines.join('\n');
}
