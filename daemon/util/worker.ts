/**
 * Starting a worker thread whose code is one of the daemon's bundles: the bundled file beside the
 * running bundle (dist/NAME.js), or, under tsx (tests, benchmarks from source), the TypeScript
 * source with the tsx loader.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/** `source`: the worker's .ts file, relative to the calling module's folder; `bundle`: its esbuild name. */
export function spawnBundledWorker(callerDir: string, source: string, bundle: string, workerData: unknown): Worker {
  if (__filename.endsWith('.ts')) {
    const file = JSON.stringify(join(callerDir, source));
    return new Worker(`require('tsx/cjs'); require(${file});`, { eval: true, workerData });
  }
  return new Worker(join(__dirname, `${bundle}.js`), { workerData });
}
