/**
 * The run-spec language server (dist/language-server.js): started by the extension over IPC, by
 * tests over stdio. Diagnostics come from the daemon's validator, debounced per document.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CodeActionKind,
  createConnection,
  DidChangeWatchedFilesNotification,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { isInside, nodeContext, type ValidationContext } from '../../daemon/spec';
import { diagnose, SOURCE } from './diagnostics';
import { codeActions } from './fixes';
import { DEFAULT_SERVER_OPTIONS, parseServerOptions, type ServerOptions } from './options';
import { pathCompletions } from './paths';
import { schemaCompletions, schemaHover, schemaService } from './schema';
import { WorkspaceFiles } from './workspace-files';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const files = new WorkspaceFiles([]);
const service = schemaService();
const pending = new Map<string, NodeJS.Timeout>();
let options: ServerOptions = DEFAULT_SERVER_OPTIONS;
let roots: string[] = [];
let supportsFolderChanges = false;

function filePath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

function rootsOf(params: InitializeParams): string[] {
  const folders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
  return folders.map(filePath).filter((p): p is string => p !== undefined);
}

/** Paths resolve against the spec's folder and must stay in its workspace folder, as in the daemon. */
function contextFor(uri: string): ValidationContext {
  const file = filePath(uri);
  if (file === undefined) return {};
  const root = roots.filter((r) => isInside(r, file)).sort((a, b) => b.length - a.length)[0];
  return nodeContext(path.dirname(file), root);
}

function validate(uri: string): void {
  pending.delete(uri);
  const document = documents.get(uri);
  if (!document) return;
  try {
    const diagnostics = diagnose(document, contextFor(uri), { schemaLayer: !options.jsonLanguageFeatures });
    void connection.sendDiagnostics({ uri, version: document.version, diagnostics });
  } catch (err) {
    connection.console.error(`validating ${uri} failed: ${(err as Error).stack ?? String(err)}`);
  }
}

function schedule(uri: string, delayMs: number): void {
  clearTimeout(pending.get(uri));
  pending.set(uri, setTimeout(() => validate(uri), delayMs));
}

connection.onInitialize((params): InitializeResult => {
  options = parseServerOptions(params.initializationOptions);
  supportsFolderChanges = params.capabilities.workspace?.workspaceFolders === true;
  roots = rootsOf(params);
  files.setRoots(roots);
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      completionProvider: { triggerCharacters: ['"', '/'] },
      hoverProvider: true,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
    },
    serverInfo: { name: 'unirl-spec' },
  };
});

connection.onInitialized(() => {
  // A checkpoint or prompt file that appears or goes away changes completions and diagnostics.
  void connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: '**/*.{safetensors,jsonl,json}' }] }).catch(() => undefined);
  if (!supportsFolderChanges) return;
  connection.workspace.onDidChangeWorkspaceFolders((event) => {
    const removed = new Set(event.removed.map((f) => filePath(f.uri)));
    const added = event.added.map((f) => filePath(f.uri)).filter((p): p is string => p !== undefined);
    roots = [...roots.filter((r) => !removed.has(r)), ...added];
    files.setRoots(roots);
    for (const d of documents.all()) schedule(d.uri, 0);
  });
});

connection.onDidChangeWatchedFiles(() => {
  files.invalidate();
  for (const d of documents.all()) schedule(d.uri, options.debounceMs);
});

documents.onDidOpen((e) => schedule(e.document.uri, 0));
documents.onDidChangeContent((e) => schedule(e.document.uri, options.debounceMs));
documents.onDidClose((e) => {
  clearTimeout(pending.get(e.document.uri));
  pending.delete(e.document.uri);
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});

connection.onCompletion(async (params) => {
  const document = documents.get(params.textDocument.uri);
  if (!document) return [];
  const file = filePath(document.uri);
  const items = file === undefined ? [] : pathCompletions(document, params.position, file, files);
  if (items.length > 0 || options.jsonLanguageFeatures) return items;
  return schemaCompletions(service, document, params.position);
});

connection.onHover((params) => {
  const document = documents.get(params.textDocument.uri);
  return document ? schemaHover(service, document, params.position, !options.jsonLanguageFeatures) : null;
});

connection.onCodeAction((params) => {
  const document = documents.get(params.textDocument.uri);
  return document ? codeActions(document, params.context.diagnostics.filter((d) => d.source === SOURCE)) : [];
});

documents.listen(connection);
connection.listen();
