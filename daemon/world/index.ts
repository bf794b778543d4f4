/** The shapes world: vocabulary, scenes, rendering, GenEval-format prompts and the held-out split. */
export * from './definition';
export * from './shapes';
export * from './relations';
export * from './metadata';
export * from './scene';
export * from './render';
export * from './palette';
export * from './prompts';
export * from './split';
export * from './answers';
export * from './counts';
