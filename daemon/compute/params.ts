/**
 * A model's parameters: named tf.Variables in one flat map (names like "blocks.0.attn.wq"), so a
 * checkpoint is exactly that map. Initial values come from a seeded generator, so the same seed
 * gives the same model on every backend (and in the PyTorch reference, through a checkpoint).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/random';

export type Init =
  | 'zeros'
  | 'ones'
  /** Normal with this standard deviation. */
  | { normal: number }
  /** Uniform in [-limit, limit]. */
  | { uniform: number }
  /** Exact values (length = product of the shape). */
  | Float32Array;

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$/;

export class Parameters {
  private readonly vars = new Map<string, tf.Variable>();
  private readonly rng: Rng;

  constructor(seed = 0) {
    this.rng = new Rng(seed);
  }

  /** Creates a trainable parameter; draws from the generator in creation order. */
  add(name: string, shape: number[], init: Init): tf.Variable {
    if (!NAME.test(name)) throw new Error(`parameter name "${name}" must be letters, digits, _ . - / and not start with a symbol`);
    if (this.vars.has(name)) throw new Error(`parameter "${name}" already exists`);
    if (!shape.every((d) => Number.isInteger(d) && d >= 1)) throw new Error(`parameter "${name}": bad shape [${String(shape)}]`);
    const n = shape.reduce((a, b) => a * b, 1);
    let values: Float32Array;
    if (init instanceof Float32Array) {
      if (init.length !== n) throw new Error(`parameter "${name}": ${init.length} values for shape [${String(shape)}]`);
      values = init;
    } else if (init === 'zeros' || init === 'ones') {
      values = new Float32Array(n).fill(init === 'ones' ? 1 : 0);
    } else if ('normal' in init) {
      values = new Float32Array(n);
      for (let i = 0; i < n; i++) values[i] = this.rng.normal() * init.normal;
    } else {
      values = new Float32Array(n);
      for (let i = 0; i < n; i++) values[i] = (this.rng.float() * 2 - 1) * init.uniform;
    }
    // tfjs variable names are global to the engine: let it pick one, and keep ours in the map.
    const v = tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), true));
    this.vars.set(name, v);
    return v;
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`no parameter "${name}"`);
    return v;
  }

  has(name: string): boolean {
    return this.vars.has(name);
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  entries(): [string, tf.Variable][] {
    return [...this.vars.entries()];
  }

  /** Number of scalars. */
  count(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

/**
 * The loss and the gradient of every parameter it depends on (by parameter name), or of those in
 * `trainable` only. The caller owns the returned tensors.
 */
export function valueAndGrads(params: Parameters, loss: () => tf.Scalar, trainable?: ReadonlySet<string>): { value: tf.Scalar; grads: Map<string, tf.Tensor> } {
  const entries = trainable ? params.entries().filter(([name]) => trainable.has(name)) : params.entries();
  const byVarName = new Map(entries.map(([name, v]) => [v.name, name] as const));
  const { value, grads } = tf.variableGrads(loss, entries.map(([, v]) => v));
  const out = new Map<string, tf.Tensor>();
  for (const [varName, g] of Object.entries(grads)) {
    const name = byVarName.get(varName);
    if (name === undefined) g.dispose();
    else out.set(name, g);
  }
  return { value, grads: out };
}

/**
 * The sum of many same-shaped tensors, a few at a time: one addN over all of them would bind every
 * input at once, more than a WebGPU shader stage may (8 storage buffers by default).
 */
export function sumAll(tensors: tf.Tensor[]): tf.Tensor {
  if (tensors.length === 0) throw new Error('sumAll: no tensors');
  const group = 4;
  let level = tensors;
  while (level.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < level.length; i += group) {
      const chunk = level.slice(i, i + group);
      next.push(chunk.length === 1 ? chunk[0]! : tf.addN(chunk));
    }
    level = next;
  }
  return level[0]!;
}

/**
 * Scales the gradients so that their global L2 norm is at most maxNorm; returns the norm before
 * clipping as a scalar tensor (the caller disposes it). Nothing is read back: the scale is computed
 * where the gradients are, so a GPU step needs no round trip to decide it.
 */
export function clipGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): tf.Scalar {
  const norm = tf.tidy(() => tf.sqrt(sumAll([...grads.values()].map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
  if (!(maxNorm > 0 && Number.isFinite(maxNorm))) return norm;
  const scale = tf.tidy(() => tf.div(maxNorm, tf.maximum(norm, maxNorm)));
  for (const [name, g] of grads) {
    grads.set(name, tf.mul(g, scale));
    g.dispose();
  }
  scale.dispose();
  return norm;
}

/**
 * The value of a scalar tensor, read asynchronously (the only way a GPU backend in Node can);
 * `dispose` also frees the tensor once read.
 */
export async function readScalar(t: tf.Tensor, dispose = false): Promise<number> {
  const value = (await t.data())[0] ?? NaN;
  if (dispose) t.dispose();
  return value;
}
