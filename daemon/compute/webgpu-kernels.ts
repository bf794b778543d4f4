/**
 * WGSL kernels for the webgpu backend. There a small model's training step is bound by the number
 * of dispatches, not by arithmetic (each costs the host about 0.1 ms in tfjs and Dawn; measured on
 * the H200, docs/performance.md), so what pays is fewer kernels per step.
 *
 * - Adam (KERNELS.adam, the same kernel the native wasm path runs): the new parameter and both
 *   moments in 3 dispatches per parameter, where tfjs' element-wise ops take 13.
 */
import * as tf from '@tensorflow/tfjs';
import { KERNELS } from './wasm-kernels';

/** The parts of tfjs-backend-webgpu's backend that the kernels use. */
interface WebgpuBackend {
  runWebGPUProgram(program: object, inputs: tf.TensorInfo[], dtype: tf.DataType, uniforms?: { type: string; data: number[] }[]): tf.TensorInfo;
}

const WORKGROUP = 64;

/** Which of Adam's three results a dispatch writes. */
const ADAM_OUTPUTS = ['param', 'm', 'v'] as const;

/**
 * One of Adam's results, element-wise over the parameter (p, g, m, v all have its shape). Each
 * dispatch recomputes the moments it needs: a few flops against a kernel launch. The dispatch is
 * flat; tfjs folds one past WebGPU's per-dimension limit into more dimensions by itself.
 */
function adamProgram(shape: number[], output: (typeof ADAM_OUTPUTS)[number]): object {
  const result = { param: 'decayed - uniforms.lrOverBias1 * m2 / (sqrt(v2) / uniforms.bias2Sqrt + uniforms.eps)', m: 'm2', v: 'v2' }[output];
  return {
    variableNames: ['P', 'G', 'M', 'V'],
    outputShape: shape,
    shaderKey: `unirl_adam_${output}`,
    size: true,
    uniforms: 'beta1 : f32, beta2 : f32, eps : f32, lrOverBias1 : f32, bias2Sqrt : f32, decay : f32,',
    workgroupSize: [WORKGROUP, 1, 1],
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [Math.ceil(tf.util.sizeFromShape(shape) / WORKGROUP), 1, 1],
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let g = G[index];
          let m2 = uniforms.beta1 * M[index] + (1.0 - uniforms.beta1) * g;
          let v2 = uniforms.beta2 * V[index] + (1.0 - uniforms.beta2) * g * g;
          let decayed = P[index] * uniforms.decay;
          setOutputAtIndex(index, ${result});
        }
      }`,
  };
}

/** Registers the kernels for the webgpu backend (idempotent). */
export function registerWebgpuKernels(): void {
  if (tf.getKernel(KERNELS.adam, 'webgpu')) return;
  tf.registerKernel({
    kernelName: KERNELS.adam,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { p, g, m, v } = inputs as Record<'p' | 'g' | 'm' | 'v', tf.TensorInfo>;
      const a = attrs as Record<'lr' | 'beta1' | 'beta2' | 'eps' | 'bias1' | 'bias2Sqrt' | 'weightDecay', number>;
      // One entry per scalar, in the struct's order (tfjs aligns longer entries as vectors).
      const uniforms = [a.beta1, a.beta2, a.eps, a.lr / a.bias1, a.bias2Sqrt, 1 - a.lr * a.weightDecay].map((x) => ({ type: 'float32', data: [x] }));
      const gpu = backend as WebgpuBackend;
      return ADAM_OUTPUTS.map((output) => gpu.runWebGPUProgram(adamProgram(p.shape, output), [p, g, m, v], 'float32', uniforms));
    },
  });
}
