/** Loading a committed or trained model: the checkpoint's own config says what to build. */
import { loadCheckpoint, readSafetensors, type CheckpointInfo, type Parameters } from '../compute';
import { modelConfig, type ModelConfig } from './config';
import type { UnifiedModel } from './model';
import { addedParameters, createModel } from './create';
import { expertSource } from './transformer';

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

/**
 * The checkpoint's model; `overrides` switch settings on that add parameters (they start as the
 * settings' docs say, e.g. a generation adapter at zero), or are checked against the checkpoint's.
 */
export function loadModel(file: string, overrides: Partial<ModelConfig> = {}): { model: UnifiedModel; info: CheckpointInfo } {
  const saved = checkpointModelConfig(file);
  const config = modelConfig(saved.paradigm, { ...saved, ...overrides });
  const model = createModel(config);
  try {
    return { model, info: loadWeights(file, model.params, saved, config) };
  } catch (err) {
    model.params.dispose();
    throw err;
  }
}

/**
 * Loads the weights of `file` (a model of config `saved`) into the parameters of a model of config
 * `config`, which may have settings switched on since: their parameters keep the values they were
 * created with, except an image expert's, which start as copies of the shared weights they stand
 * in for (loaded just now), so the model is the checkpoint's function.
 */
export function loadWeights(file: string, params: Parameters, saved: ModelConfig, config: ModelConfig): CheckpointInfo {
  const added = addedParameters(saved, config);
  const info = loadCheckpoint(file, params, undefined, added);
  for (const name of added) {
    const source = expertSource(name);
    if (source) params.get(name).assign(params.get(source));
  }
  return info;
}
