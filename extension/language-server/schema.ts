/**
 * The schema part, through vscode-json-languageservice: which schema node (after if/then, allOf
 * and $ref) governs the value under the cursor, for hovers; field and enum completion when VS
 * Code's JSON extension is not there to give them.
 */
import { getLanguageService, type ASTNode, type JSONSchema, type LanguageService } from 'vscode-json-languageservice';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { MarkupKind, type CompletionItem, type Hover, type Position } from 'vscode-languageserver';
import runSchema from '../../schemas/unirl-run.schema.json';

const SCHEMA: JSONSchema = runSchema;

export function schemaService(): LanguageService {
  const service = getLanguageService({});
  service.configure({
    validate: false,
    allowComments: false,
    schemas: [{ uri: 'unirl:/schemas/unirl-run.schema.json', fileMatch: ['*.unirl.json'], schema: SCHEMA }],
  });
  return service;
}

/** Completion of field names and enum values from the schema. */
export async function schemaCompletions(service: LanguageService, document: TextDocument, position: Position): Promise<CompletionItem[]> {
  const list = await service.doComplete(document, position, service.parseJSONDocument(document));
  return list?.items ?? [];
}

/**
 * What the schema says about the field under the cursor (on its name or its value): its
 * description (unless another provider already shows it), default, range and allowed values.
 */
export async function schemaHover(service: LanguageService, document: TextDocument, position: Position, withDescription: boolean): Promise<Hover | null> {
  const json = service.parseJSONDocument(document);
  const hit = json.getNodeFromOffset(document.offsetAt(position));
  if (!hit) return null;
  const property = hit.type === 'property' ? hit : hit.parent?.type === 'property' ? hit.parent : undefined;
  const node: ASTNode | undefined = property ? property.valueNode : hit;
  if (!node) return null;
  const schemas = (await service.getMatchingSchemas(document, json, SCHEMA)).filter((m) => m.node === node).map((m) => m.schema);
  if (schemas.length === 0) return null;

  const first = <K extends keyof JSONSchema>(key: K): JSONSchema[K] | undefined => schemas.find((s) => s[key] !== undefined)?.[key];
  const facts: string[] = [];
  const fallback: unknown = first('default');
  if (fallback !== undefined) facts.push(`Default: \`${JSON.stringify(fallback)}\``);
  const range = rangeText(first('minimum'), first('maximum'), first('exclusiveMinimum'), first('exclusiveMaximum'));
  if (range) facts.push(`Range: ${range}`);
  const allowed = first('enum');
  if (allowed) facts.push(`One of: ${allowed.map((v) => `\`${JSON.stringify(v)}\``).join(', ')}`);
  const description = withDescription ? first('description') : undefined;
  if (facts.length === 0 && !description) return null;

  const name = property ? property.keyNode.value : undefined;
  const type = first('type');
  const heading = name !== undefined ? `**${name}**${typeof type === 'string' ? ` (${type})` : ''}` : undefined;
  const parts = [heading, description, facts.join(' · ')].filter((p): p is string => p !== undefined && p !== '');
  return {
    contents: { kind: MarkupKind.Markdown, value: parts.join('\n\n') },
    range: { start: document.positionAt(node.offset), end: document.positionAt(node.offset + node.length) },
  };
}

function rangeText(min: unknown, max: unknown, exclusiveMin: unknown, exclusiveMax: unknown): string | undefined {
  const low = typeof min === 'number' ? `${min}` : typeof exclusiveMin === 'number' ? `more than ${exclusiveMin}` : undefined;
  const high = typeof max === 'number' ? `${max}` : typeof exclusiveMax === 'number' ? `less than ${exclusiveMax}` : undefined;
  if (low !== undefined && high !== undefined) return typeof min === 'number' && typeof max === 'number' ? `${low} to ${high}` : `${low}, ${high}`;
  if (low !== undefined) return typeof min === 'number' ? `at least ${low}` : low;
  if (high !== undefined) return typeof max === 'number' ? `at most ${high}` : high;
  return undefined;
}
