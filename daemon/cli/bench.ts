import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatBench, runBenchmark } from '../../bench/run';
import { formatThroughput, runThroughput } from '../../bench/throughput';
import { BACKEND_CHOICES, packageRoot, type BackendChoice, type KernelMode } from '../compute';
import { writeFileAtomic } from '../util/fsx';
import { UsageError, type Command } from './command';

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new UsageError(`--${name} must be an integer from 1 to 100000, got ${value}`);
  return n;
}

export const benchCommand: Command = {
  name: 'bench',
  summary: 'measure matrix products and a reference training step, side by side with PyTorch',
  help: `unirl bench [--json] [--backend auto|tensorflow|webgpu|wasm|cpu] [--kernels native|plain|stock] [--threads N]
            [--rounds N] [--steps N] [--soak N] [--no-sampling] [--no-torch] [--python PATH] [--out FILE]

Measures, on the chosen backend: the plain matrix-product rate at the reference model's shapes,
one training step of the reference transformer (bench/reference-model.ts: 4 layers, width 128,
4 heads, vocab 1024, sequence 96, batch 16), and the same model in PyTorch (bench/torch_reference.py,
run when a Python with torch is found), started from the same weights, in interleaved rounds.
Prints a table (or, with --json, one JSON object) and writes the JSON to --out
(default bench/results/latest.json). Reports medians.
  --kernels K   on wasm: native (our blocks on the native kernels, the default when they load),
                plain (our blocks on stock wasm kernels), stock (stock tfjs throughout: slow,
                use with --rounds 1 --steps 2)
  --threads N   BLAS threads for us and for PyTorch (default 1)
  --rounds N    interleaved rounds (default 5) of --steps N steps each (default 5)
  --soak N      then N steps of a tiny model, checking that tensors do not grow (default 1000; 0: skip)
  --no-sampling skip the images-per-second measurement of the unified models (daemon/models)

unirl bench --throughput [--backend B] [--paradigm masked|autoregressive|both] [--batches 16,64]
            [--dim N --layers N --heads N] [--steps N] [--matmul N] [--data-workers N] [--json] [--out FILE]
The product's own pretraining loop on the chosen backend (webgpu included): ms/step, tokens/s,
examples/s, achieved TFLOP/s and data-wait share per paradigm and batch, one large fp32 product
(--matmul N, default 2048; 0 skips), and the adapter on webgpu. --profile adds time and count per kernel
over 3 steps of each paradigm at the first batch (GPU times need UNIRL_WEBGPU_TIMESTAMPS=1 on webgpu). JSON to --out
(default bench/results/throughput.json). --backend webgpu always runs this benchmark.`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        json: { type: 'boolean' },
        backend: { type: 'string' },
        kernels: { type: 'string' },
        threads: { type: 'string' },
        rounds: { type: 'string' },
        steps: { type: 'string' },
        soak: { type: 'string' },
        'no-sampling': { type: 'boolean' },
        'no-torch': { type: 'boolean' },
        python: { type: 'string' },
        out: { type: 'string' },
        throughput: { type: 'boolean' },
        paradigm: { type: 'string' },
        batches: { type: 'string' },
        dim: { type: 'string' },
        layers: { type: 'string' },
        heads: { type: 'string' },
        matmul: { type: 'string' },
        'data-workers': { type: 'string' },
        profile: { type: 'boolean' },
      },
      strict: true,
    });
    // The reference comparison is PyTorch on CPU threads; on a GPU the throughput benchmark is the one that means something.
    if (values.throughput || values.backend === 'webgpu') return throughputRun(values);
    const backend = (values.backend ?? 'auto') as BackendChoice;
    if (!BACKEND_CHOICES.includes(backend)) throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got ${values.backend}`);
    const kernels = values.kernels as KernelMode | undefined;
    if (kernels !== undefined && !['native', 'plain', 'stock'].includes(kernels)) throw new UsageError(`--kernels must be native, plain or stock, got ${kernels}`);
    const json = values.json ?? false;
    const result = await runBenchmark({
      backend,
      ...(kernels ? { kernels } : {}),
      threads: positiveInt(values.threads, 'threads', 1),
      rounds: positiveInt(values.rounds, 'rounds', 5),
      stepsPerRound: positiveInt(values.steps, 'steps', 5),
      soakSteps: values.soak === '0' ? 0 : positiveInt(values.soak, 'soak', 1000),
      sampling: !values['no-sampling'],
      torch: !values['no-torch'],
      ...(values.python ? { python: values.python } : {}),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    const out = values.out ?? join(packageRoot(), 'bench', 'results', 'latest.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileAtomic(out, Buffer.from(`${JSON.stringify(result, null, 2)}\n`));
    if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(`${formatBench(result)}\n\n(JSON: ${out})\n`);
    return 0;
  },
};

interface ThroughputValues {
  backend?: string | undefined;
  paradigm?: string | undefined;
  batches?: string | undefined;
  dim?: string | undefined;
  layers?: string | undefined;
  heads?: string | undefined;
  steps?: string | undefined;
  matmul?: string | undefined;
  'data-workers'?: string | undefined;
  profile?: boolean | undefined;
  json?: boolean | undefined;
  out?: string | undefined;
}

async function throughputRun(values: ThroughputValues): Promise<number> {
  const backend = (values.backend ?? 'auto') as BackendChoice;
  if (!BACKEND_CHOICES.includes(backend)) throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got ${values.backend}`);
  const paradigm = values.paradigm ?? 'both';
  if (!['masked', 'autoregressive', 'both'].includes(paradigm)) throw new UsageError(`--paradigm must be masked, autoregressive or both, got ${paradigm}`);
  const batches = (values.batches ?? '16').split(',').map((b) => positiveInt(b.trim(), 'batches', 16));
  const model = {
    ...(values.dim ? { dim: positiveInt(values.dim, 'dim', 192) } : {}),
    ...(values.layers ? { layers: positiveInt(values.layers, 'layers', 6) } : {}),
    ...(values.heads ? { heads: positiveInt(values.heads, 'heads', 6) } : {}),
  };
  const result = await runThroughput({
    backend,
    paradigms: paradigm === 'both' ? ['autoregressive', 'masked'] : [paradigm as 'masked' | 'autoregressive'],
    batches,
    model,
    steps: positiveInt(values.steps, 'steps', 10),
    matmulSize: values.matmul === '0' ? 0 : positiveInt(values.matmul, 'matmul', 2048),
    ...(values['data-workers'] === undefined ? {} : { dataWorkers: values['data-workers'] === '0' ? 0 : positiveInt(values['data-workers'], 'data-workers', 1) }),
    profile: values.profile ?? false,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const out = values.out ?? join(packageRoot(), 'bench', 'results', 'throughput.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileAtomic(out, Buffer.from(`${JSON.stringify(result, null, 2)}\n`));
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(`${formatThroughput(result)}\n\n(JSON: ${out})\n`);
  return 0;
}
