/** Building a freshly initialised model of a config's paradigm. */
import type { ModelConfig } from './config';
import { AutoregressiveModel } from './autoregressive';
import { MaskedModel } from './masked';
import type { UnifiedModel } from './model';

/** A freshly initialised model of the config's paradigm. */
export function createModel(config: ModelConfig): UnifiedModel {
  switch (config.paradigm) {
    case 'masked':
      return MaskedModel.create(config);
    case 'autoregressive':
      return AutoregressiveModel.create(config);
  }
}

/** Parameters a model of config `to` has that a checkpoint of config `from` lacks (settings switched on since it was made). */
export function addedParameters(from: ModelConfig, to: ModelConfig): string[] {
  return to.paradigm === 'autoregressive' ? AutoregressiveModel.addedParameters(from, to) : [];
}

/** Parameters only generation reads: training only these leaves the model's understanding exactly as it was. */
export function generationOnlyParameters(config: ModelConfig): string[] {
  if (config.paradigm !== 'autoregressive') throw new Error('only the autoregressive model has weights that generation alone reads (the masked model reads and draws in one sequence)');
  return AutoregressiveModel.generationOnlyParameters(config);
}
