import { readTextFile } from '../util/fsx';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { nodeContext, pointerRange, validateSpec } from '../spec';
import { UsageError, type Command } from './command';

/** 1-based line and column of an offset, as editors and compilers print them. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${(before[before.length - 1]?.length ?? 0) + 1}`;
}

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check run specs (*.unirl.json): schema, then the rules the schema cannot say',
  help: `unirl validate SPEC... [--json]

Checks each spec against schemas/unirl-run.schema.json, then the semantic rules (files exist,
stage kinds available in this version, numbers consistent). Prints one line per problem:
  FILE:LINE:COLUMN: error|warning: /json/pointer: message
Exit code 1 when any spec has an error (warnings alone pass).
  --json   print {file, problems: [{pointer, message, severity, line, column}]} per spec`,
  run(args) {
    const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true, strict: true });
    if (positionals.length === 0) throw new UsageError('give at least one spec file');
    let errors = 0;
    for (const file of positionals) {
      const text = readTextFile(file);
      const { problems } = validateSpec(text, nodeContext(path.dirname(path.resolve(file))));
      errors += problems.filter((p) => p.severity === 'error').length;
      const located = problems.map((p) => {
        const [line, column] = lineColumn(text, pointerRange(text, p.pointer).offset).split(':').map(Number);
        return { ...p, line: line ?? 1, column: column ?? 1 };
      });
      if (values.json) process.stdout.write(`${JSON.stringify({ file, problems: located })}\n`);
      else if (located.length === 0) process.stdout.write(`${file}: ok\n`);
      else for (const p of located) process.stdout.write(`${file}:${p.line}:${p.column}: ${p.severity}: ${p.pointer || '/'}: ${p.message}\n`);
    }
    return Promise.resolve(errors > 0 ? 1 : 0);
  },
};
