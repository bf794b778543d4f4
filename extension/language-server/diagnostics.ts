/**
 * Diagnostics of a run spec: the daemon's own validator (daemon/spec), so the editor, the CLI and
 * `runs/submit` never disagree, with each problem's JSON pointer mapped to the text it names.
 */
import { parse, type ParseError } from 'jsonc-parser';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import type { SpecProblem } from '../../schemas/protocol';
import { MAX_SPEC_DEPTH, pointerRange, schemaProblems, textNestingDepth, validateSpec, type ValidationContext } from '../../daemon/spec';
import { fixFor, type Fix } from './fixes';

export const SOURCE = 'unirl';

/** Carried in `Diagnostic.data` from the diagnostic to its code action. */
export interface DiagnosticData {
  pointer: string;
  fix?: Fix;
}

export interface DiagnoseOptions {
  /** Report syntax and schema errors too (false when VS Code's JSON extension reports them). */
  schemaLayer: boolean;
}

export function diagnose(document: TextDocument, context: ValidationContext, options: DiagnoseOptions): Diagnostic[] {
  const text = document.getText();
  // Refused before any parser sees it (they recurse): one problem, at the start of the file.
  if (textNestingDepth(text) > MAX_SPEC_DEPTH) return validateSpec(text, context).problems.map((p) => toDiagnostic(document, p, { offset: 0, length: 1 }, undefined));
  const parseErrors: ParseError[] = [];
  const value: unknown = parse(text, parseErrors, { allowTrailingComma: false, disallowComments: true });
  const { problems } = validateSpec(text, context);
  if (parseErrors.length > 0) {
    if (!options.schemaLayer) return [];
    // validateSpec words the same parse errors in the same order; jsonc-parser knows where they are.
    return problems.map((p, i) => {
      const at = parseErrors[i];
      return toDiagnostic(document, p, at ? { offset: at.offset, length: Math.max(at.length, 1) } : pointerRange(text, p.pointer), value);
    });
  }
  if (!options.schemaLayer && isSchemaLayer(value)) return [];
  return problems.map((p) => toDiagnostic(document, p, pointerRange(text, p.pointer), value));
}

/** Whether validateSpec stopped at the schema (it runs the semantic rules only on a schema-valid spec). */
function isSchemaLayer(value: unknown): boolean {
  return schemaProblems(value === undefined ? undefined : structuredClone(value)).length > 0;
}

function toDiagnostic(document: TextDocument, problem: SpecProblem, at: { offset: number; length: number }, spec: unknown): Diagnostic {
  const fix = fixFor(problem, spec);
  const data: DiagnosticData = fix ? { pointer: problem.pointer, fix } : { pointer: problem.pointer };
  return {
    range: { start: document.positionAt(at.offset), end: document.positionAt(at.offset + at.length) },
    severity: problem.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    source: SOURCE,
    message: problem.message,
    data,
  };
}
