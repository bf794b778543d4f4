/**
 * The sidebar's samples view (curves, samples, GenEval): a WebviewView whose page is the browser
 * bundle built from webview/main.ts, fed by webview/feed.ts.
 *
 * The view has its own connection to the daemon the extension manages: a subscription is per
 * connection and per run, so sharing the extension's would let the view's replays and run switches
 * replace the run tracker's subscriptions (and a slow webview would make the tracker miss samples).
 *
 * No retainContextWhenHidden: a hidden view keeps nothing but its settings (getState/setState), and
 * on show it asks for its run again; a replay of a run is small (the images are 32-64 px PNGs), a
 * retained page would hold its memory the whole session.
 */
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { DaemonClient } from '../daemon/server/client';
import type { ConnectionInfo } from '../daemon/server/connection-file';
import { parseWebviewMessage, type ExtensionToWebview } from '../schemas/protocol';
import { RunFeed } from '../webview/feed';

/** What the view needs of the extension: the daemon's state, with its connection details while it runs (DaemonManager has it). */
export interface RunEventSource {
  readonly status: { kind: 'running'; info: ConnectionInfo } | { kind: 'stopped' | 'starting' | 'crashed'; message?: string };
  readonly onDidChangeStatus: vscode.Event<unknown>;
}

interface Logger {
  warn(message: string): void;
}

export class SamplesView implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewType = 'unirl.samples';

  /** Registers the view; the one call the extension's activation makes. */
  static register(context: vscode.ExtensionContext, source: RunEventSource, log: Logger): vscode.Disposable {
    const view = new SamplesView(context.extensionUri, source, log);
    return vscode.Disposable.from(view, vscode.window.registerWebviewViewProvider(SamplesView.viewType, view));
  }

  /** What the page shown now holds (a hidden view's page is gone; showing it again resolves anew). */
  private current: vscode.Disposable | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly source: RunEventSource,
    private readonly log: Logger,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const webview = view.webview;
    webview.options = { enableScripts: true, localResourceRoots: [dist] };
    webview.html = page(webview, dist);

    const feed = new RunFeed((message: ExtensionToWebview) => void webview.postMessage(message), { warn: (m) => this.log.warn(`samples view: ${m}`) });
    const connection = new ViewConnection(this.source, feed, this.log);
    const subscriptions = [
      connection,
      webview.onDidReceiveMessage((raw: unknown) => {
        let message;
        try {
          message = parseWebviewMessage(raw, 'webview → extension');
        } catch (err) {
          this.log.warn(`samples view: refused a message: ${(err as Error).message}`);
          return;
        }
        switch (message.type) {
          case 'ready':
          case 'select':
            feed.show(message.runId);
            break;
          case 'command':
            void vscode.commands.executeCommand(message.command === 'cancel' ? 'unirl.cancelRun' : 'unirl.resumeRun', message.runId);
            break;
        }
      }),
    ];
    this.current?.dispose();
    const current = new vscode.Disposable(() => {
      feed.dispose();
      for (const s of subscriptions) s.dispose();
    });
    this.current = current;
    view.onDidDispose(() => {
      current.dispose();
      if (this.current === current) this.current = undefined;
    });
  }

  dispose(): void {
    this.current?.dispose();
    this.current = undefined;
  }
}

/** The view's own daemon connection, opened while the extension's daemon runs. */
class ViewConnection implements vscode.Disposable {
  private client: DaemonClient | undefined;
  private port: number | undefined;
  private readonly statusListener: vscode.Disposable;
  private disposed = false;

  constructor(
    private readonly source: RunEventSource,
    private readonly feed: RunFeed,
    private readonly log: Logger,
  ) {
    this.statusListener = source.onDidChangeStatus(() => void this.update());
    void this.update();
  }

  private async update(): Promise<void> {
    const status = this.source.status;
    if (status.kind !== 'running') {
      this.close();
      void this.feed.attach(undefined, status.kind === 'starting' ? 'The UniRL daemon is starting…' : 'The UniRL daemon is not running: start a run, or run "UniRL: Start Daemon".');
      return;
    }
    if (this.client && this.port === status.info.port) return;
    this.close();
    this.port = status.info.port;
    try {
      const { client } = await DaemonClient.open(status.info, 'unirl-samples-view');
      if (this.disposed || this.port !== status.info.port) {
        void client.close();
        return;
      }
      this.client = client;
      client.socket.once('close', () => {
        if (this.client !== client) return;
        this.client = undefined;
        this.port = undefined;
        void this.feed.attach(undefined, 'The connection to the UniRL daemon was lost.');
      });
      void this.feed.attach(client);
    } catch (err) {
      this.port = undefined;
      this.log.warn(`samples view: could not connect to the daemon: ${(err as Error).message}`);
      void this.feed.attach(undefined, `Could not connect to the UniRL daemon: ${(err as Error).message}`);
    }
  }

  private close(): void {
    const client = this.client;
    this.client = undefined;
    this.port = undefined;
    if (client) void client.close();
  }

  dispose(): void {
    this.disposed = true;
    this.statusListener.dispose();
    this.close();
  }
}

/** The page: the bundle and its stylesheet, under a Content-Security-Policy that lets nothing else run. */
function page(webview: vscode.Webview, dist: vscode.Uri): string {
  const nonce = crypto.randomBytes(18).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css'));
  // Images are blob: URLs made from the PNGs in the events; uPlot sets inline styles on its elements.
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} blob:`,
    `style-src ${webview.cspSource} 'unsafe-inline'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${style.toString()}" rel="stylesheet">
<title>UniRL samples</title>
</head>
<body>
<div id="app" role="main"></div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}
