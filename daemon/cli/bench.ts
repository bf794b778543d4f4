import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatBench, runBenchmark } from '../../bench/run';
import { BACKEND_CHOICES, packageRoot, writeFileAtomic, type BackendChoice } from '../compute';
import { UsageError, type Command } from './command';

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UsageError(`--${name} must be an integer from 1 to 1000, got ${value}`);
  return n;
}

export const benchCommand: Command = {
  name: 'bench',
  summary: 'measure matrix products and a reference training step, side by side with PyTorch',
  help: `unirl bench [--json] [--backend auto|tensorflow|webgpu|wasm|cpu] [--no-native] [--threads N]
            [--rounds N] [--steps N] [--no-torch] [--python PATH] [--out FILE]

Measures, on the chosen backend: the plain matrix-product rate at the reference model's shapes,
one training step of the reference transformer (bench/reference-model.ts: 4 layers, width 128,
4 heads, vocab 1024, sequence 96, batch 16), and the same model in PyTorch (bench/torch_reference.py,
run when a Python with torch is found), started from the same weights, in interleaved rounds.
Prints a table (or, with --json, one JSON object) and writes the JSON to --out
(default bench/results/latest.json). Reports medians.
  --no-native   plain wasm kernels, even when the native ones load
  --threads N   BLAS threads for us and for PyTorch (default 1)
  --rounds N    interleaved rounds (default 5) of --steps N steps each (default 5)`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        json: { type: 'boolean' },
        backend: { type: 'string' },
        'no-native': { type: 'boolean' },
        threads: { type: 'string' },
        rounds: { type: 'string' },
        steps: { type: 'string' },
        'no-torch': { type: 'boolean' },
        python: { type: 'string' },
        out: { type: 'string' },
      },
      strict: true,
    });
    const backend = (values.backend ?? 'auto') as BackendChoice;
    if (!BACKEND_CHOICES.includes(backend)) throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got ${values.backend}`);
    const json = values.json ?? false;
    const result = await runBenchmark({
      backend,
      native: !values['no-native'],
      threads: positiveInt(values.threads, 'threads', 1),
      rounds: positiveInt(values.rounds, 'rounds', 5),
      stepsPerRound: positiveInt(values.steps, 'steps', 5),
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
