/**
 * WebGPU inside plain Node: Dawn's Node bindings (the optional `webgpu` package) provide
 * navigator.gpu, and TensorFlow.js's WebGPU backend runs on it. Order matters: navigator.gpu must
 * exist BEFORE @tensorflow/tfjs-backend-webgpu is imported, because that module registers itself
 * only when it sees a GPU at import time.
 *
 * Finding an adapter, with nothing for the user to set: Dawn's default backend first (Vulkan on
 * Linux, Metal on macOS, D3D12 on Windows), then OpenGL ES in compatibility mode on EGL's
 * surfaceless platform, which is how a machine without a Vulkan driver (CI, a server with Mesa
 * only) still gets a (software) adapter.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** What the daemon reports about the adapter it computes on. */
export interface AdapterReport {
  vendor: string;
  architecture: string;
  description: string;
  device: string;
  /** Dawn's backend that found it: the platform default (vulkan, metal, d3d12) or opengles. */
  dawnBackend: 'default' | 'opengles';
  /** A CPU rasteriser posing as a GPU (llvmpipe, lavapipe, SwiftShader, WARP): slower than wasm. */
  software: boolean;
}

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string; device?: string; isFallbackAdapter?: boolean };
  features: ReadonlySet<string>;
  limits: Record<string, number>;
  requestDevice(descriptor?: unknown): Promise<unknown>;
}

interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<GpuAdapterLike | null>;
}

interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|software|warp|basic render/i;

/** Whether an adapter is a software rasteriser, from what Dawn says about it. */
export function isSoftwareAdapter(info: GpuAdapterLike['info'] | undefined): boolean {
  if (!info) return false;
  if (info.isFallbackAdapter) return true;
  return SOFTWARE.test(`${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''} ${info.device ?? ''}`);
}

let found: { gpu: GpuLike; adapter: GpuAdapterLike; report: AdapterReport } | undefined;

async function loadDawn(): Promise<DawnModule> {
  try {
    const mod = (await import('webgpu')) as unknown as Partial<DawnModule> & { default?: Partial<DawnModule> };
    const dawn = typeof mod.create === 'function' ? mod : mod.default;
    if (!dawn || typeof dawn.create !== 'function') throw new Error('the webgpu package has no create()');
    return dawn as DawnModule;
  } catch (err) {
    if (/has no create/.test((err as Error).message)) throw err;
    throw new Error(`the optional package "webgpu" (Dawn for Node) is not installed or does not load here: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Whether Linux's Vulkan loader is on the library path. Without it Dawn's default backend can only
 * fail, and says so on stderr: `auto` checks first, so a CPU-only machine starts quietly.
 */
function vulkanLoaderPresent(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = [...(process.env['LD_LIBRARY_PATH'] ?? '').split(':'), '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib64', '/lib', '/usr/local/lib'];
  return dirs.some((d) => d && existsSync(join(d, 'libvulkan.so.1')));
}

/**
 * Finds a WebGPU adapter (idempotent) and returns what it is. `compatibility` also tries OpenGL ES
 * (what a machine without a Vulkan driver has; nearly always a software rasteriser). Throws, naming
 * what was tried, when none can be had.
 */
export async function findAdapter(options: { compatibility: boolean }): Promise<AdapterReport> {
  if (found) return found.report;
  if (!options.compatibility && !vulkanLoaderPresent()) throw new Error('no Vulkan loader (libvulkan.so.1) on this machine');
  const dawn = await loadDawn();
  Object.assign(globalThis, dawn.globals);
  const attempts: { dawnBackend: AdapterReport['dawnBackend']; flags: string[]; options?: Record<string, unknown> }[] = [
    { dawnBackend: 'default', flags: [], options: { powerPreference: 'high-performance' } },
  ];
  if (options.compatibility) attempts.push({ dawnBackend: 'opengles', flags: ['backend=opengles'], options: { featureLevel: 'compatibility' } });
  // Kernel timings (tf.profile, `unirl bench --throughput --profile`) need timestamp queries, which
  // Dawn gates behind its unsafe-API toggle.
  if (process.env['UNIRL_WEBGPU_TIMESTAMPS'] === '1') for (const a of attempts) a.flags.push('enable-dawn-features=allow_unsafe_apis');
  const failures: string[] = [];
  for (const attempt of attempts) {
    // Mesa's EGL needs a platform without a display server; Dawn reads it when it opens EGL.
    if (attempt.dawnBackend === 'opengles' && !process.env['EGL_PLATFORM']) process.env['EGL_PLATFORM'] = 'surfaceless';
    let adapter: GpuAdapterLike | null;
    let gpu: GpuLike;
    try {
      gpu = dawn.create(attempt.flags);
      adapter = await gpu.requestAdapter(attempt.options);
    } catch (err) {
      failures.push(`${attempt.dawnBackend}: ${(err as Error).message}`);
      continue;
    }
    if (!adapter) {
      failures.push(`${attempt.dawnBackend}: no adapter`);
      continue;
    }
    const info = adapter.info ?? {};
    const report: AdapterReport = {
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      description: info.description ?? '',
      device: info.device ?? '',
      dawnBackend: attempt.dawnBackend,
      software: isSoftwareAdapter(info),
    };
    found = { gpu, adapter, report };
    return report;
  }
  throw new Error(`no WebGPU adapter (${failures.join('; ')})`);
}

/**
 * Puts the found adapter behind navigator.gpu (tfjs asks navigator.gpu.requestAdapter itself and
 * would otherwise miss the compatibility-mode options), then loads the tfjs WebGPU backend.
 */
export async function installWebgpuBackend(): Promise<void> {
  if (!found) throw new Error('internal: installWebgpuBackend before findAdapter');
  const { adapter } = found;
  // tfjs 4.22 asks for one feature as a nested list (['bgra8unorm-storage']); hand Dawn a flat one.
  const requestDevice = async (descriptor?: { requiredFeatures?: unknown[] }): Promise<unknown> => {
    const device = await adapter.requestDevice(descriptor?.requiredFeatures ? { ...descriptor, requiredFeatures: descriptor.requiredFeatures.flat() } : descriptor);
    watchDeviceErrors(device);
    return device;
  };
  const wrapped = new Proxy(adapter, {
    get: (target, key) => (key === 'requestDevice' ? requestDevice : (Reflect.get(target, key, target) as unknown)),
  });
  const gpu: GpuLike = { requestAdapter: () => Promise.resolve(wrapped) };
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, writable: true, configurable: true });
  else Object.defineProperty(g.navigator, 'gpu', { value: gpu, writable: true, configurable: true });
  try {
    await import('@tensorflow/tfjs-backend-webgpu');
  } catch (err) {
    throw new Error(`the optional package "@tensorflow/tfjs-backend-webgpu" is not installed: ${(err as Error).message}`, { cause: err });
  }
}

/** One line for logs: "NVIDIA H200 (nvidia, hopper; Vulkan)". */
export function describeAdapter(a: AdapterReport): string {
  const name = a.description || a.device || 'unnamed adapter';
  const parts = [a.vendor, a.architecture].filter(Boolean).join(', ');
  const via = a.dawnBackend === 'opengles' ? 'OpenGL ES' : 'native API';
  return `${name}${parts ? ` (${parts}; ${via})` : ` (${via})`}${a.software ? ' [software]' : ''}`;
}

interface WebgpuBackendInternals {
  tensorMap: { get(dataId: object): { values?: unknown } | undefined };
  readSync(dataId: object): unknown;
  read(dataId: object): Promise<unknown>;
}

/**
 * The first error the device reported, if any. A WebGPU error does not throw where the work was
 * asked for: the dispatch is skipped and its output stays zeros or stale, so a step computed past
 * a buffer over the device's binding limit (a batch too large) or an out-of-memory would train on
 * garbage, and Dawn only prints the message. Measured: pretraining at batch 256 on the software
 * adapter (128 MiB bindings) logged a generation loss of -1e9 and carried on.
 */
let deviceError: string | undefined;

function watchDeviceErrors(device: unknown): void {
  const d = device as { onuncapturederror?: (event: { error?: { message?: string } }) => void };
  d.onuncapturederror = (event) => {
    deviceError ??= (event.error?.message ?? 'an unnamed device error').split('\n')[0]!.trim();
  };
}

/** Throws once the device has reported an error: nothing computed since can be trusted. */
function throwIfDeviceFailed(): void {
  if (deviceError === undefined) return;
  throw new Error(
    `the GPU device reported an error, so results computed since are wrong and were not used: ${deviceError}` +
      (/binding size|out of memory|OUT_OF_DEVICE_MEMORY/i.test(deviceError) ? ' (a smaller batch keeps every tensor under the device limits)' : ''),
  );
}

/**
 * A tensor's values when they are on the host without a read-back (created from an array and not
 * yet moved to the device), else undefined: what a synchronous check may look at on webgpu.
 */
export function hostValues(t: import('@tensorflow/tfjs').Tensor, backend: unknown): ArrayLike<number> | undefined {
  const values = (backend as WebgpuBackendInternals).tensorMap.get(t.dataId)?.values;
  return values && typeof (values as ArrayLike<number>).length === 'number' ? (values as ArrayLike<number>) : undefined;
}

/**
 * Makes a synchronous read-back on webgpu fail with a message that says what to do (in a browser
 * tfjs reads through an OffscreenCanvas, which Node does not have), and every read-back fail once
 * the device has reported an error (throwIfDeviceFailed).
 */
export function guardReads(backend: unknown): void {
  const b = backend as WebgpuBackendInternals & { unirlGuarded?: boolean };
  if (b.unirlGuarded) return;
  b.unirlGuarded = true;
  const readSync = b.readSync.bind(b);
  // Every value that leaves the device (a loss at log time, logits while sampling, weights for a
  // checkpoint) passes here, after the work that made it: a device error stops the run at the first.
  const read = b.read.bind(b);
  b.read = async (dataId: object): Promise<unknown> => {
    throwIfDeviceFailed();
    const values = await read(dataId);
    throwIfDeviceFailed();
    return values;
  };
  b.readSync = (dataId: object): unknown => {
    try {
      return readSync(dataId);
    } catch (err) {
      if (err instanceof ReferenceError && /OffscreenCanvas/.test(err.message)) {
        throw new Error('a synchronous read-back (dataSync) on the webgpu backend, which Node cannot do: this path must read with await tensor.data()', { cause: err });
      }
      throw err;
    }
  };
}
