/**
 * Loads the optional native kernels (native/, built by `npm install`). Nothing here is required:
 * when the addon is missing, disabled or broken, `loadNative()` says why and everything runs on the
 * stock kernels.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/paths';

/** A heap view: the wasm backend's HEAPU8. Offsets below are byte offsets into it. */
type Heap = Uint8Array;

/** The addon's functions (native/src/unirl_native.c documents each argument list). */
export interface NativeAddon {
  gemm(heap: Heap, batch: number, transA: number, transB: number, m: number, n: number, k: number,
    a: number, strideA: number, b: number, strideB: number, c: number, strideC: number, alpha: number, beta: number): void;
  biasAct(heap: Heap, c: number, batch: number, m: number, n: number, bias: number, bs0: number, bs1: number, bs2: number,
    act: number, alpha: number, prelu: number, ps0: number, ps1: number, ps2: number): void;
  colSum(heap: Heap, x: number, out: number, rows: number, cols: number): void;
  layerNorm(heap: Heap, x: number, gamma: number, beta: number, y: number, mean: number, rstd: number, rows: number, cols: number, eps: number): void;
  layerNormGrad(heap: Heap, dy: number, x: number, gamma: number, mean: number, rstd: number, dx: number, dgamma: number, dbeta: number,
    rows: number, cols: number): void;
  gelu(heap: Heap, x: number, y: number, n: number): void;
  geluGrad(heap: Heap, x: number, dy: number, dx: number, n: number): void;
  softmaxXent(heap: Heap, logits: number, targets: number, nll: number, lse: number, rows: number, classes: number): void;
  softmaxXentGrad(heap: Heap, logits: number, targets: number, lse: number, dnll: number, dlogits: number, rows: number, classes: number): void;
  attention(heap: Heap, q: number, k: number, v: number, out: number, probs: number, batch: number, heads: number, tq: number, tk: number,
    dh: number, scale: number, causal: number, mask: number, maskBatchStride: number): void;
  attentionGrad(heap: Heap, q: number, k: number, v: number, probs: number, dout: number, dq: number, dk: number, dv: number,
    batch: number, heads: number, tq: number, tk: number, dh: number, scale: number, causal: number): void;
  embedding(heap: Heap, table: number, ids: number, out: number, n: number, vocab: number, dim: number): void;
  /** op: 0 add, 1 sub, 2 mul, 3 div; the smaller operand repeats over the larger (n = max(na, nb)). */
  binary(heap: Heap, op: number, a: number, na: number, b: number, nb: number, out: number, n: number): void;
  copyRuns(heap: Heap, src: number, dst: number, runs: number, run: number, srcStride: number): void;
  embeddingGrad(heap: Heap, ids: number, dy: number, dtable: number, n: number, vocab: number, dim: number): void;
  adam(heap: Heap, p: number, g: number, m: number, v: number, pOut: number, mOut: number, vOut: number, n: number,
    lr: number, beta1: number, beta2: number, eps: number, bias1: number, bias2Sqrt: number, weightDecay: number): void;
  setThreads(n: number): void;
  info(): { blas: string; threads: number };
}

const FUNCTIONS: readonly (keyof NativeAddon)[] = [
  'gemm', 'biasAct', 'colSum', 'layerNorm', 'layerNormGrad', 'gelu', 'geluGrad', 'softmaxXent', 'softmaxXentGrad',
  'attention', 'attentionGrad', 'embedding', 'embeddingGrad', 'binary', 'copyRuns', 'adam', 'setThreads', 'info',
];

export interface NativeStatus {
  /** The addon is loaded in this process. */
  loaded: boolean;
  /** Why it is or is not loaded, in words for the user. */
  reason: string;
  /** The BLAS it calls (e.g. "OpenBLAS 0.3.21 ..."), when loaded. */
  blas?: string;
}

let result: { addon?: NativeAddon; status: NativeStatus } | undefined;

/** Where `npm install` puts the addon. */
export function nativeAddonPath(): string {
  return join(packageRoot(), 'native', 'build', 'Release', 'unirl_native.node');
}

/**
 * Loads the addon once per process. UNIRL_NATIVE=0 in the environment disables it (so the tests
 * and the benchmark can compare both paths).
 */
export function loadNative(): { addon?: NativeAddon; status: NativeStatus } {
  if (result) return result;
  result = tryLoad();
  return result;
}

function tryLoad(): { addon?: NativeAddon; status: NativeStatus } {
  if (process.env['UNIRL_NATIVE'] === '0') return { status: { loaded: false, reason: 'disabled by UNIRL_NATIVE=0' } };
  let file: string;
  try {
    file = nativeAddonPath();
  } catch (err) {
    return { status: { loaded: false, reason: (err as Error).message } };
  }
  if (!existsSync(file)) {
    const failure = join(file, '..', '..', 'failure.txt');
    const why = existsSync(failure) ? readFileSync(failure, 'utf8').split('\n')[0] ?? '' : 'run `npm run build:native`';
    return { status: { loaded: false, reason: `not built (${why})` } };
  }
  try {
    const module = { exports: {} as Record<string, unknown> };
    process.dlopen(module, file);
    const missing = FUNCTIONS.filter((f) => typeof module.exports[f] !== 'function');
    if (missing.length > 0) {
      return { status: { loaded: false, reason: `${file} is out of date (no ${missing.join(', ')}): run \`npm run build:native\`` } };
    }
    const addon = module.exports as unknown as NativeAddon;
    return { addon, status: { loaded: true, reason: `loaded ${file}`, blas: addon.info().blas } };
  } catch (err) {
    return { status: { loaded: false, reason: `cannot load ${file}: ${(err as Error).message}` } };
  }
}
