/**
 * The compute benchmark (`npm run bench`, `unirl bench`): on the active backend, the plain
 * matrix-product rate at the reference model's shapes (the ceiling), one training step of the
 * reference model (bench/reference-model.ts), and the same model in PyTorch side by side, started
 * from the same safetensors weights, in interleaved rounds so both see the same machine load.
 */
import * as tf from '@tensorflow/tfjs';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  Adam,
  initCompute,
  memorySnapshot,
  packageRoot,
  saveCheckpoint,
  valueAndGrads,
  writeSafetensors,
  setKernelMode,
  type BackendChoice,
  type ComputeInfo,
  type KernelMode,
} from '../daemon/compute';
import { createModel, modelConfig, type Paradigm } from '../daemon/models';
import { Rng } from '../daemon/util/random';
import { createReferenceParams, FAST_BLOCKS, referenceBatch, referenceLoss, referenceStepFlops, REFERENCE_CONFIG, STOCK_BLOCKS, type ReferenceConfig } from './reference-model';

export interface BenchOptions {
  backend?: BackendChoice;
  /**
   * On wasm: native (our blocks on the native kernels; the default when they load), plain (our
   * blocks on stock kernels) or stock (stock tfjs blocks and kernels: the baseline).
   */
  kernels?: KernelMode;
  /** Threads for our BLAS and for PyTorch (the same number, for a fair comparison). */
  threads?: number;
  /** Interleaved rounds (each: our steps, then PyTorch's). */
  rounds?: number;
  stepsPerRound?: number;
  /** Untimed steps on each side before the rounds. */
  warmup?: number;
  /** Run the PyTorch side when a Python with torch is found (default true). */
  torch?: boolean;
  /** Python to use (default: $UNIRL_PYTHON, /usr/bin/python3, python3: the first that imports torch). */
  python?: string;
  config?: ReferenceConfig;
  /** Steps of the tiny soak model after the timing, checking that tensors do not grow (default 1000; 0: none). */
  soakSteps?: number;
  /** Measure image sampling of the unified models at their default size (default true). */
  sampling?: boolean;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface MatmulRate {
  m: number;
  n: number;
  k: number;
  ms: number;
  gflops: number;
}

export interface BenchResult {
  date: string;
  machine: { cpu: string; cores: number; loadAvgStart: number[]; loadAvgEnd: number[] };
  backend: string;
  backendReason: string;
  /** On wasm: native | plain | stock (see BenchOptions.kernels); null on other backends. */
  kernels: KernelMode | null;
  native: ComputeInfo['native'];
  threads: number;
  /**
   * Aggregate rate over the model's forward product shapes (total FLOPs / total median time),
   * sampled between the training rounds.
   */
  matmulGflops: number;
  matmul: MatmulRate[];
  model: { config: ReferenceConfig; params: number; flopsPerStep: number };
  train: {
    msPerStep: number;
    tokensPerSec: number;
    gflops: number;
    fractionOfMatmul: number;
    steps: number;
    firstLoss: number;
    lastLoss: number;
    memory: { tensorsBefore: number; tensorsAfter: number; bytesBefore: number; bytesAfter: number };
  };
  /** Images per second drawn by each unified model (daemon/models, default config), null when skipped. */
  /** `kvCache` is null for the masked model (MaskGIT re-reads every position each step). */
  sampling: { paradigm: Paradigm; kvCache: boolean | null; params: number; batch: number; steps: number | null; msPerBatch: number; imagesPerSec: number }[] | null;
  /** Many training steps of a tiny model: the tensor count and bytes must not grow. */
  soak: { steps: number; config: ReferenceConfig; tensorsBefore: number; tensorsAfter: number; bytesBefore: number; bytesAfter: number } | null;
  torch: {
    available: boolean;
    reason: string;
    version: string | null;
    msPerStep: number | null;
    tokensPerSec: number | null;
    /** Ours / PyTorch in tokens per second (> 1: we are faster); null without PyTorch. */
    ratio: number | null;
    firstLoss: number | null;
    /** |ours - PyTorch| / |PyTorch| for the first step's loss (same weights, same batch). */
    lossRelDiff: number | null;
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

const SAMPLING_PROMPTS = [
  'a photo of two red circles',
  'a photo of a blue square',
  'a photo of a cross above a ring',
  'a photo of three green triangles',
];

/** Images per second for each paradigm's default model: a batch of 16 prompts, median of 3 after a warm-up. */
async function measureSampling(log: (line: string) => void): Promise<NonNullable<BenchResult['sampling']>> {
  const batch = 16;
  const prompts = Array.from({ length: batch }, (_, i) => SAMPLING_PROMPTS[i % SAMPLING_PROMPTS.length] ?? '');
  const out: NonNullable<BenchResult['sampling']> = [];
  const runs = [
    { paradigm: 'masked', kvCache: null },
    { paradigm: 'autoregressive', kvCache: true },
    { paradigm: 'autoregressive', kvCache: false },
  ] as const;
  for (const { paradigm, kvCache } of runs) {
    const model = createModel(modelConfig(paradigm));
    const steps = paradigm === 'masked' ? 12 : null;
    const rng = new Rng(17);
    const once = async () => {
      const t0 = performance.now();
      await model.generate(prompts, { rng, temperature: 1, cfg: 1.5, ...(steps ? { steps } : {}), ...(kvCache === null ? {} : { cache: kvCache }) });
      return performance.now() - t0;
    };
    await once();
    const msPerBatch = median([await once(), await once(), await once()]);
    out.push({ paradigm, kvCache, params: model.params.count(), batch, steps, msPerBatch, imagesPerSec: batch / (msPerBatch / 1000) });
    log(`sampling ${paradigm}${kvCache === null ? '' : kvCache ? ' (KV cache)' : ' (no KV cache)'}: ${(batch / (msPerBatch / 1000)).toFixed(1)} images/s`);
    model.params.dispose();
  }
  return out;
}

/** The soak test's model: small enough that 1,000 steps take seconds. */
const SOAK_CONFIG: ReferenceConfig = { vocab: 64, dim: 32, layers: 2, heads: 2, seq: 16, batch: 4 };

/** Trains the tiny model for `steps` steps; returns the memory before and after (after a warm-up). */
function soak(steps: number, blocks: typeof FAST_BLOCKS): NonNullable<BenchResult['soak']> {
  const c = SOAK_CONFIG;
  const params = createReferenceParams(c, 3);
  const optimizer = new Adam({ lr: 1e-3 });
  const batch = referenceBatch(c, 5);
  const inputs = tf.tensor(batch.inputs, [c.batch, c.seq], 'int32');
  const targets = tf.tensor(batch.targets, [c.batch, c.seq], 'int32');
  const step = () => {
    const { value, grads } = valueAndGrads(params, () => referenceLoss(params, c, inputs, targets, blocks));
    optimizer.apply(params, grads);
    for (const g of grads.values()) g.dispose();
    value.dispose();
  };
  step();
  const before = memorySnapshot();
  for (let i = 0; i < steps; i++) step();
  const after = memorySnapshot();
  for (const t of [params, optimizer, inputs, targets]) t.dispose();
  return { steps, config: c, tensorsBefore: before.tensors, tensorsAfter: after.tensors, bytesBefore: before.bytes, bytesAfter: after.bytes };
}

/**
 * Plain products at fixed shapes, sampled between the training rounds so that the ceiling is
 * measured under the same machine load as the steps it is compared with.
 */
class MatmulProbe {
  private readonly operands: { m: number; n: number; k: number; a: tf.Tensor; b: tf.Tensor; times: number[] }[];
  constructor(shapes: [number, number, number][]) {
    this.operands = shapes.map(([m, n, k]) => ({ m, n, k, a: tf.randomNormal([m, k]), b: tf.randomNormal([k, n]), times: [] }));
    this.sample(2);
    for (const o of this.operands) o.times.length = 0;
  }
  sample(reps: number): void {
    // Kernels on wasm, cpu and tensorflow return when done; a GPU backend must be waited for.
    const wait = !['wasm', 'cpu', 'tensorflow'].includes(tf.getBackend());
    for (const o of this.operands) {
      for (let i = 0; i < reps; i++) {
        const t0 = performance.now();
        const c = tf.matMul(o.a, o.b);
        if (wait) c.dataSync();
        c.dispose();
        o.times.push(performance.now() - t0);
      }
    }
  }
  /** Per shape, the median time; and the aggregate rate (total FLOPs / total median time). */
  result(): { rates: MatmulRate[]; gflops: number } {
    const rates = this.operands.map(({ m, n, k, times }) => {
      const ms = median(times);
      return { m, n, k, ms, gflops: (2 * m * n * k) / (ms * 1e6) };
    });
    const gflops = rates.reduce((s, r) => s + 2 * r.m * r.n * r.k, 0) / (rates.reduce((s, r) => s + r.ms, 0) * 1e6);
    return { rates, gflops };
  }
  dispose(): void {
    for (const o of this.operands) tf.dispose([o.a, o.b]);
  }
}

/** A Python that imports torch, or why there is none. */
export function findTorchPython(preferred?: string): { python?: string; reason: string } {
  const candidates = [preferred, process.env['UNIRL_PYTHON'], '/usr/bin/python3', 'python3'].filter((c): c is string => !!c);
  const tried: string[] = [];
  for (const py of [...new Set(candidates)]) {
    const r = spawnSync(py, ['-c', 'import torch, sys; sys.stdout.write(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return { python: py, reason: `${py} has torch ${r.stdout.trim()}` };
    tried.push(`${py}: ${r.error ? r.error.message : 'no torch'}`);
  }
  return { reason: `no Python with torch (${tried.join('; ')}); on Debian: apt-get install python3-torch` };
}

/** The PyTorch child: JSON lines over stdio. */
class TorchProcess {
  private readonly lines: AsyncIterator<string>;
  private readonly stderr: string[] = [];
  constructor(private readonly child: ReturnType<typeof spawn>) {
    if (!child.stdout || !child.stdin) throw new Error('torch child has no pipes');
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    child.stderr?.on('data', (d: Buffer) => this.stderr.push(d.toString()));
  }
  async next(): Promise<Record<string, unknown>> {
    const r = await this.lines.next();
    if (r.done) throw new Error(`the PyTorch reference exited: ${this.stderr.join('').trim().split('\n').slice(-5).join('\n')}`);
    return JSON.parse(r.value) as Record<string, unknown>;
  }
  async steps(n: number): Promise<{ ms: number[]; losses: number[] }> {
    this.child.stdin!.write(`steps ${n}\n`);
    const r = await this.next();
    if (!Array.isArray(r['ms']) || !Array.isArray(r['losses'])) throw new Error(`PyTorch reference: ${JSON.stringify(r)}`);
    return { ms: r['ms'] as number[], losses: r['losses'] as number[] };
  }
  quit(): void {
    this.child.stdin!.end('quit\n');
  }
}

export async function runBenchmark(options: BenchOptions = {}): Promise<BenchResult> {
  const log = options.log ?? (() => undefined);
  const threads = options.threads ?? 1;
  const rounds = options.rounds ?? 5;
  const perRound = options.stepsPerRound ?? 5;
  const warmup = options.warmup ?? 2;
  const c = options.config ?? REFERENCE_CONFIG;
  const loadAvgStart = loadavg();
  const info = await initCompute({ backend: options.backend ?? 'auto', threads });
  let kernels: KernelMode | null = null;
  if (info.backend === 'wasm') {
    kernels = options.kernels ?? (info.native.loaded ? 'native' : 'plain');
    setKernelMode(kernels);
  } else if (options.kernels) {
    throw new Error(`--kernels applies to the wasm backend only (the backend is ${info.backend})`);
  }
  const blocks = kernels === 'stock' ? STOCK_BLOCKS : FAST_BLOCKS;
  log(`backend ${info.backend}${kernels ? `, ${kernels} kernels` : ''}: ${info.reason}`);

  const tokens = c.batch * c.seq;
  const shapes: [number, number, number][] = [
    [tokens, c.dim, c.dim],
    [tokens, 4 * c.dim, c.dim],
    [tokens, c.dim, 4 * c.dim],
    [tokens, c.vocab, c.dim],
  ];
  const probe = new MatmulProbe(shapes);
  probe.sample(5);
  log(`matrix products: ${probe.result().gflops.toFixed(1)} GFLOP/s`);

  const lr = 1e-3;
  const adamOptions = { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
  const params = createReferenceParams(c, 1);
  const optimizer = new Adam(adamOptions);
  const batch = referenceBatch(c, 7);
  const dir = mkdtempSync(join(tmpdir(), 'unirl-bench-'));
  const weightsFile = join(dir, 'init.safetensors');
  const batchFile = join(dir, 'batch.safetensors');
  await saveCheckpoint(weightsFile, params, { config: c, step: 0, metadata: { train: JSON.stringify(adamOptions) } });
  writeSafetensors(batchFile, new Map([
    ['inputs', { dtype: 'I32', shape: [c.batch, c.seq], data: batch.inputs }],
    ['targets', { dtype: 'I32', shape: [c.batch, c.seq], data: batch.targets }],
  ]));

  let torch: TorchProcess | undefined;
  let torchVersion: string | null = null;
  let torchReason = 'disabled (--no-torch)';
  if (options.torch ?? true) {
    const found = findTorchPython(options.python);
    torchReason = found.reason;
    if (found.python) {
      const env = { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
      const script = join(packageRoot(), 'bench', 'torch_reference.py');
      const child = spawn(found.python, [script, weightsFile, batchFile, '--threads', String(threads)], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      torch = new TorchProcess(child);
      const ready = await torch.next();
      torchVersion = typeof ready['torch'] === 'string' ? ready['torch'] : null;
      log(`PyTorch ${torchVersion}, ${String(ready['threads'])} thread(s), ${String(ready['params'])} parameters`);
    }
  }

  try {
    const inputs = tf.tensor(batch.inputs, [c.batch, c.seq], 'int32');
    const targets = tf.tensor(batch.targets, [c.batch, c.seq], 'int32');
    const losses: number[] = [];
    const ours: number[] = [];
    const oneStep = (): number => {
      const t0 = performance.now();
      const { value, grads } = valueAndGrads(params, () => referenceLoss(params, c, inputs, targets, blocks));
      optimizer.apply(params, grads);
      for (const g of grads.values()) g.dispose();
      losses.push(value.dataSync()[0] ?? NaN);
      value.dispose();
      return performance.now() - t0;
    };
    for (let i = 0; i < warmup; i++) oneStep();
    const before = memorySnapshot();
    const theirs: number[] = [];
    const torchLosses: number[] = [];
    if (torch) torchLosses.push(...(await torch.steps(warmup)).losses);
    for (let r = 0; r < rounds; r++) {
      probe.sample(3);
      for (let i = 0; i < perRound; i++) ours.push(oneStep());
      if (torch) {
        const t = await torch.steps(perRound);
        theirs.push(...t.ms);
        torchLosses.push(...t.losses);
      }
      log(`round ${r + 1}/${rounds}: ours ${median(ours.slice(-perRound)).toFixed(1)} ms/step${torch ? `, PyTorch ${median(theirs.slice(-perRound)).toFixed(1)} ms/step` : ''}`);
    }
    const after = memorySnapshot();
    inputs.dispose();
    targets.dispose();
    const sampling = (options.sampling ?? true) ? await measureSampling(log) : null;
    const soakSteps = options.soakSteps ?? 1000;
    const soaked = soakSteps > 0 ? soak(soakSteps, blocks) : null;
    if (soaked) log(`soak: ${soakSteps} steps, tensors ${soaked.tensorsBefore} -> ${soaked.tensorsAfter}, bytes ${soaked.bytesBefore} -> ${soaked.bytesAfter}`);

    const { rates: matmul, gflops: matmulGflops } = probe.result();
    const flops = referenceStepFlops(c);
    const msPerStep = median(ours);
    const gflops = flops / (msPerStep * 1e6);
    const torchMs = torch ? median(theirs) : null;
    const firstLoss = losses[0] ?? NaN;
    const torchFirst = torchLosses[0] ?? null;
    return {
      date: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, loadAvgStart, loadAvgEnd: loadavg() },
      backend: info.backend,
      backendReason: info.reason,
      kernels,
      native: { ...info.native, active: kernels === 'native' },
      threads,
      matmulGflops,
      matmul,
      model: { config: c, params: params.count(), flopsPerStep: flops },
      train: {
        msPerStep,
        tokensPerSec: tokens / (msPerStep / 1000),
        gflops,
        fractionOfMatmul: gflops / matmulGflops,
        steps: ours.length,
        firstLoss,
        lastLoss: losses[losses.length - 1] ?? NaN,
        memory: { tensorsBefore: before.tensors, tensorsAfter: after.tensors, bytesBefore: before.bytes, bytesAfter: after.bytes },
      },
      sampling,
      soak: soaked,
      torch: {
        available: !!torch,
        reason: torchReason,
        version: torchVersion,
        msPerStep: torchMs,
        tokensPerSec: torchMs === null ? null : tokens / (torchMs / 1000),
        ratio: torchMs === null ? null : torchMs / msPerStep,
        firstLoss: torchFirst,
        lossRelDiff: torchFirst === null ? null : Math.abs(firstLoss - torchFirst) / Math.abs(torchFirst),
      },
    };
  } finally {
    probe.dispose();
    torch?.quit();
    params.dispose();
    optimizer.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The human-readable table. */
export function formatBench(r: BenchResult): string {
  const c = r.model.config;
  const f = (x: number | null, d = 1) => (x === null || !Number.isFinite(x) ? '-' : x.toFixed(d));
  const rows: [string, string][] = [
    ['backend', `${r.backend}${r.kernels ? `, ${r.kernels} kernels` : ''}${r.native.active ? ` (${r.native.blas ?? 'BLAS'})` : ''}, ${r.threads} thread(s)`],
    ['machine', `${r.machine.cpu}, ${r.machine.cores} cores, load ${r.machine.loadAvgStart.map((x) => x.toFixed(2)).join(' ')}`],
    ['matrix products', `${f(r.matmulGflops)} GFLOP/s  (${r.matmul.map((m) => `${m.m}x${m.k}x${m.n}: ${f(m.gflops)}`).join(', ')})`],
    ['model', `${c.layers} layers, width ${c.dim}, ${c.heads} heads, vocab ${c.vocab}, sequence ${c.seq}, batch ${c.batch}; ${(r.model.params / 1e6).toFixed(2)} M parameters, ${f(r.model.flopsPerStep / 1e9, 2)} GFLOP/step`],
    ['train step', `${f(r.train.msPerStep)} ms  ${f(r.train.tokensPerSec, 0)} tokens/s  ${f(r.train.gflops)} GFLOP/s  = ${f(100 * r.train.fractionOfMatmul, 0)}% of the product rate  (median of ${r.train.steps})`],
    ['memory', `tensors ${r.train.memory.tensorsBefore} -> ${r.train.memory.tensorsAfter}, bytes ${r.train.memory.bytesBefore} -> ${r.train.memory.bytesAfter} over the timed steps` +
      (r.soak ? `; ${r.soak.steps} more steps of a tiny model: tensors ${r.soak.tensorsBefore} -> ${r.soak.tensorsAfter}, bytes ${r.soak.bytesBefore} -> ${r.soak.bytesAfter}` : '')],
    ['PyTorch', r.torch.available ? `${r.torch.version}: ${f(r.torch.msPerStep)} ms  ${f(r.torch.tokensPerSec, 0)} tokens/s` : r.torch.reason],
    ['ours / PyTorch', r.torch.ratio === null ? '-' : `${f(r.torch.ratio, 2)}x`],
    ['sampling', r.sampling ? r.sampling.map((x) => `${x.paradigm}${x.kvCache === null ? '' : x.kvCache ? ' with KV cache' : ' without KV cache'} ${f(x.imagesPerSec)} images/s (${(x.params / 1e6).toFixed(2)} M parameters, batch ${x.batch}${x.steps ? `, ${x.steps} MaskGIT steps` : ''})`).join('; ') : '-'],
    ['first loss', `ours ${f(r.train.firstLoss, 6)}, PyTorch ${f(r.torch.firstLoss, 6)}, relative difference ${r.torch.lossRelDiff === null ? '-' : r.torch.lossRelDiff.toExponential(1)}`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}
