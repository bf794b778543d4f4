/** The top of the view: connection notice, run picker, run state, progress with ETA, cancel/resume. */
import type { RunState, RunSummary } from '../../schemas/protocol';
import type { RunModel } from '../state';
import { clear, fmt, fmtDuration, h } from './dom';

const FOLLOW = '';
const CANCELLABLE: readonly RunState[] = ['queued', 'running'];
const RESUMABLE: readonly RunState[] = ['cancelled', 'failed', 'interrupted'];

export class Header {
  readonly el: HTMLElement;
  private readonly notice = h('div', { class: 'notice', role: 'status', hidden: true });
  private readonly picker = h('select', { id: 'run-picker' });
  private readonly state = h('span', { class: 'badge', 'aria-live': 'polite' });
  private readonly stageLine = h('div', { class: 'stage-line' });
  private readonly bar = h('div', { class: 'bar-fill' });
  private readonly barBox = h('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-label': 'Run progress' }, this.bar);
  private readonly progressText = h('div', { class: 'progress-text' });
  private readonly cancel: HTMLButtonElement;
  private readonly resume: HTMLButtonElement;
  private runs: RunSummary[] = [];
  private shown: string | null = null;

  constructor(onSelect: (runId: string | null) => void, onCommand: (command: 'cancel' | 'resume', runId: string) => void) {
    this.picker.addEventListener('change', () => onSelect(this.picker.value === FOLLOW ? null : this.picker.value));
    this.cancel = h('button', { class: 'secondary', type: 'button', hidden: true, onclick: () => this.shown && onCommand('cancel', this.shown) }, 'Cancel run');
    this.resume = h('button', { class: 'secondary', type: 'button', hidden: true, onclick: () => this.shown && onCommand('resume', this.shown) }, 'Resume run');
    this.el = h(
      'header',
      { class: 'run-header' },
      this.notice,
      h('div', { class: 'picker-row' }, h('label', { for: 'run-picker' }, 'Run'), this.picker, this.state),
      this.stageLine,
      this.barBox,
      h('div', { class: 'progress-row' }, this.progressText, this.cancel, this.resume),
    );
    this.setRuns([], null, true);
  }

  setConnection(connected: boolean, message: string | undefined): void {
    this.notice.hidden = connected;
    this.notice.textContent = connected ? '' : (message ?? 'Not connected to the UniRL daemon.');
  }

  setRuns(runs: RunSummary[], shown: string | null, follow: boolean): void {
    this.runs = runs;
    this.shown = shown;
    const focused = document.activeElement === this.picker;
    clear(this.picker);
    const newest = runs[0];
    this.picker.append(h('option', { value: FOLLOW }, newest ? `Newest run (${newest.name})` : 'Newest run (none yet)'));
    for (const r of runs) this.picker.append(h('option', { value: r.id }, `${r.name} · ${r.state} · ${r.createdAt.slice(0, 16).replace('T', ' ')}`));
    this.picker.value = follow || shown === null ? FOLLOW : shown;
    if (focused) this.picker.focus();
  }

  update(model: RunModel | null): void {
    const summary = this.runs.find((r) => r.id === this.shown);
    const state = model?.state ?? summary?.state ?? null;
    this.state.textContent = state ?? '';
    this.state.className = `badge state-${state ?? 'none'}`;
    this.state.hidden = state === null;
    this.cancel.hidden = state === null || !CANCELLABLE.includes(state);
    this.resume.hidden = state === null || !RESUMABLE.includes(state);

    const progress = model?.progress ?? null;
    const stages = summary?.stages ?? [];
    if (!model || this.shown === null) {
      this.stageLine.textContent = this.shown === null ? 'No run yet: start one with "UniRL: Start Run".' : '';
      this.barBox.hidden = true;
      this.progressText.textContent = '';
      return;
    }
    const stage = progress?.stage ?? summary?.stage ?? -1;
    const kind = model.stageKinds.get(stage) ?? stages[stage]?.kind;
    const reason = model.reason ? ` (${model.reason})` : summary?.error ? ` (${summary.error})` : '';
    this.stageLine.textContent = stage >= 0 ? `Stage ${stage + 1} of ${Math.max(stages.length, stage + 1)}: ${kind ?? '?'}${progress?.phase ? `, ${progress.phase}` : ''}${reason}` : reason.trim();
    const step = progress?.step ?? summary?.step ?? 0;
    const total = progress?.total ?? summary?.total ?? 0;
    const pct = total > 0 ? Math.min(100, (step / total) * 100) : 0;
    this.barBox.hidden = total <= 0;
    this.bar.style.width = `${pct}%`;
    this.barBox.setAttribute('aria-valuenow', pct.toFixed(0));
    const parts = [`step ${step} of ${total}`];
    if (progress?.stepsPerSecond) parts.push(`${fmt(progress.stepsPerSecond)} steps/s`);
    // The daemon sends no ETA until the speed has settled (about 10 steps): none is shown before.
    if (state === 'running' && progress?.etaSeconds != null) parts.push(`ETA ${fmtDuration(progress.etaSeconds)}`);
    this.progressText.textContent = parts.join(' · ');
  }
}
