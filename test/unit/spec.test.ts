import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import runSchema from '../../schemas/unirl-run.schema.json';
import { BACKEND_CHOICES } from '../../daemon/compute/backend';
import { DEFAULT_MODEL } from '../../daemon/models/config';
import { DEFAULT_PRETRAIN } from '../../daemon/train/pretrain';
import { defaultGrpo } from '../../daemon/train/grpo';
import { defaultSft } from '../../daemon/train/sft';
import {
  nodeContext,
  pointerRange,
  validateSpec,
  type GenevalStageSpec,
  type GrpoStageSpec,
  type ModelSpec,
  type PretrainStageSpec,
  type RunSpec,
  type SampleStageSpec,
  type SftStageSpec,
  type ValidationContext,
} from '../../daemon/spec';
import { AVAILABLE_STAGE_KINDS } from '../../daemon/runs';

/** An in-memory file system for the validator (it is pure: files come in as functions). */
function memoryContext(files: Record<string, string>, extra: Partial<ValidationContext> = {}): ValidationContext {
  return { specDir: '/ws', readFile: (p) => files[p], fileExists: (p) => p in files, ...extra };
}

const truth = { name: 'truth', stages: [{ kind: 'geneval', generator: 'truth' }] };

function messages(spec: unknown, context: ValidationContext = memoryContext({})): string[] {
  return validateSpec(spec, context).problems.map((p) => `${p.severity} ${p.pointer}: ${p.message}`);
}

type Schema = { type?: string; properties?: Record<string, Schema>; required?: string[]; description?: string; examples?: unknown[]; default?: unknown; minimum?: number; exclusiveMinimum?: number; enum?: unknown[]; const?: unknown; items?: Schema };
const defs = (runSchema as unknown as { definitions: Record<string, Schema> }).definitions;

describe('run spec schema', () => {
  it('describes every field with a description, a type, an example, a range for numbers, and a default where absence is not meaningful', () => {
    // Optional fields whose absence means something of its own (no file, no model, no label).
    // Sampling fields left out take the model's paradigm's defaults, which JSON Schema cannot express;
    // an understanding batch left out is the stage's batchSize; data workers left out depend on the backend;
    // reward tags left out are all tags.
    const absenceMeaningful = new Set(['$schema', 'description', 'model', 'checkpoint', 'heldOut', 'metadata', 'name', 'steps@sampling', 'temperature@sampling', 'cfg@sampling', 'understandingBatchSize', 'dataWorkers', 'rewardTags', 'unjudgedBeta', 'judgedShare', 'understandingMinReward', 'understandingAnchor', 'understandingDistill', 'generationAdapter', 'generationAttentionAdapter']);
    const walk = (schema: Schema, where: string): void => {
      for (const [key, field] of Object.entries(schema.properties ?? {})) {
        const at = `${where}/${key}`;
        if (key === 'kind' && where.startsWith('#/definitions')) continue;
        assert.ok(field.description, `${at}: description`);
        assert.ok(field.type !== undefined || field.enum !== undefined || field.const !== undefined, `${at}: type`);
        assert.ok(Array.isArray(field.examples) && field.examples.length > 0, `${at}: example`);
        if (field.type === 'integer' || field.type === 'number') assert.ok(field.minimum !== undefined || field.exclusiveMinimum !== undefined, `${at}: range`);
        const required = schema.required?.includes(key) ?? false;
        const named = where.endsWith('/sampling') ? `${key}@sampling` : key;
        if (!required && !absenceMeaningful.has(named)) assert.ok('default' in field, `${at}: default`);
        if (field.properties) walk(field, at);
      }
    };
    walk(runSchema, '#');
    for (const [name, def] of Object.entries(defs)) walk(def, `#/definitions/${name}`);
  });

  it('has exactly the fields the TypeScript types have', () => {
    const keys = <T>(k: Record<keyof T, true>): string[] => Object.keys(k).sort();
    const props = (name: string): string[] => Object.keys(defs[name]!.properties!).sort();
    const common = { kind: true, name: true } as const;
    const sampling = { sampling: true } as const;
    assert.deepEqual(props('pretrain'), keys<PretrainStageSpec>({ ...common, steps: true, batchSize: true, understandingBatchSize: true, countShare: true, variedCountShare: true, variedCountBroken: true, colorRelationShare: true, colorRelationUnderstandingShare: true, answerDropout: true, learningRate: true, warmupSteps: true, minLearningRate: true, weightDecay: true, gradClip: true, understandingWeight: true, condDropout: true, checkpointEvery: true, keepEvery: true, logEvery: true, dataWorkers: true }));
    assert.deepEqual(props('sft'), keys<SftStageSpec>({ ...common, ...sampling, steps: true, promptsPerStep: true, imagesPerPrompt: true, learningRate: true, gumbelTemperature: true, gradientSteps: true, generationWeight: true, accept: true, trainUnderstanding: true, gradClip: true, samplesEvery: true, checkpointEvery: true, keepEvery: true, logEvery: true }));
    assert.deepEqual(props('grpo'), keys<GrpoStageSpec>({ ...common, ...sampling, steps: true, promptsPerStep: true, groupSize: true, learningRate: true, beta: true, refModelSyncSteps: true, refModelMixupAlpha: true, clipEpsilon: true, updatesPerBatch: true, reward: true, judge: true, trainUnderstanding: true, understandingWeight: true, understandingMinReward: true, understandingAnchor: true, understandingDistill: true, generationAdapter: true, generationAttentionAdapter: true, generationExpert: true, generationExpertPrompt: true, answerTemperature: true, policySteps: true, curriculumCandidates: true, scaleRewards: true, rewardTags: true, unjudgedBeta: true, judgedShare: true, gradClip: true, samplesEvery: true, checkpointEvery: true, keepEvery: true, logEvery: true }));
    assert.deepEqual(props('geneval'), keys<GenevalStageSpec>({ ...common, ...sampling, generator: true, metadata: true, limit: true, imagesPerPrompt: true, checkpointEvery: true, samplesEvery: true }));
    assert.deepEqual(props('sample'), keys<SampleStageSpec>({ ...common, ...sampling, prompts: true, imagesPerPrompt: true }));
    const top = (runSchema as unknown as Schema).properties!;
    assert.deepEqual(Object.keys(top).sort(), keys<RunSpec>({ $schema: true, name: true, description: true, seed: true, world: true, model: true, backend: true, heldOut: true, stages: true }));
    assert.deepEqual(Object.keys(top['model']!.properties!).sort(), keys<ModelSpec>({ checkpoint: true, paradigm: true, architecture: true }));
  });

  it('takes its pretraining, model and backend defaults from the code that uses them', () => {
    const pre = defs['pretrain']!.properties!;
    const d = (k: string): unknown => pre[k]!.default;
    assert.deepEqual(
      { steps: d('steps'), batchSize: d('batchSize'), lr: d('learningRate'), minLr: d('minLearningRate'), warmup: d('warmupSteps'), weightDecay: d('weightDecay'), gradClip: d('gradClip'), dropPrompt: d('condDropout'), understandingWeight: d('understandingWeight'), countShare: d('countShare'), variedCountShare: d('variedCountShare'), variedCountBroken: d('variedCountBroken'), colorRelationShare: d('colorRelationShare'), colorRelationUnderstandingShare: d('colorRelationUnderstandingShare'), answerDropout: d('answerDropout'), logEvery: d('logEvery'), checkpointEvery: d('checkpointEvery') },
      // The seed is the spec's own, shared by every stage; the understanding batch defaults to batchSize.
      Object.fromEntries(Object.entries(DEFAULT_PRETRAIN).filter(([k]) => k !== 'seed' && k !== 'understandingBatchSize')),
    );
    assert.equal(DEFAULT_PRETRAIN.understandingBatchSize, DEFAULT_PRETRAIN.batchSize);
    const arch = (runSchema as unknown as Schema).properties!['model']!.properties!['architecture']!.properties!;
    assert.deepEqual(Object.fromEntries(Object.entries(arch).map(([k, v]) => [k, v.default])), { dim: DEFAULT_MODEL.dim, layers: DEFAULT_MODEL.layers, heads: DEFAULT_MODEL.heads, mlpRatio: DEFAULT_MODEL.mlpRatio, patch: DEFAULT_MODEL.patch, bidirectionalImage: false });
    assert.deepEqual((runSchema as unknown as Schema).properties!['backend']!.enum, [...BACKEND_CHOICES]);
  });

  it('takes its SFT defaults from the SFT loop\'s', () => {
    const f = defaultSft('masked');
    const d = (k: string): unknown => defs['sft']!.properties![k]!.default;
    assert.deepEqual(
      { steps: d('steps'), promptsPerStep: d('promptsPerStep'), imagesPerPrompt: d('imagesPerPrompt'), lr: d('learningRate'), tau: d('gumbelTemperature'), gradientSteps: d('gradientSteps'), generationWeight: d('generationWeight'), accept: d('accept'), trainUnderstanding: d('trainUnderstanding'), gradClip: d('gradClip'), logEvery: d('logEvery'), checkpointEvery: d('checkpointEvery'), samplesEvery: d('samplesEvery') },
      { steps: f.steps, promptsPerStep: f.promptsPerStep, imagesPerPrompt: f.imagesPerPrompt, lr: f.lr, tau: f.tau, gradientSteps: f.gradientSteps, generationWeight: f.generationWeight, accept: f.accept, trainUnderstanding: f.trainUnderstanding, gradClip: f.gradClip, logEvery: f.logEvery, checkpointEvery: f.checkpointEvery, samplesEvery: f.samplesEvery },
    );
  });

  it('takes its GRPO defaults from the GRPO loop\'s', () => {
    const g = defaultGrpo('masked');
    const d = (k: string): unknown => defs['grpo']!.properties![k]!.default;
    assert.deepEqual(
      { steps: d('steps'), promptsPerStep: d('promptsPerStep'), groupSize: d('groupSize'), lr: d('learningRate'), beta: d('beta'), refModelSyncSteps: d('refModelSyncSteps'), refModelMixupAlpha: d('refModelMixupAlpha'), clipEps: d('clipEpsilon'), updatesPerBatch: d('updatesPerBatch'), reward: d('reward'), judge: d('judge'), trainUnderstanding: d('trainUnderstanding'), understandingWeight: d('understandingWeight'), answerTemperature: d('answerTemperature'), policySteps: d('policySteps'), curriculumCandidates: d('curriculumCandidates'), scaleRewards: d('scaleRewards'), gradClip: d('gradClip'), logEvery: d('logEvery'), checkpointEvery: d('checkpointEvery'), samplesEvery: d('samplesEvery') },
      { steps: g.steps, promptsPerStep: g.promptsPerStep, groupSize: g.groupSize, lr: g.lr, beta: g.beta, refModelSyncSteps: g.refModelSyncSteps, refModelMixupAlpha: g.refModelMixupAlpha, clipEps: g.clipEps, updatesPerBatch: g.updatesPerBatch, reward: g.reward, judge: g.judge, trainUnderstanding: g.trainUnderstanding, understandingWeight: g.understandingWeight, answerTemperature: g.answerTemperature, policySteps: g.policySteps, curriculumCandidates: g.curriculumCandidates, scaleRewards: g.scaleRewards, gradClip: g.gradClip, logEvery: g.logEvery, checkpointEvery: g.checkpointEvery, samplesEvery: g.samplesEvery },
    );
  });

  it('sets the paper\'s GRPO defaults: group size 8, beta 0.2', () => {
    assert.equal(defs['grpo']!.properties!['groupSize']!.default, 8);
    assert.equal(defs['grpo']!.properties!['beta']!.default, 0.2);
  });
});

describe('validateSpec: the schema layer', () => {
  it('accepts a minimal spec and fills in every default, without touching the caller\'s object', () => {
    const input = structuredClone(truth);
    const { problems, spec } = validateSpec(input, memoryContext({}));
    assert.deepEqual(problems, []);
    assert.deepEqual(input, truth);
    assert.equal(spec!.seed, 0);
    assert.deepEqual(spec!.world, { canvas: 32 });
    const stage = spec!.stages[0] as GenevalStageSpec;
    assert.equal(stage.imagesPerPrompt, 4);
    assert.equal(stage.checkpointEvery, 25);
    assert.deepEqual(stage.sampling, {}, 'sampling left to the paradigm\'s defaults');
  });

  it('points at the field and says what is wrong in words', () => {
    const found = messages({ name: 'has space', seed: -1, backend: 'gpu', stages: [{ kind: 'geneval', generator: 'truth', imagesPerPrompt: 'four', colour: 1 }], extra: true });
    assert.ok(found.some((m) => m.startsWith('error /name: "name" "has space" is not allowed: The run\'s name: letters, digits')), found.join('\n'));
    assert.ok(found.includes('error /seed: "seed" must be >= 0, got -1'), found.join('\n'));
    assert.ok(found.includes('error /backend: "backend" must be one of "auto", "tensorflow", "webgpu", "wasm", "cpu", got "gpu"'), found.join('\n'));
    assert.ok(found.includes('error /stages/0/imagesPerPrompt: "imagesPerPrompt" must be an integer, got "four"'), found.join('\n'));
    assert.ok(found.some((m) => m.startsWith('error /stages/0/colour: unknown field "colour" (allowed here: kind, name, generator')), found.join('\n'));
    assert.ok(found.some((m) => m.startsWith('error /extra: unknown field "extra"')), found.join('\n'));
    assert.deepEqual(messages({ stages: [] }), ['error : the spec is missing the required field "name"', 'error /stages: "stages" must have at least 1 items']);
    assert.deepEqual(messages({ name: 'x', stages: [{ kind: 'train' }] }), ['error /stages/0/kind: "kind" must be one of "pretrain", "sft", "grpo", "geneval", "sample", got "train"']);
  });

  it('reports JSON syntax errors with their line and column', () => {
    const found = messages('{\n  "name": "x",\n  "stages": [}\n');
    assert.equal(found.length > 0, true);
    assert.match(found[0]!, /^error : not valid JSON at line 3, column 14/);
  });

  it('refuses a spec nested thousands deep with one clear problem, as text and as a value, without overflowing the stack', () => {
    const deepText = `{"name": "x", "stages": ${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const deepValue = JSON.parse(`{"name": "x", "stages": [${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}]}`) as unknown;
    for (const input of [deepText, `{"a": ${'['.repeat(100000)}`, deepValue]) {
      assert.deepEqual(messages(input), ['error : nested more than 64 levels deep: not a run spec (a spec nests a few)']);
    }
    assert.deepEqual(pointerRange(deepText, '/stages/0'), { offset: 0, length: 0 });
    // Brackets inside strings are text, not nesting.
    assert.deepEqual(messages({ name: 'x', stages: [{ kind: 'geneval', generator: 'truth', metadata: '['.repeat(100) }] }).filter((m) => /nested/.test(m)), []);
  });

  it('maps a pointer to the text an editor should underline', () => {
    const text = '{\n  "name": "x",\n  "stages": [\n    { "kind": "grpo", "groupSize": 1 }\n  ]\n}\n';
    const { offset, length } = pointerRange(text, '/stages/0/groupSize');
    assert.equal(text.slice(offset, offset + length), '"groupSize": 1');
    // A field that is absent (a default) lands on its nearest parent.
    const parent = pointerRange(text, '/stages/0/beta');
    assert.equal(text.slice(parent.offset, parent.offset + parent.length), '{ "kind": "grpo", "groupSize": 1 }');
  });
});

describe('validateSpec: the semantic rules', () => {
  it('accepts every stage kind of this version, and asks the registry which configurations run', () => {
    assert.deepEqual([...AVAILABLE_STAGE_KINDS].sort(), ['geneval', 'grpo', 'pretrain', 'sample', 'sft']);
    const spec = { name: 'x', model: { checkpoint: 'm.safetensors' }, stages: [{ kind: 'sft' }, { kind: 'grpo' }, { kind: 'sample', prompts: ['a photo of a ring'] }, { kind: 'geneval' }] };
    assert.deepEqual(messages(spec, memoryContext({ '/ws/m.safetensors': '' })), []);
    // Pretraining needs a model description.
    assert.deepEqual(messages({ name: 'x', model: {}, stages: [{ kind: 'pretrain', steps: 1000 }, { kind: 'grpo' }] }), []);
    assert.deepEqual(messages({ name: 'x', stages: [{ kind: 'pretrain', steps: 1000 }] }), ['error /stages/0/kind: a pretrain stage needs model.paradigm and model.architecture (add a "model" object; its defaults are a masked model)']);
  });

  it('checks numbers against each other', () => {
    const found = messages({
      name: 'x',
      world: { canvas: 32 },
      model: { checkpoint: 'm.safetensors', architecture: { dim: 100, heads: 8, patch: 5 } },
      stages: [
        { kind: 'grpo', groupSize: 1, steps: 50 },
        { kind: 'pretrain', steps: 10, warmupSteps: 20, learningRate: 0.001, minLearningRate: 0.01 },
        { kind: 'sft', accept: 'self_likelihood_best', imagesPerPrompt: 1, steps: 50 },
        { kind: 'sft', trainUnderstanding: false, generationWeight: 0, steps: 50 },
        { kind: 'grpo', reward: 'detector', judge: 'base', steps: 50 },
        { kind: 'grpo', unjudgedBeta: 1, steps: 50 },
        { kind: 'grpo', unjudgedBeta: 1, rewardTags: ['colors'], steps: 50 },
        { kind: 'grpo', judgedShare: 0.75, steps: 50 },
        { kind: 'grpo', judgedShare: 0.1, rewardTags: ['colors'], promptsPerStep: 4, steps: 50 },
        { kind: 'grpo', judgedShare: 0.5, rewardTags: ['single_object', 'two_object', 'counting', 'colors', 'position', 'color_attr'], promptsPerStep: 4, steps: 50 },
        { kind: 'grpo', judgedShare: 0.75, rewardTags: ['colors'], promptsPerStep: 4, steps: 50 },
        { kind: 'grpo', understandingMinReward: 0.8, trainUnderstanding: false, steps: 50 },
        { kind: 'grpo', understandingMinReward: 0.8, trainUnderstanding: true, steps: 50 },
        { kind: 'grpo', generationAttentionAdapter: 8, trainUnderstanding: true, understandingDistill: 1, steps: 50 },
        { kind: 'grpo', generationAdapter: 64, trainUnderstanding: false, understandingDistill: 0, steps: 50 },
        { kind: 'grpo', generationExpert: true, generationAdapter: 64, understandingAnchor: 0.1, trainUnderstanding: false, steps: 50 },
        { kind: 'grpo', generationExpert: true, trainUnderstanding: false, steps: 50 },
        { kind: 'grpo', generationExpertPrompt: true, trainUnderstanding: false, steps: 50 },
      ],
    }, memoryContext({ '/ws/m.safetensors': '' }));
    assert.ok(found.includes('error /stages/2/imagesPerPrompt: accept "self_likelihood_best" keeps the best of each prompt\'s images, so imagesPerPrompt must be at least 2 (got 1)'), found.join('\n'));
    assert.ok(found.includes('warning /stages/4/judge: judge "base" chooses who answers for a self reward, but reward "detector" is the detector\'s: the setting has no effect'), found.join('\n'));
    assert.ok(!found.some((m) => m.startsWith('warning /stages/0/judge')), found.join('\n'));
    assert.ok(found.includes('error /stages/5/unjudgedBeta: unjudgedBeta holds the prompts of tags outside rewardTags, but rewardTags is not set: every tag is judged, and nothing would be held'), found.join('\n'));
    assert.ok(!found.some((m) => m.startsWith('error /stages/6/')), found.join('\n'));
    assert.ok(found.includes('error /stages/7/judgedShare: judgedShare splits each step\'s prompts between the tags rewardTags judges and the others, but rewardTags is not set'), found.join('\n'));
    assert.ok(found.includes('error /stages/8/judgedShare: judgedShare 0.1 of 4 prompts a step rounds to no judged prompt: no step would carry a reward'), found.join('\n'));
    assert.ok(found.includes('error /stages/9/judgedShare: judgedShare 0.5 leaves 2 prompt(s) a step to the unjudged tags, but rewardTags judges every tag'), found.join('\n'));
    assert.ok(!found.some((m) => m.startsWith('error /stages/10/')), found.join('\n'));
    assert.ok(found.includes('error /stages/11/understandingMinReward: understandingMinReward chooses the own images understanding is trained on, but trainUnderstanding is false: nothing would be trained'), found.join('\n'));
    assert.ok(!found.some((m) => m.startsWith('error /stages/12/')), found.join('\n'));
    assert.ok(found.includes('error /stages/13/trainUnderstanding: training generation alone (generationAdapter, generationAttentionAdapter, generationExpert) keeps the reader\'s weights frozen, so trainUnderstanding would train nothing: turn it off'), found.join('\n'));
    assert.ok(found.includes('error /stages/13/understandingDistill: training generation alone (generationAdapter, generationAttentionAdapter, generationExpert) keeps the reader\'s weights frozen, so understandingDistill would train nothing: turn it off'), found.join('\n'));
    assert.ok(!found.some((m) => m.startsWith('error /stages/14/')), found.join('\n'));
    assert.ok(found.includes('error /stages/15/understandingAnchor: training generation alone (generationAdapter, generationAttentionAdapter, generationExpert) keeps the reader\'s weights frozen, so understandingAnchor would train nothing: turn it off'), found.join('\n'));
    assert.ok(found.includes('error /stages/15/generationExpert: generationExpert gives image tokens their own copy of every block weight, so the generation adapters would add nothing it cannot learn: choose one'), found.join('\n'));
    assert.ok(!found.some((m) => m.startsWith('error /stages/16/')), found.join('\n'));
    assert.ok(found.includes('error /stages/17/generationExpertPrompt: generationExpertPrompt sends the prompt through the image expert, but generationExpert is false'), found.join('\n'));
    assert.ok(found.includes('error /stages/3/trainUnderstanding: trainUnderstanding is false and generationWeight is 0: the stage would train nothing'), found.join('\n'));
    assert.ok(found.includes('error /stages/0/groupSize: groupSize must be at least 2: GRPO normalises rewards within a group, and a group of 1 has no spread'), found.join('\n'));
    assert.ok(found.includes('error /stages/1/warmupSteps: warmupSteps (20) is more than steps (10)'), found.join('\n'));
    assert.ok(found.includes('error /stages/1/minLearningRate: minLearningRate (0.01) is above learningRate (0.001)'), found.join('\n'));
    assert.ok(found.includes('error /model/architecture/heads: heads (8) must divide dim (100)'), found.join('\n'));
    assert.ok(found.includes('error /model/architecture/patch: patch (5) must divide the canvas (32 px)'), found.join('\n'));
    assert.ok(found.includes('warning /stages/1/checkpointEvery: checkpointEvery (250) exceeds steps (10): only the final checkpoint is saved, so a crash loses the whole stage'), found.join('\n'));
  });

  it('checks that the checkpoint exists and that its card agrees on the paradigm', () => {
    const spec = { name: 'x', model: { checkpoint: 'models/base.safetensors', paradigm: 'masked' }, stages: [{ kind: 'geneval', generator: 'truth' }] };
    assert.ok(messages(spec).includes('error /model/checkpoint: checkpoint file not found: /ws/models/base.safetensors'));
    const files = { '/ws/models/base.safetensors': 'x', '/ws/models/base.json': JSON.stringify({ paradigm: 'autoregressive' }) };
    assert.ok(messages(spec, memoryContext(files)).includes('error /model/paradigm: the checkpoint\'s card says paradigm "autoregressive" but the spec says "masked"'));
    // Left out, the paradigm is the card's (the schema's default, masked, is for pretraining).
    const { model: _given, ...rest } = spec;
    const implicit = validateSpec({ ...rest, model: { checkpoint: 'models/base.safetensors' } }, memoryContext(files));
    assert.ok(implicit.problems.every((p) => p.severity === 'warning'), JSON.stringify(implicit.problems));
    assert.equal(implicit.spec?.model?.paradigm, 'autoregressive');
  });

  it('requires a model for stages that generate with one', () => {
    const found = messages({ name: 'x', stages: [{ kind: 'geneval', generator: 'model' }] });
    assert.ok(found.includes('error /stages/0/kind: this geneval stage needs a model: set model.checkpoint, or put a pretrain stage before it'), found.join('\n'));
  });

  it('parses the held-out and metadata files and names the bad line', () => {
    const good = JSON.stringify({ tag: 'single_object', include: [{ class: 'ring', count: 1 }], prompt: 'a photo of a ring' });
    const coco = JSON.stringify({ tag: 'single_object', include: [{ class: 'dog', count: 1 }], prompt: 'a photo of a dog' });
    const files = { '/ws/held.jsonl': `${good}\n${coco}\n`, '/ws/meta.jsonl': `${good}\n` };
    const found = messages({ name: 'x', heldOut: 'held.jsonl', stages: [{ kind: 'geneval', generator: 'truth', metadata: 'meta.jsonl', limit: 5 }] }, memoryContext(files));
    assert.ok(found.some((m) => m.startsWith('error /heldOut: held.jsonl:2: include[0]: class "dog" is not a class of the shapes world')), found.join('\n'));
    assert.ok(found.includes('warning /stages/0/limit: limit 5 is more than the 1 prompts of the metadata file'), found.join('\n'));
    assert.ok(messages({ name: 'x', stages: [{ kind: 'geneval', generator: 'truth', metadata: 'missing.jsonl' }] }).includes('error /stages/0/metadata: metadata file not found or not readable: /ws/missing.jsonl'));
  });

  it('keeps paths inside the workspace when one is given', () => {
    const found = messages({ name: 'x', heldOut: '../../etc/passwd', stages: [{ kind: 'geneval', generator: 'truth' }] }, memoryContext({}, { workspaceRoot: '/ws' }));
    assert.deepEqual(found, ['error /heldOut: path "../../etc/passwd" leaves the workspace (/ws)']);
  });

  it('returns the normalised spec only when there is no error (warnings pass)', () => {
    const withWarning = validateSpec({ name: 'x', model: { checkpoint: 'm.safetensors' }, stages: [{ kind: 'geneval', generator: 'truth' }] }, memoryContext({ '/ws/m.safetensors': '' }));
    assert.deepEqual(withWarning.problems.map((p) => p.severity), ['warning']);
    assert.ok(withWarning.spec);
    assert.equal(validateSpec({ name: 'x', stages: [{ kind: 'grpo' }] }, memoryContext({})).spec, undefined);
  });
});

describe('the example specs', () => {
  const dir = path.join(import.meta.dirname, '../../examples');
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.unirl.json'))) {
    it(`${file} validates without errors against the committed models and prompt files`, () => {
      const { problems } = validateSpec(fs.readFileSync(path.join(dir, file), 'utf8'), nodeContext(dir));
      assert.deepEqual(problems.filter((p) => p.severity === 'error'), []);
    });
  }
});
