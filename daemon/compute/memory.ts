/**
 * Tensor-memory accounting. Every training loop must leave the tensor count and bytes where they
 * were; these numbers are what the memory test and the benchmark watch.
 */
import * as tf from '@tensorflow/tfjs';

export interface MemorySnapshot {
  /** Live tf.Tensor objects. */
  tensors: number;
  /** Bytes held by live tensors. */
  bytes: number;
  /** Backend buffers (several tensors may share one). */
  buffers: number;
  /** Size of the wasm heap, when the wasm backend is active (it only ever grows). */
  wasmHeapBytes?: number;
}

export function memorySnapshot(): MemorySnapshot {
  const m = tf.memory();
  const snap: MemorySnapshot = { tensors: m.numTensors, bytes: m.numBytes, buffers: m.numDataBuffers };
  if (tf.getBackend() === 'wasm') {
    const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
    if (heap) snap.wasmHeapBytes = heap.length;
  }
  return snap;
}

/** Runs `fn` and throws if it left tensors behind (count or bytes), naming how many. */
export function assertNoLeak<T>(what: string, fn: () => T): T {
  const before = tf.memory();
  const out = fn();
  const after = tf.memory();
  if (after.numTensors !== before.numTensors || after.numBytes !== before.numBytes) {
    throw new Error(`${what} leaked ${after.numTensors - before.numTensors} tensors (${after.numBytes - before.numBytes} bytes)`);
  }
  return out;
}
