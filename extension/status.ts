/** The status-bar item: the daemon's health, else the run going (percent, ETA), else the last run's outcome. Click: samples view. */
import * as vscode from 'vscode';
import type { RunState } from '../schemas/protocol';
import type { DaemonManager } from './daemon';
import type { RunTracker } from './runs';

const ICONS: Record<RunState, string> = {
  queued: '$(clock)',
  running: '$(sync~spin)',
  completed: '$(pass)',
  failed: '$(error)',
  cancelled: '$(circle-slash)',
  interrupted: '$(debug-pause)',
};

export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('unirl.status', vscode.StatusBarAlignment.Left, 10);
  private readonly subscriptions: vscode.Disposable[];
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    private readonly daemon: DaemonManager,
    private readonly runs: RunTracker,
    showSamplesCommand: string,
  ) {
    this.item.name = 'UniRL';
    this.item.command = showSamplesCommand;
    this.subscriptions = [daemon.onDidChangeStatus(() => this.render()), runs.onDidChange(() => this.render())];
    this.render();
    this.item.show();
  }

  dispose(): void {
    clearInterval(this.ticker);
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }

  private render(): void {
    const { text, tooltip, error } = this.describe();
    this.item.text = text;
    this.item.tooltip = `${tooltip}\n\nClick to show the samples.`;
    this.item.backgroundColor = error ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  private describe(): { text: string; tooltip: string; error?: boolean } {
    const status = this.daemon.status;
    clearInterval(this.ticker);
    this.ticker = undefined;
    switch (status.kind) {
      case 'stopped':
        return { text: '$(circle-outline) UniRL', tooltip: `UniRL daemon not running${status.message ? `: ${status.message}` : ''}` };
      case 'starting':
        return { text: '$(loading~spin) UniRL: starting', tooltip: 'Starting the UniRL daemon' };
      case 'crashed': {
        if (status.retryAt === null) return { text: '$(error) UniRL: daemon stopped', tooltip: status.message, error: true };
        // Count down to the restart.
        this.ticker = setInterval(() => this.render(), 1000);
        const inSeconds = Math.max(0, Math.ceil((status.retryAt - Date.now()) / 1000));
        return { text: `$(error) UniRL: daemon crashed, restart in ${inSeconds} s`, tooltip: status.message, error: true };
      }
      case 'running':
        break;
    }
    const daemonLine = `UniRL daemon ${status.init.daemon.version}, pid ${status.init.daemon.pid}, port ${status.info.port}${status.owned ? '' : ' (shared)'}`;
    if (!status.healthy) return { text: '$(warning) UniRL: daemon not responding', tooltip: `${daemonLine}: no answer to the last ping`, error: true };
    const run = this.runs.active();
    if (run) {
      const progress = this.runs.progressOf(run.id);
      const stages = run.stages.length;
      const stage = progress?.stage ?? Math.max(run.stage, 0);
      const step = progress?.step ?? run.step;
      const total = progress?.total ?? run.total;
      const percent = total > 0 ? `${Math.floor((100 * step) / total)}%` : '';
      const eta = progress?.etaSeconds != null ? ` ETA ${formatEta(progress.etaSeconds)}` : '';
      const where = stages > 1 ? ` stage ${stage + 1}/${stages}` : '';
      const text = run.state === 'queued' ? `${ICONS.queued} UniRL: ${run.name} queued` : `${ICONS.running} UniRL: ${run.name}${where} ${percent}${eta}`;
      return { text: text.trimEnd(), tooltip: `${run.name} (${run.id}): ${run.state}, step ${step}/${total}\n${daemonLine}` };
    }
    const last = this.runs.lastFinished();
    if (last) {
      return { text: `${ICONS[last.state]} UniRL: ${last.name} ${last.state}`, tooltip: `${last.name} (${last.id}): ${last.state}${last.error ? `: ${last.error}` : ''}\n${daemonLine}`, error: last.state === 'failed' };
    }
    return { text: '$(beaker) UniRL: idle', tooltip: daemonLine };
  }
}
