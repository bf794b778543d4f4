/**
 * The run spec as TypeScript sees it after validation, with every default filled in.
 * schemas/unirl-run.schema.json is the source of truth; these types mirror it (test/unit/spec.test.ts
 * checks that each stage's fields here are the schema's, through a typed list of keys).
 */
import type { StageKind } from '../../schemas/protocol';

/** Each field left out takes the paradigm's default (daemon/train/evaluate.ts DEFAULT_SAMPLING). */
export interface SamplingSpec {
  steps?: number;
  temperature?: number;
  cfg?: number;
}

interface StageCommon {
  name?: string;
}

export interface PretrainStageSpec extends StageCommon {
  kind: 'pretrain';
  steps: number;
  batchSize: number;
  understandingBatchSize?: number;
  countShare: number;
  variedCountShare: number;
  variedCountBroken: number;
  colorRelationShare: number;
  colorRelationUnderstandingShare: number;
  answerDropout: number;
  learningRate: number;
  minLearningRate: number;
  warmupSteps: number;
  weightDecay: number;
  gradClip: number;
  condDropout: number;
  understandingWeight: number;
  checkpointEvery: number;
  keepEvery: number;
  logEvery: number;
  dataWorkers?: number;
}

export interface SftStageSpec extends StageCommon {
  kind: 'sft';
  steps: number;
  promptsPerStep: number;
  imagesPerPrompt: number;
  learningRate: number;
  gumbelTemperature: number;
  gradientSteps: number;
  generationWeight: number;
  accept: 'self' | 'self_likelihood_best';
  trainUnderstanding: boolean;
  gradClip: number;
  sampling: SamplingSpec;
  logEvery: number;
  checkpointEvery: number;
  keepEvery: number;
  samplesEvery: number;
}

export interface GrpoStageSpec extends StageCommon {
  kind: 'grpo';
  steps: number;
  promptsPerStep: number;
  groupSize: number;
  learningRate: number;
  beta: number;
  refModelSyncSteps: number;
  refModelMixupAlpha: number;
  clipEpsilon: number;
  updatesPerBatch: number;
  reward: 'self' | 'self_graded' | 'self_likelihood' | 'self_count' | 'self_count_likelihood' | 'self_joint_likelihood' | 'self_contrast' | 'self_contrast_likelihood' | 'detector' | 'detector_graded';
  judge: 'policy' | 'base';
  trainUnderstanding: boolean;
  understandingWeight: number;
  understandingMinReward?: number;
  understandingAnchor?: number;
  understandingDistill?: number;
  generationAdapter?: number;
  generationAttentionAdapter?: number;
  generationExpert: boolean;
  generationExpertPrompt: boolean;
  answerTemperature: number;
  policySteps: number;
  curriculumCandidates: number;
  scaleRewards: boolean;
  rewardTags?: Array<'single_object' | 'two_object' | 'counting' | 'colors' | 'position' | 'color_attr'>;
  unjudgedBeta?: number;
  judgedShare?: number;
  gradClip: number;
  sampling: SamplingSpec;
  logEvery: number;
  checkpointEvery: number;
  keepEvery: number;
  samplesEvery: number;
}

export interface GenevalStageSpec extends StageCommon {
  kind: 'geneval';
  generator: 'model' | 'truth';
  metadata?: string;
  limit: number;
  imagesPerPrompt: number;
  sampling: SamplingSpec;
  checkpointEvery: number;
  samplesEvery: number;
}

export interface SampleStageSpec extends StageCommon {
  kind: 'sample';
  prompts: string[];
  imagesPerPrompt: number;
  sampling: SamplingSpec;
}

export type StageSpec = PretrainStageSpec | SftStageSpec | GrpoStageSpec | GenevalStageSpec | SampleStageSpec;

export interface ModelSpec {
  checkpoint?: string;
  paradigm: 'masked' | 'autoregressive';
  architecture: {
    dim: number;
    layers: number;
    heads: number;
    mlpRatio: number;
    patch: number;
    bidirectionalImage: boolean;
  };
}

export interface RunSpec {
  $schema?: string;
  name: string;
  description?: string;
  seed: number;
  world: { canvas: number };
  model?: ModelSpec;
  backend: 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
  heldOut?: string;
  stages: StageSpec[];
}

export type StageSpecOf<K extends StageKind> = Extract<StageSpec, { kind: K }>;
