/**
 * Training the shape classifier's network (the architecture daemon/geneval/classifier.ts runs):
 * standardised inputs, one hidden ReLU layer, softmax cross-entropy, Adam with weight decay,
 * mini-batches in a seeded order, so the same data and seed give the same weights. Then a single
 * temperature fitted on separate data by minimising the negative log-likelihood (calibration).
 */
import { averageProbabilities, CLASSIFIER_FORMAT, OUTPUTS, softmax, type ClassifierWeights } from '../daemon/geneval/classifier';
import { Rng } from '../daemon/util/random';

export interface Dataset {
  /** n x DESCRIPTOR_LENGTH, row-major. */
  x: Float32Array;
  /** Index into OUTPUTS per row. */
  y: Int32Array;
  /** Per row, how much it counts in the loss. */
  weight: Float32Array;
  n: number;
  width: number;
}

export interface TrainOptions {
  inputs: number[];
  hidden: number;
  epochs: number;
  batch: number;
  learningRate: number;
  weightDecay: number;
  seed: number;
  onEpoch?: (epoch: number, loss: number) => void;
}

/** Trains one network's weights (temperature 1) on a dataset restricted to `inputs`. */
export function trainNetwork(data: Dataset, o: TrainOptions): ClassifierWeights {
  const d = o.inputs.length;
  const h = o.hidden;
  const k = OUTPUTS.length;
  const rng = new Rng(o.seed);
  // Standardisation from the training data.
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let r = 0; r < data.n; r++) {
    for (let i = 0; i < d; i++) {
      const v = data.x[r * data.width + o.inputs[i]!]!;
      mean[i]! += v;
      sq[i]! += v * v;
    }
  }
  const std = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    mean[i]! /= data.n;
    std[i] = Math.sqrt(Math.max(sq[i]! / data.n - mean[i]! ** 2, 0)) + 1e-3;
  }
  const x = new Float32Array(data.n * d);
  for (let r = 0; r < data.n; r++) for (let i = 0; i < d; i++) x[r * d + i] = (data.x[r * data.width + o.inputs[i]!]! - mean[i]!) / std[i]!;

  // He initialisation.
  const w1 = Float32Array.from({ length: h * d }, () => rng.normal() * Math.sqrt(2 / d));
  const b1 = new Float32Array(h);
  const w2 = Float32Array.from({ length: k * h }, () => rng.normal() * Math.sqrt(1 / h));
  const b2 = new Float32Array(k);
  const params = [w1, b1, w2, b2];
  const grads = params.map((p) => new Float32Array(p.length));
  const m1 = params.map((p) => new Float32Array(p.length));
  const m2 = params.map((p) => new Float32Array(p.length));
  const [g1, gb1, g2, gb2] = grads as [Float32Array, Float32Array, Float32Array, Float32Array];
  const hidden = new Float32Array(h);
  const dHidden = new Float32Array(h);
  const logits = new Float32Array(k);
  let step = 0;
  const order = Array.from({ length: data.n }, (_, i) => i);

  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const shuffled = rng.shuffle(order);
    // Cosine decay of the learning rate over the epochs.
    const lr = (o.learningRate * (1 + Math.cos((Math.PI * epoch) / o.epochs))) / 2;
    let lossSum = 0;
    let weightSum = 0;
    for (let start = 0; start < data.n; start += o.batch) {
      const rows = shuffled.slice(start, start + o.batch);
      for (const g of grads) g.fill(0);
      let batchWeight = 0;
      for (const r of rows) {
        const xr = r * d;
        for (let j = 0; j < h; j++) {
          let s = b1[j]!;
          for (let i = 0; i < d; i++) s += w1[j * d + i]! * x[xr + i]!;
          hidden[j] = s > 0 ? s : 0;
        }
        for (let c = 0; c < k; c++) {
          let s = b2[c]!;
          for (let j = 0; j < h; j++) s += w2[c * h + j]! * hidden[j]!;
          logits[c] = s;
        }
        const p = softmax(logits);
        const label = data.y[r]!;
        const wt = data.weight[r]!;
        batchWeight += wt;
        lossSum -= wt * Math.log(Math.max(p[label]!, 1e-12));
        weightSum += wt;
        dHidden.fill(0);
        for (let c = 0; c < k; c++) {
          const dl = wt * (p[c]! - (c === label ? 1 : 0));
          gb2[c]! += dl;
          for (let j = 0; j < h; j++) {
            g2[c * h + j]! += dl * hidden[j]!;
            dHidden[j]! += dl * w2[c * h + j]!;
          }
        }
        for (let j = 0; j < h; j++) {
          if (hidden[j]! <= 0) continue;
          const dh = dHidden[j]!;
          gb1[j]! += dh;
          for (let i = 0; i < d; i++) g1[j * d + i]! += dh * x[xr + i]!;
        }
      }
      // Adam with decoupled weight decay (on weights, not biases).
      step++;
      const beta1 = 0.9;
      const beta2 = 0.999;
      const c1 = 1 - beta1 ** step;
      const c2 = 1 - beta2 ** step;
      params.forEach((p, t) => {
        const g = grads[t]!;
        const ma = m1[t]!;
        const va = m2[t]!;
        const decay = t === 0 || t === 2 ? o.weightDecay : 0;
        for (let i = 0; i < p.length; i++) {
          const gi = g[i]! / batchWeight;
          ma[i] = beta1 * ma[i]! + (1 - beta1) * gi;
          va[i] = beta2 * va[i]! + (1 - beta2) * gi * gi;
          p[i] = p[i]! - lr * ((ma[i]! / c1) / (Math.sqrt(va[i]! / c2) + 1e-8) + decay * p[i]!);
        }
      });
    }
    o.onEpoch?.(epoch, lossSum / weightSum);
  }
  const round = (a: ArrayLike<number>): number[] => Array.from(a, (v) => Number(v.toPrecision(6)));
  return {
    format: CLASSIFIER_FORMAT,
    inputs: [...o.inputs],
    hidden: h,
    mean: round(mean),
    std: round(std),
    networks: [{ w1: round(w1), b1: round(b1), w2: round(w2), b2: round(b2) }],
    temperature: 1,
    provenance: {},
  };
}

/**
 * The temperature that minimises the negative log-likelihood of labelled regions, given each
 * network's logits per region, of the networks' averaged probabilities (golden-section search on log T).
 */
export function fitTemperature(logits: Float32Array[][], labels: Int32Array): number {
  const nll = (logT: number): number => {
    const t = Math.exp(logT);
    let s = 0;
    logits.forEach((l, i) => (s -= Math.log(Math.max(averageProbabilities(l, t)[labels[i]!]!, 1e-12))));
    return s / logits.length;
  };
  let lo = Math.log(0.25);
  let hi = Math.log(8);
  const phi = (Math.sqrt(5) - 1) / 2;
  for (let iter = 0; iter < 40; iter++) {
    const a = hi - phi * (hi - lo);
    const b = lo + phi * (hi - lo);
    if (nll(a) < nll(b)) hi = b;
    else lo = a;
  }
  return Number(Math.exp((lo + hi) / 2).toPrecision(4));
}
