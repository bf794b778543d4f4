/** Unified models: the masked (Show-o-like) and autoregressive (Janus-like) paradigms behind one interface. */
export * from './config';
export * from './model';
export * from './vocab';
export * from './maskgit';
export { MaskedModel } from './masked';
export { AutoregressiveModel } from './autoregressive';

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
