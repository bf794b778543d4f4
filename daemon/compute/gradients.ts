/**
 * Gradients of two stock tfjs ops, replaced with the same values computed without a host-side
 * tensor: tfjs 4.22's Sum and Mean gradients multiply dy by `ones(x.shape)`, which is built in
 * JavaScript and uploaded to the device every time. On the H200 that was 15% of the host's time
 * in a pretraining step, plus most buffer creations (bench/gpu/h200-2026-11-30/). Broadcasting dy gives
 * the same numbers (dy x 1 and (dy x 1) / n are exact), on every backend.
 */
import * as tf from '@tensorflow/tfjs';

let registered = false;

function expandedDy(dy: tf.Tensor, x: tf.Tensor, axis: number | number[]): tf.Tensor {
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const shape = x.shape.slice();
  for (const a of axes) shape[a] = 1;
  return tf.broadcastTo(tf.reshape(dy, shape), x.shape);
}

/** Registers the replacements (idempotent). */
export function registerLeanGradients(): void {
  if (registered) return;
  registered = true;
  // tfjs warns when a gradient is overridden; these two are overridden on purpose.
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    tf.registerGradient({
      kernelName: tf.Sum,
      inputsToSave: ['x'],
      gradFunc: (dy, saved, attrs) => {
        const x = saved[0]!;
        const { axis } = attrs as unknown as { axis: number | number[] };
        return { x: () => expandedDy(dy as tf.Tensor, x, axis) };
      },
    });
    tf.registerGradient({
      kernelName: tf.Mean,
      inputsToSave: ['x'],
      gradFunc: (dy, saved, attrs) => {
        const x = saved[0]!;
        const { axis } = attrs as unknown as { axis: number | number[] };
        const n = tf.util.sizeFromShape(tf.backend_util.computeOutAndReduceShapes(x.shape, tf.util.parseAxisParam(axis, x.shape))[1]);
        return { x: () => tf.div(expandedDy(dy as tf.Tensor, x, axis), n) };
      },
    });
  } finally {
    console.warn = warn;
  }
}
