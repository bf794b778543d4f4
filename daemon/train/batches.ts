/**
 * Pretraining batches: step `step` of a run seeded `seed` always gets the same examples (drawn from
 * stepRng(seed, step)), whether they are made here or by worker threads ahead of the step. A GPU
 * step is done in a fraction of the time one thread takes to render and tokenize its hundreds of
 * scenes, so the pool keeps the next steps' batches ready while the current one runs.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { createImageTokenizer } from '../tokenizers';
import { Rng } from '../util/random';
import { spawnBundledWorker } from '../util/worker';
import type { Metadata, RgbImage } from '../world';
import { drawColorRelationExamples, drawCountExamples, drawExamples, drawVariedCountExamples, stepRng, TrainingPrompts } from './data';

export interface BatchSpec {
  seed: number;
  canvas: number;
  patch: number;
  generation: number;
  understanding: number;
  /** Share of the understanding examples that are count questions over scenes with broken objects (data.ts). */
  countShare: number;
  /** Share that are UniRL's counting question over scenes of one to five objects of a class (data.ts). */
  variedCountShare?: number;
  /** Probability that each object of those examples is broken (not counted; data.ts). */
  variedCountBroken?: number;
  /** Share of the generation examples that are relations between two objects of one class told apart by colour (data.ts). */
  colorRelationShare?: number;
  /** Share of the understanding examples that are such relations, asked UniRL's position question (data.ts). */
  colorRelationUnderstandingShare?: number;
  /** Lines of held-out files, never drawn. */
  heldOut: readonly Metadata[];
}

export interface Batch {
  step: number;
  generation: { prompts: string[]; tokens: Int32Array[] };
  understanding: { images: RgbImage[]; questions: string[]; answers: string[] };
  /** The step's generator after drawing: the model's own draws (masking, prompt dropping) continue it. */
  rngState: number[];
}

/** Makes one step's batch (what a worker runs, and the loop itself when there is no pool). */
export class BatchMaker {
  private readonly prompts: TrainingPrompts;
  private readonly countingPrompts: TrainingPrompts;
  private readonly tokenizer: ReturnType<typeof createImageTokenizer>;

  constructor(private readonly spec: BatchSpec) {
    this.prompts = new TrainingPrompts(spec.heldOut);
    this.countingPrompts = new TrainingPrompts(spec.heldOut, ['counting']);
    this.tokenizer = createImageTokenizer({ canvas: spec.canvas }, spec.patch);
  }

  make(step: number): Batch {
    const world = { canvas: this.spec.canvas };
    const rng = stepRng(this.spec.seed, step);
    const related = Math.round(this.spec.generation * (this.spec.colorRelationShare ?? 0));
    const gen = [...drawExamples(this.prompts, world, rng, this.spec.generation - related), ...drawColorRelationExamples(world, rng, related)];
    const counted = Math.round(this.spec.understanding * this.spec.countShare);
    const varied = Math.min(this.spec.understanding - counted, Math.round(this.spec.understanding * (this.spec.variedCountShare ?? 0)));
    const relatedUnd = Math.min(this.spec.understanding - counted - varied, Math.round(this.spec.understanding * (this.spec.colorRelationUnderstandingShare ?? 0)));
    const und = [
      ...drawExamples(this.prompts, world, rng, this.spec.understanding - counted - varied - relatedUnd),
      ...drawCountExamples(this.prompts, world, this.tokenizer, rng, counted),
      ...drawVariedCountExamples(this.countingPrompts, world, rng, varied, this.spec.variedCountBroken ?? 0, this.tokenizer),
      ...drawColorRelationExamples(world, rng, relatedUnd),
    ];
    return {
      step,
      generation: { prompts: gen.map((e) => e.meta.prompt), tokens: gen.map((e) => this.tokenizer.encode(e.image)) },
      understanding: { images: und.map((e) => e.image), questions: und.map((e) => e.question), answers: und.map((e) => e.answer) },
      rngState: rng.state(),
    };
  }
}

/** The generator a batch's consumer continues with. */
export const batchRng = (batch: Batch): Rng => Rng.fromState(batch.rngState);

/** Data workers for a backend: none on the CPU backends (the cores compute), else all but two cores, at most 8. */
export function defaultDataWorkers(backend: string): number {
  if (backend === 'wasm' || backend === 'cpu') return 0;
  return Math.max(1, Math.min(8, availableParallelism() - 2));
}

/**
 * Batches for consecutive steps from `workers` threads, each step requested `ahead` steps before it
 * is needed; with 0 workers, made on demand in this thread.
 */
export class BatchSource {
  private readonly maker: BatchMaker | undefined;
  private readonly pool: Worker[] = [];
  private readonly pending = new Map<number, Promise<Batch>>();
  private nextRequest = 0;
  private failure: Error | undefined;

  constructor(spec: BatchSpec, workers: number, private readonly ahead = Math.max(2, workers * 2)) {
    if (!Number.isInteger(workers) || workers < 0 || workers > 64) throw new Error(`data workers must be an integer from 0 to 64, got ${workers}`);
    if (workers === 0) {
      this.maker = new BatchMaker(spec);
      return;
    }
    for (let i = 0; i < workers; i++) {
      const worker = spawnBundledWorker(__dirname, 'batch-worker.ts', 'batch-worker', spec);
      worker.on('error', (err) => (this.failure = err));
      worker.unref();
      this.pool.push(worker);
    }
  }

  /** The batch of `step`; steps must be asked for in increasing order. */
  async get(step: number): Promise<Batch> {
    if (this.failure) throw new Error(`a data worker failed: ${this.failure.message}`, { cause: this.failure });
    if (this.maker) return this.maker.make(step);
    if (this.nextRequest < step) this.nextRequest = step;
    while (this.nextRequest <= step + this.ahead) void this.request(this.nextRequest++);
    const batch = this.pending.get(step) ?? this.request(step);
    this.pending.delete(step);
    for (const old of this.pending.keys()) if (old < step) this.pending.delete(old);
    return batch;
  }

  private request(step: number): Promise<Batch> {
    const worker = this.pool[step % this.pool.length]!;
    const promise = new Promise<Batch>((resolve, reject) => {
      const onMessage = (batch: Batch | { step: number; error: string }): void => {
        if (batch.step !== step) return;
        worker.off('message', onMessage);
        if ('error' in batch) reject(new Error(`data worker, step ${step}: ${batch.error}`));
        else resolve(batch);
      };
      worker.on('message', onMessage);
    });
    // A batch asked for ahead and never awaited (the run stopped) must not surface as unhandled.
    promise.catch(() => undefined);
    worker.postMessage(step);
    this.pending.set(step, promise);
    return promise;
  }

  async close(): Promise<void> {
    await Promise.all(this.pool.map((w) => w.terminate()));
    this.pool.length = 0;
    this.pending.clear();
  }
}
