/** GenEval for the shapes world: a pixel-only detector, the official per-image rules, the official aggregation and folder layout. */
export * from './detector';
export * from './template-detector';
export * from './default-detector';
export * from './segment';
export * from './descriptors';
export * from './classifier';
export * from './rules';
export * from './summary';
export * from './layout';
