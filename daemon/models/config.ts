/**
 * Model configs: the fields a run spec may set, with defaults sized for a 2-core machine.
 * Both paradigms share the transformer body's fields.
 */
export type Paradigm = 'masked' | 'autoregressive';

export interface ModelConfig {
  paradigm: Paradigm;
  /** Width of the residual stream. */
  dim: number;
  layers: number;
  heads: number;
  /** Width of the MLP's hidden layer, as a multiple of dim. */
  mlpRatio: number;
  /** Canvas side of the world the model draws (the image grid is canvas / patch). */
  canvas: number;
  /** Side of an image token's patch in pixels. */
  patch: number;
  /** Initialisation seed. */
  seed: number;
  /**
   * Autoregressive only: in understanding sequences the image block (<mmu> and the pixel patches)
   * attends both ways, as a vision encoder does before the language model reads it (Janus's
   * SigLIP); the dialogue after it stays causal, generation stays causal. The per-patch pixel
   * encoder mixes nothing across patches, so without it a patch sees only the patches before it.
   * Absent (false) in checkpoints made before it existed, which keep the causal mask they learned.
   * The weights are the same either way, so a base can continue with it switched on.
   */
  bidirectionalImage?: boolean;
  /**
   * Autoregressive only: the pixel encoder adds a row and a column embedding to each patch, beside
   * its own learned position, so "left of" is one direction in the column table whatever the row
   * (the masked model's image positions are built this way). Absent (false) in checkpoints made
   * before it existed; a base continued with it switched on starts them at zero, so it starts as
   * the same function.
   */
  gridPositions?: boolean;
  /**
   * Autoregressive only: rank of a generation adapter, a small residual MLP in each block that acts
   * on generation sequences and never on understanding ones (a modality-specific expert, as in
   * Mixture-of-Transformers). Training it with the image-token embeddings and heads changes what
   * the model draws while every weight the reader uses stays as it was. Its output layer starts at
   * zero, so a base continued with an adapter starts as the same function. Absent: none.
   */
  generationAdapter?: number;
  /**
   * Autoregressive only: rank of low-rank updates of each block's attention projections (query,
   * key and value, and output) that generation sequences use and understanding ones never do: what
   * the generation adapter cannot reach, which image token reads which prompt word (colour
   * attribution binds a colour to its object there). The second factor starts at zero, so a base
   * continued with them starts as the same function. Absent: none.
   */
  generationAttentionAdapter?: number;
  /**
   * Autoregressive only: the image tokens of generation sequences pass through their own copy of
   * every block's weights (layer norms, attention projections, MLP), the text positions (prompt,
   * <t2i>, <soi>) and every position of an understanding sequence through the shared ones, with
   * attention over the whole sequence, so image tokens read the prompt as the shared weights wrote
   * it: the image expert of Mixture-of-Transformers, or LMFusion's image modules beside frozen text
   * ones. Training it with the image-token embeddings and heads changes what the model draws with
   * the reader's weights untouched. A base continued with it starts the copy at the shared weights'
   * values, the same function. Absent (false): none. Not with the generation adapters.
   */
  generationExpert?: boolean;
  /**
   * Autoregressive only, with generationExpert: the prompt positions of generation sequences pass
   * through the expert too, so generation reads its prompt with weights of its own and the reader
   * reads its questions with the shared ones; the two share only the embeddings and final norm.
   * Why: the shared-weight runs' colour attribution gain lives in how the prompt positions are
   * processed (docs/results.md, session 28). Absent (false): image positions only.
   */
  generationExpertPrompt?: boolean;
}

export const DEFAULT_MODEL: Omit<ModelConfig, 'paradigm'> = {
  dim: 192,
  layers: 6,
  heads: 6,
  mlpRatio: 4,
  canvas: 32,
  patch: 4,
  seed: 1,
};

export function modelConfig(paradigm: Paradigm, overrides: Partial<ModelConfig> = {}): ModelConfig {
  const c: ModelConfig = { ...DEFAULT_MODEL, paradigm, ...overrides };
  const posInt = (n: number): boolean => Number.isInteger(n) && n >= 1;
  if (!posInt(c.dim) || !posInt(c.layers) || !posInt(c.heads) || !posInt(c.mlpRatio) || !posInt(c.patch)) {
    throw new Error(`model config: dim, layers, heads, mlpRatio and patch must be positive integers (${JSON.stringify(c)})`);
  }
  if (c.dim % c.heads !== 0) throw new Error(`model config: ${c.heads} heads do not divide dim ${c.dim}`);
  if (c.canvas % c.patch !== 0) throw new Error(`model config: canvas ${c.canvas} is not a multiple of patch ${c.patch}`);
  if (c.bidirectionalImage !== undefined && typeof c.bidirectionalImage !== 'boolean') throw new Error(`model config: bidirectionalImage must be true or false`);
  if (c.gridPositions !== undefined && typeof c.gridPositions !== 'boolean') throw new Error(`model config: gridPositions must be true or false`);
  if (c.gridPositions && c.paradigm !== 'autoregressive') throw new Error('model config: gridPositions is an autoregressive setting (the masked model has row and column embeddings already)');
  for (const key of ['generationAdapter', 'generationAttentionAdapter'] as const) {
    const rank = c[key];
    if (rank === undefined) continue;
    if (!posInt(rank)) throw new Error(`model config: ${key} is a rank, a positive integer (got ${JSON.stringify(rank)})`);
    if (c.paradigm !== 'autoregressive') throw new Error(`model config: ${key} is an autoregressive setting (the masked model reads and draws in one sequence)`);
  }
  if (c.generationExpert !== undefined && typeof c.generationExpert !== 'boolean') throw new Error('model config: generationExpert must be true or false');
  if (c.generationExpert && c.paradigm !== 'autoregressive') throw new Error('model config: generationExpert is an autoregressive setting (the masked model reads and draws in one sequence)');
  if (c.generationExpertPrompt !== undefined && typeof c.generationExpertPrompt !== 'boolean') throw new Error('model config: generationExpertPrompt must be true or false');
  if (c.generationExpertPrompt && !c.generationExpert) throw new Error('model config: generationExpertPrompt sends the prompt through the image expert, but generationExpert is off');
  if (c.generationExpert && (c.generationAdapter || c.generationAttentionAdapter)) {
    throw new Error('model config: generationExpert gives image tokens their own copy of every block weight, so the generation adapters would add nothing it cannot learn: choose one');
  }
  if (c.bidirectionalImage && c.paradigm !== 'autoregressive') throw new Error('model config: bidirectionalImage is an autoregressive setting (the masked model reads its image block both ways already)');
  return c;
}
