/** Loading a committed or trained model: the checkpoint's own config says what to build. */
import { loadCheckpoint, readSafetensors, type CheckpointInfo } from '../compute';
import { modelConfig, type ModelConfig } from './config';
import type { UnifiedModel } from './model';
import { createModel } from './create';

export function checkpointModelConfig(file: string): ModelConfig {
  const { metadata } = readSafetensors(file);
  let raw: unknown;
  try {
    raw = JSON.parse(metadata['config'] ?? 'null');
  } catch {
    throw new Error(`${file}: its "config" metadata is not JSON`);
  }
  if (typeof raw !== 'object' || raw === null || !('paradigm' in raw)) throw new Error(`${file}: not a unified-model checkpoint (no model config with a paradigm)`);
  const config = raw as Partial<ModelConfig> & { paradigm: unknown };
  if (config.paradigm !== 'masked' && config.paradigm !== 'autoregressive') throw new Error(`${file}: unknown paradigm ${JSON.stringify(config.paradigm)}`);
  return modelConfig(config.paradigm, config);
}

export function loadModel(file: string): { model: UnifiedModel; info: CheckpointInfo } {
  const model = createModel(checkpointModelConfig(file));
  try {
    return { model, info: loadCheckpoint(file, model.params) };
  } catch (err) {
    model.params.dispose();
    throw err;
  }
}
