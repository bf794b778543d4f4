/** The run's log lines (the last ones the model keeps), warnings and errors marked in words, not colour alone. */
import type { RunModel } from '../state';
import { h } from './dom';

const SHOWN = 200;

export class LogView {
  readonly el = h('ol', { class: 'log', 'aria-label': 'Run log' });

  update(model: RunModel): void {
    const lines = model.logs.slice(-SHOWN);
    this.el.replaceChildren(
      ...lines.map((l) => h('li', { class: `log-${l.level}` }, h('span', { class: 'muted' }, `${l.time.slice(11, 19)} `), l.level === 'info' ? '' : `${l.level}: `, l.message)),
    );
    if (lines.length === 0) this.el.append(h('li', { class: 'muted' }, 'No log lines.'));
  }
}
