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
