/**
 * Quick fixes: a problem whose repair is obvious carries the value to write (computed when the
 * diagnostic is made, from the spec itself), and the code action replaces the offending value.
 * To add one: a case in `fixFor` keyed on the field the problem points at.
 */
import { findNodeAtLocation, parseTree } from 'jsonc-parser';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { CodeActionKind, type CodeAction, type Diagnostic } from 'vscode-languageserver';
import type { SpecProblem } from '../../schemas/protocol';
import { MAX_SPEC_DEPTH, pointerTokens, textNestingDepth } from '../../daemon/spec';

export interface Fix {
  title: string;
  /** The value to write at the problem's pointer. */
  value: unknown;
}

export function fixFor(problem: SpecProblem, spec: unknown): Fix | undefined {
  const tokens = pointerTokens(problem.pointer);
  if (tokens.length !== 3 || tokens[0] !== 'stages' || problem.severity !== 'error') return undefined;
  const stage = at(spec, tokens.slice(0, 2));
  const written = at(spec, tokens);
  if (written === undefined || typeof stage !== 'object' || stage === null) return undefined;
  const fields = stage as Record<string, unknown>;
  switch (tokens[2]) {
    case 'groupSize':
      return { title: 'Set groupSize to 2 (the smallest group with a spread)', value: 2 };
    case 'warmupSteps':
      return typeof fields['steps'] === 'number' ? { title: `Set warmupSteps to steps (${fields['steps']})`, value: fields['steps'] } : undefined;
    case 'minLearningRate':
      return typeof fields['learningRate'] === 'number'
        ? { title: `Set minLearningRate to learningRate (${fields['learningRate']})`, value: fields['learningRate'] }
        : undefined;
    default:
      return undefined;
  }
}

function at(value: unknown, tokens: string[]): unknown {
  let node = value;
  for (const t of tokens) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[t];
  }
  return node;
}

/** Code actions for the diagnostics in a request that carry a fix. */
export function codeActions(document: TextDocument, diagnostics: Diagnostic[]): CodeAction[] {
  const text = document.getText();
  const root = textNestingDepth(text) > MAX_SPEC_DEPTH ? undefined : parseTree(text);
  if (!root) return [];
  const actions: CodeAction[] = [];
  for (const diagnostic of diagnostics) {
    const data = diagnostic.data as { pointer?: unknown; fix?: Partial<Fix> } | undefined;
    if (typeof data?.pointer !== 'string' || typeof data.fix?.title !== 'string' || !('value' in data.fix)) continue;
    const path = pointerTokens(data.pointer).map((t) => (/^\d+$/.test(t) ? Number(t) : t));
    const node = findNodeAtLocation(root, path);
    if (!node) continue;
    actions.push({
      title: data.fix.title,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      isPreferred: true,
      edit: {
        changes: {
          [document.uri]: [
            {
              range: { start: document.positionAt(node.offset), end: document.positionAt(node.offset + node.length) },
              newText: JSON.stringify(data.fix.value),
            },
          ],
        },
      },
    });
  }
  return actions;
}
