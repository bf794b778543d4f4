/**
 * Adam (with optional decoupled weight decay), with PyTorch's arithmetic so both agree step for
 * step. Its state (the step count and both moments per parameter) is plain named tensors, saved
 * with checkpoints so training resumes exactly. With the native kernels one fused call updates a
 * parameter and its moments.
 */
import * as tf from '@tensorflow/tfjs';
import { useFusedAdam } from './backend';
import type { Parameters } from './params';
import { KERNELS } from './wasm-kernels';

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled (AdamW) weight decay; 0 is plain Adam. */
  weightDecay?: number;
}

export interface AdamState {
  step: number;
  m: Map<string, tf.Tensor>;
  v: Map<string, tf.Tensor>;
}

export class Adam {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private stepCount = 0;
  private readonly m = new Map<string, tf.Tensor>();
  private readonly v = new Map<string, tf.Tensor>();

  constructor(options: AdamOptions) {
    this.lr = options.lr;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    const ok = (x: number, lo: number, hi: number) => Number.isFinite(x) && x >= lo && x < hi;
    if (!ok(this.lr, 0, Infinity) || !ok(this.beta1, 0, 1) || !ok(this.beta2, 0, 1) || !ok(this.eps, 0, 1) || !ok(this.weightDecay, 0, Infinity)) {
      throw new Error(`Adam: invalid options ${JSON.stringify(options)}`);
    }
  }

  get step(): number {
    return this.stepCount;
  }

  get hyperparameters(): Required<AdamOptions> {
    return { lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay };
  }

  /** One update of every parameter that has a gradient. Does not dispose the gradients. */
  apply(params: Parameters, grads: Map<string, tf.Tensor>): void {
    this.stepCount++;
    const bias1 = 1 - this.beta1 ** this.stepCount;
    const bias2Sqrt = Math.sqrt(1 - this.beta2 ** this.stepCount);
    const fused = useFusedAdam();
    for (const [name, g] of grads) {
      const p = params.get(name);
      if (!tf.util.arraysEqual(p.shape, g.shape)) throw new Error(`Adam: gradient of "${name}" is [${String(g.shape)}], parameter is [${String(p.shape)}]`);
      const m = this.m.get(name) ?? tf.keep(tf.zerosLike(p));
      const v = this.v.get(name) ?? tf.keep(tf.zerosLike(p));
      let next: [tf.Tensor, tf.Tensor, tf.Tensor];
      if (fused) {
        const attrs = { lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, bias1, bias2Sqrt, weightDecay: this.weightDecay };
        next = tf.engine().runKernel(KERNELS.adam, { p, g, m, v }, attrs) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
      } else {
        next = tf.tidy(() => {
          const m2 = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
          const v2 = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
          const denom = tf.add(tf.div(tf.sqrt(v2), bias2Sqrt), this.eps);
          const decayed = this.weightDecay ? tf.mul(p, 1 - this.lr * this.weightDecay) : p;
          const p2 = tf.sub(decayed, tf.mul(tf.div(m2, denom), this.lr / bias1));
          return [p2, m2, v2];
        });
      }
      const [p2, m2, v2] = next;
      p.assign(p2);
      p2.dispose();
      m.dispose();
      v.dispose();
      this.m.set(name, tf.keep(m2));
      this.v.set(name, tf.keep(v2));
    }
  }

  /** The state, sharing this optimizer's tensors (do not dispose them). */
  state(): AdamState {
    return { step: this.stepCount, m: new Map(this.m), v: new Map(this.v) };
  }

  /** Replaces the state with copies of the given tensors (validated against the parameters). */
  load(state: AdamState, params: Parameters): void {
    if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`Adam: bad step ${state.step}`);
    for (const [kind, map] of [['m', state.m], ['v', state.v]] as const) {
      for (const [name, t] of map) {
        if (!params.has(name)) throw new Error(`Adam state: moment ${kind} for unknown parameter "${name}"`);
        if (!tf.util.arraysEqual(params.get(name).shape, t.shape)) throw new Error(`Adam state: moment ${kind} of "${name}" is [${String(t.shape)}], parameter is [${String(params.get(name).shape)}]`);
      }
    }
    const names = [...state.m.keys()].sort();
    if (names.join('\n') !== [...state.v.keys()].sort().join('\n')) throw new Error('Adam state: first and second moments name different parameters');
    this.reset();
    this.stepCount = state.step;
    for (const [name, t] of state.m) this.m.set(name, tf.keep(tf.clone(t)));
    for (const [name, t] of state.v) this.v.set(name, tf.keep(tf.clone(t)));
  }

  /** Forgets the moments and the step count. */
  reset(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
    this.stepCount = 0;
  }

  dispose(): void {
    this.reset();
  }
}
