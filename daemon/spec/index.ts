/** Run specs: load and validate (schema, then semantic rules); types of a validated spec. */
export * from './types';
export { validateSpec, semanticProblems, isInside, type ValidationContext, type ValidationResult } from './validate';
export { pointerRange, escapePointerToken, pointerTokens } from './pointer';
export { MAX_SPEC_DEPTH, textNestingDepth } from './depth';
export { nodeContext } from './node-context';
// The schema layer alone: the language server leaves it to VS Code's JSON extension when that runs.
export { schemaProblems } from './schema';
