/** Unified models: the masked (Show-o-like) and autoregressive (Janus-like) paradigms behind one interface. */
export * from './config';
export * from './model';
export * from './vocab';
export * from './maskgit';
export { MaskedModel, straightThrough } from './masked';
export { AutoregressiveModel } from './autoregressive';

export { addedParameters, createModel, generationOnlyParameters } from './create';
export * from './load';
