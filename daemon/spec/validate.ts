/**
 * The one spec validator, used by the daemon, the CLI and the language server: the schema first
 * (ajv), then the rules the schema cannot say. Pure: the caller passes the file system in as
 * functions, so the language server can validate unsaved text and tests can use any layout.
 */
import * as path from 'node:path';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import type { SpecProblem } from '../../schemas/protocol';
import { STAGES } from '../runs/registry';
import { parseMetadataLines, TAGS, type Metadata } from '../world';
import { MAX_SPEC_DEPTH, nestsDeeperThan, textNestingDepth } from './depth';
import { READER_TRAINING_KEYS, readerFrozenRefusal } from './generation-only';
import { schemaProblems } from './schema';
import type { ModelSpec, RunSpec, StageSpec } from './types';

export interface ValidationContext {
  /** Folder that relative paths in the spec resolve against (the spec file's folder). */
  specDir?: string;
  /** When set, every path in the spec must stay inside this folder. */
  workspaceRoot?: string;
  fileExists?(absolutePath: string): boolean;
  /** The file's text, or undefined when it cannot be read. */
  readFile?(absolutePath: string): string | undefined;
}

export interface ValidationResult {
  problems: SpecProblem[];
  /** The spec with defaults filled in, when it has no errors (warnings allowed). */
  spec?: RunSpec;
}

/** Validates a spec given as text (a *.unirl.json file: a string) or as an already parsed value. */
export function validateSpec(input: unknown, context: ValidationContext = {}): ValidationResult {
  let value: unknown = input;
  const tooDeep = { problems: [err('', `nested more than ${MAX_SPEC_DEPTH} levels deep: not a run spec (a spec nests a few)`)] };
  if (typeof input === 'string') {
    if (textNestingDepth(input) > MAX_SPEC_DEPTH) return tooDeep;
    const errors: ParseError[] = [];
    value = parseJsonc(input, errors, { allowTrailingComma: false, disallowComments: true });
    if (errors.length > 0) {
      return {
        problems: errors.map((e) => {
          const { line, column } = lineColumn(input, e.offset);
          return { pointer: '', message: `not valid JSON at line ${line}, column ${column}: ${printParseErrorCode(e.error)}`, severity: 'error' };
        }),
      };
    }
  } else if (nestsDeeperThan(value, MAX_SPEC_DEPTH)) return tooDeep; // text was bounded before parsing
  // Defaults are filled into a copy, so the caller's object is never changed.
  const spec = structuredCloneJson(value);
  // Whether the author wrote model.paradigm, before the schema's default fills it in: left out
  // beside a checkpoint, it is the checkpoint card's.
  const paradigmGiven = (value as { model?: { paradigm?: unknown } } | null)?.model?.paradigm !== undefined;
  const problems = schemaProblems(spec);
  if (problems.length > 0) return { problems };
  const checked = spec as RunSpec;
  const semantic = semanticProblems(checked, context, { paradigmGiven });
  return semantic.some((p) => p.severity === 'error') ? { problems: semantic } : { problems: semantic, spec: checked };
}

function structuredCloneJson(value: unknown): unknown {
  return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown);
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before[before.length - 1]?.length ?? 0) + 1 };
}

const err = (pointer: string, message: string): SpecProblem => ({ pointer, message, severity: 'error' });
const warn = (pointer: string, message: string): SpecProblem => ({ pointer, message, severity: 'warning' });

/** The rules the schema cannot say, in the order a person fixes them. */
export function semanticProblems(spec: RunSpec, context: ValidationContext, given = { paradigmGiven: true }): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const files = fileAccess(context, problems);

  // The model: a checkpoint that exists and whose card agrees with the declared paradigm.
  const model = spec.model;
  if (model?.checkpoint !== undefined) {
    const at = files.resolve(model.checkpoint, '/model/checkpoint');
    if (at !== undefined && !files.exists(at)) problems.push(err('/model/checkpoint', `checkpoint file not found: ${at}`));
    else if (at !== undefined) {
      const card = files.read(at.replace(/\.safetensors$/, '') + '.json');
      const paradigm = card === undefined ? undefined : paradigmOfCard(card);
      if ((paradigm === 'masked' || paradigm === 'autoregressive') && !given.paradigmGiven) model.paradigm = paradigm satisfies ModelSpec['paradigm'];
      else if (paradigm !== undefined && paradigm !== model.paradigm) {
        problems.push(
          err('/model/paradigm', `the checkpoint's card says paradigm "${paradigm}" but the spec says "${model.paradigm}"`),
        );
      }
    }
  }
  if (model) {
    const { dim, heads, patch, bidirectionalImage } = model.architecture;
    if (bidirectionalImage && model.paradigm !== 'autoregressive') {
      problems.push(err('/model/architecture/bidirectionalImage', 'bidirectionalImage is an autoregressive setting (the masked model reads its image block both ways already)'));
    }
    if (dim % heads !== 0) problems.push(err('/model/architecture/heads', `heads (${heads}) must divide dim (${dim})`));
    if (spec.world.canvas % patch !== 0) {
      problems.push(err('/model/architecture/patch', `patch (${patch}) must divide the canvas (${spec.world.canvas} px)`));
    }
  }
  const pretrainAt = spec.stages.findIndex((s) => s.kind === 'pretrain');
  if (pretrainAt >= 0 && !model) {
    problems.push(err(`/stages/${pretrainAt}/kind`, 'a pretrain stage needs model.paradigm and model.architecture (add a "model" object; its defaults are a masked model)'));
  }

  if (spec.heldOut !== undefined) files.metadata(spec.heldOut, '/heldOut');

  let hasModel = model?.checkpoint !== undefined;
  const names = new Map<string, number>();
  spec.stages.forEach((stage, i) => {
    const at = `/stages/${i}`;
    const why = STAGES[stage.kind].unavailable(stage);
    if (why) problems.push(err(`${at}/${why.field}`, why.message));
    if (stage.name !== undefined) {
      const first = names.get(stage.name);
      if (first !== undefined) problems.push(warn(`${at}/name`, `stage name "${stage.name}" is also used by stage ${first}`));
      else names.set(stage.name, i);
    }
    if (stage.kind === 'pretrain') hasModel = true;
    else if (needsModel(stage) && !hasModel) {
      problems.push(err(`${at}/kind`, `this ${stage.kind} stage needs a model: set model.checkpoint, or put a pretrain stage before it`));
    }
    problems.push(...stageNumbers(stage, at));
    if (stage.kind === 'geneval' && stage.metadata !== undefined) {
      const lines = files.metadata(stage.metadata, `${at}/metadata`);
      if (lines && stage.limit > lines.length) {
        problems.push(warn(`${at}/limit`, `limit ${stage.limit} is more than the ${lines.length} prompts of the metadata file`));
      }
    }
  });
  if (model && !spec.stages.some(needsModel) && !spec.stages.some((s) => s.kind === 'pretrain')) {
    problems.push(warn('/model', 'no stage uses the model (every stage draws truth images)'));
  }
  return problems;
}

function needsModel(stage: StageSpec): boolean {
  return !(stage.kind === 'geneval' && stage.generator === 'truth') && stage.kind !== 'pretrain';
}

/** Numbers that must agree with each other inside one stage. */
function stageNumbers(stage: StageSpec, at: string): SpecProblem[] {
  const out: SpecProblem[] = [];
  if (stage.kind === 'grpo' && stage.groupSize < 2) {
    out.push(err(`${at}/groupSize`, `groupSize must be at least 2: GRPO normalises rewards within a group, and a group of ${stage.groupSize} has no spread`));
  }
  if (stage.kind === 'grpo' && stage.refModelSyncSteps > 0 && stage.beta === 0) {
    out.push(err(`${at}/refModelSyncSteps`, `refModelSyncSteps (${stage.refModelSyncSteps}) moves the KL reference, but beta is 0: there is no reference to move`));
  }
  if (stage.kind === 'grpo' && stage.judge === 'base' && stage.reward.startsWith('detector')) {
    out.push(warn(`${at}/judge`, `judge "base" chooses who answers for a self reward, but reward "${stage.reward}" is the detector's: the setting has no effect`));
  }
  if (stage.kind === 'grpo' && stage.unjudgedBeta !== undefined && !stage.rewardTags) {
    out.push(err(`${at}/unjudgedBeta`, 'unjudgedBeta holds the prompts of tags outside rewardTags, but rewardTags is not set: every tag is judged, and nothing would be held'));
  }
  if (stage.kind === 'grpo' && stage.judgedShare !== undefined) {
    const judged = stage.rewardTags?.length ?? 0;
    const judgedPrompts = Math.round(stage.judgedShare * stage.promptsPerStep);
    if (!stage.rewardTags) out.push(err(`${at}/judgedShare`, 'judgedShare splits each step\'s prompts between the tags rewardTags judges and the others, but rewardTags is not set'));
    else if (judgedPrompts === 0) out.push(err(`${at}/judgedShare`, `judgedShare ${stage.judgedShare} of ${stage.promptsPerStep} prompts a step rounds to no judged prompt: no step would carry a reward`));
    else if (judgedPrompts < stage.promptsPerStep && judged >= TAGS.length) out.push(err(`${at}/judgedShare`, `judgedShare ${stage.judgedShare} leaves ${stage.promptsPerStep - judgedPrompts} prompt(s) a step to the unjudged tags, but rewardTags judges every tag`));
  }
  if (stage.kind === 'grpo' && stage.understandingMinReward !== undefined && !stage.trainUnderstanding) {
    out.push(err(`${at}/understandingMinReward`, 'understandingMinReward chooses the own images understanding is trained on, but trainUnderstanding is false: nothing would be trained'));
  }
  if (stage.kind === 'grpo' && (stage.generationAdapter !== undefined || stage.generationAttentionAdapter !== undefined || stage.generationExpert || stage.generationExpertPrompt)) {
    for (const key of READER_TRAINING_KEYS) {
      if (stage[key]) out.push(err(`${at}/${key}`, readerFrozenRefusal([key])));
    }
    if (stage.generationExpertPrompt && !stage.generationExpert) out.push(err(`${at}/generationExpertPrompt`, 'generationExpertPrompt sends the prompt through the image expert, but generationExpert is false'));
    if (stage.generationExpert && (stage.generationAdapter !== undefined || stage.generationAttentionAdapter !== undefined)) {
      out.push(err(`${at}/generationExpert`, 'generationExpert gives image tokens their own copy of every block weight, so the generation adapters would add nothing it cannot learn: choose one'));
    }
  }
  if (stage.kind === 'sft' && stage.accept === 'self_likelihood_best' && stage.imagesPerPrompt < 2) {
    out.push(err(`${at}/imagesPerPrompt`, `accept "self_likelihood_best" keeps the best of each prompt's images, so imagesPerPrompt must be at least 2 (got ${stage.imagesPerPrompt})`));
  }
  if (stage.kind === 'sft' && !stage.trainUnderstanding && stage.generationWeight === 0) {
    out.push(err(`${at}/trainUnderstanding`, 'trainUnderstanding is false and generationWeight is 0: the stage would train nothing'));
  }
  if (stage.kind === 'pretrain') {
    if (stage.warmupSteps > stage.steps) out.push(err(`${at}/warmupSteps`, `warmupSteps (${stage.warmupSteps}) is more than steps (${stage.steps})`));
    if (stage.minLearningRate > stage.learningRate) {
      out.push(err(`${at}/minLearningRate`, `minLearningRate (${stage.minLearningRate}) is above learningRate (${stage.learningRate})`));
    }
    if (stage.countShare + stage.variedCountShare + stage.colorRelationUnderstandingShare > 1) {
      const shares = `countShare (${stage.countShare}), variedCountShare (${stage.variedCountShare}) and colorRelationUnderstandingShare (${stage.colorRelationUnderstandingShare})`;
      out.push(err(`${at}/variedCountShare`, `${shares} are shares of one understanding batch and add up to more than 1`));
    }
  }
  if (stage.kind === 'pretrain' || stage.kind === 'sft' || stage.kind === 'grpo') {
    if (stage.checkpointEvery > stage.steps) {
      out.push(warn(`${at}/checkpointEvery`, `checkpointEvery (${stage.checkpointEvery}) exceeds steps (${stage.steps}): only the final checkpoint is saved, so a crash loses the whole stage`));
    }
    if (stage.logEvery > stage.steps) out.push(warn(`${at}/logEvery`, `logEvery (${stage.logEvery}) exceeds steps (${stage.steps}): no metrics until the end`));
    if (stage.keepEvery > stage.steps) out.push(warn(`${at}/keepEvery`, `keepEvery (${stage.keepEvery}) exceeds steps (${stage.steps}): no weights are kept besides the model`));
  }
  if (stage.kind === 'grpo' && stage.promptsPerStep * stage.groupSize > 1024) {
    out.push(warn(`${at}/groupSize`, `${stage.promptsPerStep} prompts x ${stage.groupSize} images = ${stage.promptsPerStep * stage.groupSize} images a step: expect a slow step and a large memory footprint`));
  }
  return out;
}

function paradigmOfCard(text: string): string | undefined {
  try {
    const card = JSON.parse(text) as { paradigm?: unknown; config?: { paradigm?: unknown } };
    const p = card.paradigm ?? card.config?.paradigm;
    return typeof p === 'string' ? p : undefined;
  } catch {
    return undefined;
  }
}

/** Path resolution and reads, each failure recorded as a problem at the field that named the path. */
function fileAccess(context: ValidationContext, problems: SpecProblem[]) {
  const base = context.specDir ?? context.workspaceRoot ?? '.';
  const exists = (p: string): boolean => (context.fileExists ? context.fileExists(p) : context.readFile?.(p) !== undefined);
  const resolve = (p: string, pointer: string): string | undefined => {
    const abs = path.resolve(base, p);
    if (context.workspaceRoot !== undefined && !isInside(context.workspaceRoot, abs)) {
      problems.push(err(pointer, `path "${p}" leaves the workspace (${context.workspaceRoot})`));
      return undefined;
    }
    return abs;
  };
  const read = (p: string): string | undefined => context.readFile?.(p);
  const metadata = (p: string, pointer: string): Metadata[] | undefined => {
    const abs = resolve(p, pointer);
    if (abs === undefined || !context.readFile) return undefined;
    const text = context.readFile(abs);
    if (text === undefined) {
      problems.push(err(pointer, `metadata file not found or not readable: ${abs}`));
      return undefined;
    }
    try {
      return parseMetadataLines(text, path.basename(abs));
    } catch (e) {
      problems.push(err(pointer, (e as Error).message));
      return undefined;
    }
  };
  return { resolve, exists, read, metadata };
}

export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(path.resolve(root), path.resolve(candidate));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
