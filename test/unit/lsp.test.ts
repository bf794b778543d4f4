/**
 * The run-spec language server through a real LSP client over stdio: diagnostics from the
 * daemon's validator on the text each problem names, quick fixes, completion of workspace
 * checkpoints and prompt files, hovers from the schema.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiagnosticSeverity, type MarkupContent, type TextEdit } from 'vscode-languageserver-protocol';
import runSchema from '../../schemas/unirl-run.schema.json';
import { LspClient, messageOf, positionOf, slice } from './lsp-harness';
import { scratchDir } from '../scratch';

const root = scratchDir('lsp');
const specs = path.join(root, 'specs');
const promptLines = fs.readFileSync(path.resolve(import.meta.dirname, '../../examples/prompts/shapes-geneval.jsonl'), 'utf8').split('\n').slice(0, 3);

function write(rel: string, text: string): string {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

write('prompts/few.jsonl', `${promptLines.join('\n')}\n`);
write('models/base.safetensors', '');
write('models/nested/other.safetensors', '');
write('node_modules/pkg/hidden.safetensors', '');

const spec = (stage: string, extra = ''): string => `{\n  "name": "t",${extra}\n  "stages": [\n    ${stage}\n  ]\n}\n`;

/** Each bad spec, with what must be reported and the exact text it must underline. */
const BAD: { name: string; text: string; message: RegExp; underlined: string; severity?: DiagnosticSeverity }[] = [
  {
    name: 'a GRPO group of one',
    text: spec('{ "kind": "grpo", "groupSize": 1 }', '\n  "model": { "checkpoint": "../models/base.safetensors" },'),
    message: /groupSize must be at least 2/,
    underlined: '"groupSize": 1',
  },
  {
    name: 'a stage that needs a model and has none',
    text: spec('{ "kind": "geneval", "generator": "model" }'),
    message: /needs a model: set model.checkpoint/,
    underlined: '"kind": "geneval"',
  },
  {
    name: 'a prompt file that does not exist',
    text: spec('{ "kind": "geneval", "generator": "truth", "metadata": "../prompts/missing.jsonl" }'),
    message: /metadata file not found/,
    underlined: '"metadata": "../prompts/missing.jsonl"',
  },
  {
    name: 'a path that leaves the workspace',
    text: spec('{ "kind": "geneval", "generator": "truth", "metadata": "../../outside.jsonl" }'),
    message: /leaves the workspace/,
    underlined: '"metadata": "../../outside.jsonl"',
  },
  {
    name: 'an unknown field (schema)',
    text: spec('{ "kind": "geneval", "generator": "truth", "colour": "red" }'),
    message: /unknown field "colour"/,
    underlined: '"colour": "red"',
  },
  {
    name: 'a number out of range (schema)',
    text: spec('{ "kind": "geneval", "generator": "truth", "imagesPerPrompt": 0 }'),
    message: /"imagesPerPrompt" must be >= 1, got 0/,
    underlined: '"imagesPerPrompt": 0',
  },
  {
    name: 'a limit above the prompt count (a warning)',
    text: spec('{ "kind": "geneval", "generator": "truth", "metadata": "../prompts/few.jsonl", "limit": 10 }'),
    message: /limit 10 is more than the 3 prompts/,
    underlined: '"limit": 10',
    severity: DiagnosticSeverity.Warning,
  },
];

describe('language server: diagnostics', () => {
  let client: LspClient;
  before(async () => (client = await LspClient.start(root)));
  after(async () => client.stop());

  for (const [i, bad] of BAD.entries()) {
    it(`underlines ${bad.name}`, async () => {
      const diagnostics = await client.open(path.join(specs, `bad-${i}.unirl.json`), bad.text);
      const found = diagnostics.find((d) => bad.message.test(messageOf(d)));
      assert.ok(found, `expected ${String(bad.message)} among:\n${diagnostics.map(messageOf).join('\n')}`);
      assert.equal(slice(bad.text, found.range), bad.underlined);
      assert.equal(found.severity, bad.severity ?? DiagnosticSeverity.Error);
      assert.equal(found.source, 'unirl');
    });
  }

  it('reports a spec nested thousands deep once, at its start, and keeps serving', async () => {
    const text = `{"name": "t", "stages": ${'['.repeat(20000)}`;
    const diagnostics = await client.open(path.join(specs, 'deep.unirl.json'), text);
    assert.deepEqual(diagnostics.map(messageOf), ['nested more than 64 levels deep: not a run spec (a spec nests a few)']);
    assert.deepEqual(diagnostics[0]!.range, { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } });
    const fine = await client.open(path.join(specs, 'after-deep.unirl.json'), spec('{ "kind": "geneval", "generator": "truth" }'));
    assert.deepEqual(fine, []);
  });

  it('puts a syntax error where the parser stopped', async () => {
    const text = '{\n  "name": "t",\n  "stages": [}\n';
    const [first] = await client.open(path.join(specs, 'syntax.unirl.json'), text);
    assert.ok(first);
    assert.match(messageOf(first), /not valid JSON at line 3, column 14/);
    assert.deepEqual(first.range.start, { line: 2, character: 13 });
  });

  it('clears the diagnostics when an edit fixes the spec', async () => {
    const file = path.join(specs, 'edit.unirl.json');
    const bad = spec('{ "kind": "geneval", "generator": "truth", "imagesPerPrompt": 0 }');
    assert.equal((await client.open(file, bad)).length, 1);
    assert.deepEqual(await client.change(file, bad.replace('"imagesPerPrompt": 0', '"imagesPerPrompt": 2')), []);
  });

  it('offers a quick fix whose edit removes the problem', async () => {
    const file = path.join(specs, 'fix.unirl.json');
    const text = spec('{ "kind": "pretrain", "steps": 10, "warmupSteps": 50 }', '\n  "model": {},');
    const diagnostics = (await client.open(file, text)).filter((d) => /warmupSteps/.test(messageOf(d)));
    assert.equal(diagnostics.length, 1);
    const [action] = await client.codeActions(file, diagnostics);
    assert.ok(action?.edit?.changes, 'a quick fix with an edit');
    assert.match(action.title, /Set warmupSteps to steps \(10\)/);
    const edits = Object.values(action.edit.changes)[0]!;
    const fixed = applyEdits(text, edits);
    assert.match(fixed, /"warmupSteps": 10/);
    const after = await client.change(file, fixed);
    assert.deepEqual(after.filter((d) => /warmupSteps/.test(messageOf(d))), []);
  });
});

describe('language server: beside VS Code\'s JSON extension', () => {
  let client: LspClient;
  before(async () => (client = await LspClient.start(root, { jsonLanguageFeatures: true })));
  after(async () => client.stop());

  it('leaves syntax and schema errors to it and still reports the rules the schema cannot say', async () => {
    assert.deepEqual(await client.open(path.join(specs, 'j-syntax.unirl.json'), '{ "name": '), []);
    assert.deepEqual(await client.open(path.join(specs, 'j-schema.unirl.json'), BAD[4]!.text), []);
    const semantic = await client.open(path.join(specs, 'j-semantic.unirl.json'), BAD[2]!.text);
    assert.equal(semantic.length, 1);
    assert.match(messageOf(semantic[0]!), /metadata file not found/);
  });

  it('shows default and range but not the description (the JSON extension shows it)', async () => {
    const file = path.join(specs, 'j-hover.unirl.json');
    const text = spec('{ "kind": "geneval", "generator": "truth" }', '\n  "seed": 3,');
    await client.open(file, text);
    const hover = await client.hover(file, positionOf(text, '"seed"', 2));
    const value = (hover?.contents as MarkupContent).value;
    assert.match(value, /Default: `0`/);
    assert.ok(!value.includes(runSchema.properties.seed.description));
  });
});

describe('language server: completion and hover', () => {
  let client: LspClient;
  before(async () => (client = await LspClient.start(root)));
  after(async () => client.stop());

  it('completes checkpoints in the workspace, relative to the spec, replacing the string', async () => {
    const file = path.join(specs, 'complete.unirl.json');
    const text = spec('{ "kind": "geneval", "generator": "truth" }', '\n  "model": { "checkpoint": "" },');
    await client.open(file, text);
    const items = await client.completion(file, positionOf(text, '"checkpoint": ""', 15));
    assert.deepEqual(items.map((i) => i.label), ['../models/base.safetensors', '../models/nested/other.safetensors']);
    const edit = items[0]!.textEdit as TextEdit;
    assert.equal(slice(text, edit.range), '""');
    assert.equal(edit.newText, '"../models/base.safetensors"');
  });

  it('completes prompt files for a geneval stage\'s metadata', async () => {
    const file = path.join(specs, 'complete-meta.unirl.json');
    const text = spec('{ "kind": "geneval", "generator": "truth", "metadata": "../p" }');
    await client.open(file, text);
    const items = await client.completion(file, positionOf(text, '"../p"', 4));
    assert.deepEqual(items.map((i) => i.label), ['../prompts/few.jsonl']);
  });

  it('completes field names from the schema of the stage kind', async () => {
    const file = path.join(specs, 'complete-field.unirl.json');
    const text = spec('{ "kind": "geneval",  }');
    await client.open(file, text);
    const labels = (await client.completion(file, positionOf(text, '"geneval", ', 11))).map((i) => i.label);
    for (const field of Object.keys(runSchema.definitions.geneval.properties).filter((f) => f !== 'kind')) assert.ok(labels.includes(field), `${field} in ${labels.join(', ')}`);
    assert.ok(!labels.includes('groupSize'), 'no fields of other stage kinds');
  });

  it('shows description, default and range of the field under the cursor, for its stage kind', async () => {
    const file = path.join(specs, 'hover.unirl.json');
    const text = spec('{ "kind": "grpo", "groupSize": 4 }', '\n  "seed": 3,');
    await client.open(file, text);
    const seed = runSchema.properties.seed;
    const onKey = ((await client.hover(file, positionOf(text, '"seed"', 2)))?.contents as MarkupContent).value;
    assert.ok(onKey.includes(seed.description), onKey);
    assert.ok(onKey.includes(`Default: \`${seed.default}\``), onKey);
    assert.ok(onKey.includes(`Range: ${seed.minimum} to ${seed.maximum}`), onKey);
    const group = runSchema.definitions.grpo.properties.groupSize;
    const onValue = ((await client.hover(file, positionOf(text, '4 }')))?.contents as MarkupContent).value;
    assert.ok(onValue.includes(group.description), onValue);
    assert.ok(onValue.includes(`Range: ${group.minimum} to ${group.maximum}`), onValue);
  });
});

function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }): number => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  return [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start)).reduce((t, e) => t.slice(0, offset(e.range.start)) + e.newText + t.slice(offset(e.range.end)), text);
}
