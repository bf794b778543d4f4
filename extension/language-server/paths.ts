/**
 * Completion of the spec's file fields: checkpoints (*.safetensors) for model.checkpoint, prompt
 * files (*.jsonl, GenEval metadata) for heldOut and a geneval stage's metadata. Paths are written
 * relative to the spec's folder, as the validator and the daemon resolve them.
 */
import * as path from 'node:path';
import { getLocation, type JSONPath } from 'jsonc-parser';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { CompletionItemKind, type CompletionItem, type Position, type Range } from 'vscode-languageserver';
import { MAX_SPEC_DEPTH, textNestingDepth } from '../../daemon/spec';
import type { WorkspaceFiles } from './workspace-files';

interface PathField {
  matches(at: JSONPath): boolean;
  suffixes: readonly string[];
  what: string;
}

const PATH_FIELDS: readonly PathField[] = [
  { matches: (p) => p.length === 2 && p[0] === 'model' && p[1] === 'checkpoint', suffixes: ['.safetensors'], what: 'checkpoint' },
  { matches: (p) => p.length === 1 && p[0] === 'heldOut', suffixes: ['.jsonl'], what: 'prompt file' },
  {
    matches: (p) => p.length === 3 && p[0] === 'stages' && typeof p[1] === 'number' && p[2] === 'metadata',
    suffixes: ['.jsonl'],
    what: 'prompt file',
  },
];

export function pathCompletions(document: TextDocument, position: Position, specPath: string, files: WorkspaceFiles): CompletionItem[] {
  const offset = document.offsetAt(position);
  const text = document.getText();
  if (textNestingDepth(text) > MAX_SPEC_DEPTH) return [];
  const location = getLocation(text, offset);
  if (location.isAtPropertyKey) return [];
  const field = PATH_FIELDS.find((f) => f.matches(location.path));
  if (!field) return [];
  const previous = location.previousNode;
  // Inside a string: replace it whole (quotes included); after the colon: insert a new one.
  const range: Range =
    previous?.type === 'string' && previous.offset <= offset && offset <= previous.offset + previous.length
      ? { start: document.positionAt(previous.offset), end: document.positionAt(previous.offset + previous.length) }
      : { start: position, end: position };
  const specDir = path.dirname(specPath);
  return files.find(field.suffixes).map((file, i) => {
    const relative = path.relative(specDir, file).split(path.sep).join('/');
    const text = JSON.stringify(relative);
    return {
      label: relative,
      kind: CompletionItemKind.File,
      detail: field.what,
      filterText: text,
      sortText: String(i).padStart(6, '0'),
      textEdit: { range, newText: text },
    };
  });
}
