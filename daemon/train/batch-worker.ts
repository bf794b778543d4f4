/** A data worker thread (see batches.ts): answers each step number with that step's batch. */
import { parentPort, workerData } from 'node:worker_threads';
import { BatchMaker, type BatchSpec } from './batches';

const maker = new BatchMaker(workerData as BatchSpec);
parentPort!.on('message', (step: number) => {
  try {
    const batch = maker.make(step);
    // Moved, not copied; a buffer shared by several views is listed once.
    const transfer = new Set([...batch.generation.tokens.map((t) => t.buffer), ...batch.understanding.images.map((i) => i.data.buffer)]);
    parentPort!.postMessage(batch, [...transfer] as ArrayBuffer[]);
  } catch (err) {
    parentPort!.postMessage({ step, error: (err as Error).message });
  }
});
