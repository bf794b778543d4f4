/**
 * The compute layer every model uses: backend choice (with the optional native kernels), fast
 * building blocks with gradients, parameters as named variables, Adam, safetensors checkpoints and
 * memory accounting. Call `initCompute()` once before creating tensors.
 */
export { BACKEND_CHOICES, computeInfo, initCompute, setKernelMode, setNativeKernels, useFusedAdam, useNativeKernels, type BackendChoice, type ComputeInfo, type ComputeOptions, type KernelMode } from './backend';
export { loadNative, type NativeStatus } from './native';
export { describeAdapter, isSoftwareAdapter, type AdapterReport } from './webgpu';
export { attention, crossEntropy, dense, embedding, gelu, layerNorm, matMul, reference, tokenNll, type AttentionOptions } from './ops';
export { clipGlobalNorm, Parameters, readScalar, valueAndGrads, type Init } from './params';
export { Adam, type AdamOptions, type AdamState } from './adam';
export { keepWeights, keptFile, loadCheckpoint, optimizerFileFor, saveCheckpoint, siblingFile, CHECKPOINT_FORMAT, type CheckpointInfo, type SaveCheckpointOptions } from './checkpoint';
export { decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensors, type SafeDtype, type SafeFile, type SafeTensor } from './safetensors';
export { assertNoLeak, memorySnapshot, type MemorySnapshot } from './memory';
export { packageRoot } from '../util/paths';
