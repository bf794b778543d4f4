/**
 * Activation: the output channel, the daemon manager, the run tracker, the status bar, the
 * commands and the run-spec language client, every one disposed through context.subscriptions.
 * `deactivate` first releases the daemon (stopping it only if this window started it and no run
 * is going), then VS Code disposes the rest.
 */
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { DaemonManager } from './daemon';
import { SpecLanguageClient } from './language-client';
import { Log } from './log';
import { DAEMON_SETTINGS, parseSettings, SETTINGS, type Settings } from './manifest';
import { RunTracker } from './runs';
import { SamplesView } from './samples-view';
import { StatusItem } from './status';

function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration('unirl');
  return parseSettings((key) => config.get(key));
}

let release: (() => Promise<void>) | undefined;

export function activate(context: vscode.ExtensionContext): void {
  let settings = readSettings();
  const log = new Log(settings.logLevel);
  const daemon = new DaemonManager(context.extensionPath, () => settings, log);
  const runs = new RunTracker(daemon, log);
  const status = new StatusItem(daemon, runs, 'unirl.showSamples');
  const language = new SpecLanguageClient(context);
  context.subscriptions.push(log, daemon, runs, status, language, ...registerCommands({ extension: context, daemon, runs, log }));
  context.subscriptions.push(SamplesView.register(context, daemon, log));

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('unirl')) return;
      const before = settings;
      settings = readSettings();
      log.level = settings.logLevel;
      const changed = DAEMON_SETTINGS.filter((k) => before[k] !== settings[k]).map((k) => `unirl.${SETTINGS[k].key}`);
      if (changed.length > 0 && daemon.status.kind === 'running') {
        void vscode.window.showInformationMessage(`UniRL: ${changed.join(', ')} apply when the daemon starts again.`);
      }
    }),
  );

  // Both start at once: the daemon's release must take hold of its connection before VS Code
  // disposes the subscriptions (it does so right after calling deactivate, without waiting).
  release = async () => {
    await Promise.all([daemon.release(), language.stop()]);
  };
  log.info(`UniRL ${String((context.extension.packageJSON as { version?: unknown }).version)} activated (${vscode.env.remoteName ? `remote: ${vscode.env.remoteName}` : 'local'})`);
  // Show the state of a daemon that is already running (another window, the CLI); start nothing.
  void daemon.attach();
}

export function deactivate(): Promise<void> | undefined {
  const done = release?.();
  release = undefined;
  return done;
}
