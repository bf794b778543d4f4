/** Tokenizers: images to discrete patch tokens and back; the world's language to word tokens and back. */
export * from './image';
export * from './text';
