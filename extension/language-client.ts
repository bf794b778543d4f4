/**
 * The run-spec language client. The server (dist/language-server.js) starts the first time a
 * *.unirl.json document is open, so a window without specs never pays for it.
 */
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import type { ServerOptions as SpecServerOptions } from './language-server/options';

const SPEC_PATTERN = '**/*.unirl.json';

function isSpec(document: vscode.TextDocument): boolean {
  return document.uri.scheme === 'file' && document.uri.path.endsWith('.unirl.json');
}

/** VS Code's JSON extension validates and describes *.unirl.json through contributes.jsonValidation. */
function jsonLanguageFeatures(): boolean {
  return vscode.extensions.getExtension('vscode.json-language-features') !== undefined && vscode.workspace.getConfiguration('json').get<boolean>('validate.enable', true);
}

export class SpecLanguageClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly context: vscode.ExtensionContext) {
    if (vscode.workspace.textDocuments.some(isSpec)) void this.start();
    else {
      const watch = vscode.workspace.onDidOpenTextDocument((d) => {
        if (!isSpec(d)) return;
        watch.dispose();
        void this.start();
      });
      this.subscriptions.push(watch);
    }
  }

  private async start(): Promise<void> {
    if (this.client) return;
    const module = this.context.asAbsolutePath('dist/language-server.js');
    const server: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const initializationOptions: SpecServerOptions = { jsonLanguageFeatures: jsonLanguageFeatures(), debounceMs: 200 };
    const options: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', language: 'json', pattern: SPEC_PATTERN },
        { scheme: 'file', language: 'jsonc', pattern: SPEC_PATTERN },
      ],
      initializationOptions,
    };
    this.client = new LanguageClient('unirl.spec', 'UniRL Run Specs', server, options);
    await this.client.start();
  }

  async stop(): Promise<void> {
    for (const s of this.subscriptions) s.dispose();
    const client = this.client;
    this.client = undefined;
    if (client?.isRunning()) await client.stop();
  }

  dispose(): void {
    void this.stop();
  }
}
