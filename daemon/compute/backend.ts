/**
 * Choosing the TensorFlow.js backend, and whether the native kernels run inside it.
 *
 * auto: @tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node (a user may install either; neither is
 * a dependency, because their install downloads libtensorflow), then WebGPU where the optional
 * packages are installed and a hardware adapter exists, then wasm (with the native kernels when
 * they load), then the pure-JS cpu backend. The result says what was chosen and why, for logs and clients.
 */
import * as tf from '@tensorflow/tfjs';
import { cpus } from 'node:os';
import { loadNative, type NativeStatus } from './native';
import { installNativeKernels, setNativeMatMuls, setWasmFixes } from './wasm-kernels';
import { registerLeanGradients } from './gradients';
import { KERNELS } from './wasm-kernels';
import { registerWebgpuKernels } from './webgpu-kernels';
import { describeAdapter, findAdapter, guardReads, installWebgpuBackend, type AdapterReport } from './webgpu';

export const BACKEND_CHOICES = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface ComputeOptions {
  /** Which backend to use (default auto). An explicit choice that cannot load is an error. */
  backend?: BackendChoice;
  /** Use the native kernels on wasm when they load (default true; UNIRL_NATIVE=0 also disables). */
  native?: boolean;
  /** Threads for the native BLAS (default: half the cores, at most 8; 1 on a 2-core machine). */
  threads?: number;
}

export interface ComputeInfo {
  /** The active tfjs backend: tensorflow | webgpu | wasm | cpu. */
  backend: string;
  requested: BackendChoice;
  /** Why this backend, including what was tried before it. */
  reason: string;
  /** The native kernels: loaded (in the process) and active (used by the wasm backend now). */
  native: NativeStatus & { active: boolean; threads?: number };
  /** The GPU adapter, on the webgpu backend. */
  adapter?: AdapterReport;
}

let current: ComputeInfo | undefined;
let nativeActive = false;

/** Whether the fused native kernels serve the ops (wasm backend with the addon loaded and enabled). */
export function useNativeKernels(): boolean {
  return nativeActive && tf.getBackend() === 'wasm';
}

/**
 * Whether products with transpose flags (and batched ones) are fast on the active backend. They
 * are not on stock wasm, where tfjs' own matMul gradients crawl; ops.ts then transposes explicitly.
 */
export function fastTransposedMatMul(): boolean {
  return tf.getBackend() !== 'wasm' || useNativeKernels();
}

/** The current choice, or undefined before initCompute. */
export function computeInfo(): ComputeInfo | undefined {
  return current;
}

async function optionalImport(name: string): Promise<unknown> {
  return (await import(name)) as unknown;
}

async function tryTensorflow(): Promise<string | undefined> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await optionalImport(pkg);
      if (await tf.setBackend('tensorflow')) return pkg;
    } catch {
      // not installed, or its libtensorflow does not load here: try the next
    }
  }
  return undefined;
}

/** Whether Adam runs as one fused kernel (KERNELS.adam): the native one on wasm, the WGSL one on webgpu. */
export function useFusedAdam(): boolean {
  return useNativeKernels() || (tf.getBackend() === 'webgpu' && tf.getKernel(KERNELS.adam, 'webgpu') !== undefined);
}

/**
 * WebGPU through Dawn (daemon/compute/webgpu.ts). `auto` never takes a software adapter (a CPU
 * rasteriser is slower than wasm); an explicit choice takes whatever adapter exists.
 */
async function tryWebgpu(explicit: boolean): Promise<AdapterReport> {
  const adapter = await findAdapter({ compatibility: explicit });
  if (adapter.software && !explicit) throw new Error(`only a software adapter, ${describeAdapter(adapter)}, slower than wasm (ask for --backend webgpu to use it anyway)`);
  await installWebgpuBackend();
  if (!(await tf.setBackend('webgpu'))) throw new Error(`the webgpu backend failed to initialise on ${describeAdapter(adapter)}`);
  guardReads(tf.backend());
  // UNIRL_WEBGPU_KERNELS=0 leaves tfjs' own kernels in place of ours (to tell a wrong result apart).
  if (process.env['UNIRL_WEBGPU_KERNELS'] !== '0') registerWebgpuKernels();
  // Fewer, larger command submissions: a training step is thousands of small dispatches.
  tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', 64);
  // UNIRL_TFJS_FLAGS='{"WEBGPU_MATMUL_PROGRAM_TYPE":3}' sets tfjs flags (which matmul program, say) for a diagnosis.
  const flags = process.env['UNIRL_TFJS_FLAGS'];
  if (flags) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(flags);
    } catch {
      throw new Error(`UNIRL_TFJS_FLAGS must be a JSON object of tfjs flags, got ${flags}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`UNIRL_TFJS_FLAGS must be a JSON object of tfjs flags, got ${flags}`);
    tf.env().setFlags(parsed as Parameters<ReturnType<typeof tf.env>['setFlags']>[0]);
  }
  return adapter;
}

async function tryWasm(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
  setWasmFixes(true);
}

function nativeOnWasm(wanted: boolean, threads: number): ComputeInfo['native'] {
  const { addon, status } = loadNative();
  if (!wanted) {
    if (addon) setNativeMatMuls(false);
    nativeActive = false;
    return { ...status, active: false, reason: status.loaded ? 'loaded, but disabled by the native: false option' : status.reason };
  }
  if (!addon) {
    nativeActive = false;
    return { ...status, active: false };
  }
  addon.setThreads(threads);
  installNativeKernels(addon);
  nativeActive = true;
  return { ...status, active: true, threads: addon.info().threads };
}

/**
 * Picks and initialises the backend (idempotent for the same options). Throws when an explicit
 * choice cannot be honoured; `auto` always succeeds (the cpu backend is always there).
 */
export async function initCompute(options: ComputeOptions = {}): Promise<ComputeInfo> {
  // `auto` defers to UNIRL_BACKEND when set: how the extension's unirl.daemon.backend setting reaches runs.
  const fromEnv = process.env['UNIRL_BACKEND'];
  const requested = (options.backend ?? 'auto') === 'auto' && fromEnv ? (fromEnv as BackendChoice) : (options.backend ?? 'auto');
  if (!BACKEND_CHOICES.includes(requested)) throw new Error(`unknown backend "${String(requested)}"${fromEnv === requested ? ' (from UNIRL_BACKEND)' : ''} (expected one of ${BACKEND_CHOICES.join(', ')})`);
  registerLeanGradients();
  const wantNative = options.native ?? true;
  const threads = options.threads ?? Math.min(8, Math.max(1, Math.floor(cpus().length / 2)));
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw new Error(`threads must be an integer from 1 to 256, got ${threads}`);
  const tried: string[] = [];
  const notNative = (reason: string): ComputeInfo['native'] => {
    nativeActive = false;
    const status = loadNative().status;
    return { ...status, active: false, reason: status.loaded ? `loaded, but ${reason}` : status.reason };
  };
  const done = (info: ComputeInfo): ComputeInfo => {
    current = info;
    return info;
  };

  if (requested === 'tensorflow' || requested === 'auto') {
    const pkg = await tryTensorflow();
    if (pkg) return done({ backend: 'tensorflow', requested, reason: `${pkg} is installed (libtensorflow)`, native: notNative('the tensorflow backend has its own kernels') });
    if (requested === 'tensorflow') throw new Error('backend "tensorflow" needs @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu (npm install @tensorflow/tfjs-node); neither loads here');
    tried.push('no @tensorflow/tfjs-node(-gpu)');
  }
  if (requested === 'webgpu' || requested === 'auto') {
    try {
      const adapter = await tryWebgpu(requested === 'webgpu');
      const reason = `WebGPU on ${describeAdapter(adapter)}${tried.length ? ` (${tried.join('; ')})` : ''}`;
      return done({ backend: 'webgpu', requested, reason, native: notNative('the webgpu backend runs on the GPU'), adapter });
    } catch (err) {
      if (requested === 'webgpu') throw new Error(`backend "webgpu" is unavailable: ${(err as Error).message}`, { cause: err });
      tried.push(`no webgpu: ${(err as Error).message}`);
    }
  }
  if (requested === 'wasm' || requested === 'auto') {
    try {
      await tryWasm();
      const native = nativeOnWasm(wantNative, threads);
      const how = native.active ? `with native kernels (${native.blas ?? 'BLAS'})` : `without native kernels: ${native.reason}`;
      return done({ backend: 'wasm', requested, reason: `wasm ${how}${tried.length ? `; ${tried.join('; ')}` : ''}`, native });
    } catch (err) {
      if (requested === 'wasm') throw new Error(`backend "wasm" is unavailable: ${(err as Error).message}`, { cause: err });
      tried.push(`no wasm: ${(err as Error).message}`);
    }
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to initialise');
  const reason = requested === 'cpu' ? 'requested (pure JavaScript, slow)' : `fallback, pure JavaScript and slow (${tried.join('; ')})`;
  return done({ backend: 'cpu', requested, reason, native: notNative('the cpu backend cannot use them') });
}

/**
 * How the wasm backend computes (tests and the benchmark compare them in one process):
 * - native: our blocks on the native kernels (the default when they load);
 * - plain: our blocks on stock wasm kernels (products without transpose flags, no missing kernels);
 * - stock: the wasm backend's kernels exactly as shipped, for measuring stock tfjs (our blocks
 *   then take their plain path).
 */
export type KernelMode = 'native' | 'plain' | 'stock';

/**
 * Switches the kernel mode on the running wasm backend. Returns whether the native kernels are now
 * active; throws when native is asked for but not loaded, or the backend is not wasm.
 */
export function setKernelMode(mode: KernelMode): boolean {
  if (tf.getBackend() !== 'wasm') throw new Error(`kernel modes apply to the wasm backend, not ${tf.getBackend()}`);
  const { addon, status } = loadNative();
  if (mode === 'native' && !addon) throw new Error(`native kernels unavailable: ${status.reason}`);
  setWasmFixes(mode !== 'stock');
  if (addon) {
    if (mode === 'native') installNativeKernels(addon);
    else setNativeMatMuls(false);
  }
  nativeActive = mode === 'native';
  if (current) current = { ...current, native: { ...current.native, active: nativeActive } };
  return nativeActive;
}

/** Turns the native kernels on or off on the running wasm backend; returns whether they are active. */
export function setNativeKernels(on: boolean): boolean {
  if (tf.getBackend() !== 'wasm' || (on && !loadNative().addon)) return false;
  return setKernelMode(on ? 'native' : 'plain');
}
