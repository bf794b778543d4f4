/**
 * GenEval results of the run: a base and a compared evaluation (by default the first and the last),
 * per tag a row with both scores, the change, and bars; under the table the imbalance figures: the
 * spread between the best and the worst tag of each, and the grounding gap (how often the model's
 * verdict on its own image disagrees with the detector) from the run's last training metrics.
 */
import type { ViewSettings } from '../settings';
import { lastValue, tagSpread, type Result, type RunModel } from '../state';
import { fmt, h, percent } from './dom';

/** A score in percent without the sign (the column says it): 43.3, 100. */
const pct = (v: number | null): string => (v === null ? '–' : String(Number((v * 100).toFixed(1))));

export function resultLabel(r: Result, index: number): string {
  const when = r.after ? `after ${r.after.kind}${r.after.step > 0 ? ` step ${r.after.step}` : ''}` : 'before any training';
  return `#${index + 1} stage ${r.stage + 1} (${when})`;
}

export class Geneval {
  readonly el: HTMLElement;
  private readonly base = h('select', { id: 'geneval-base' });
  private readonly other = h('select', { id: 'geneval-with' });
  private readonly body = h('div', { class: 'geneval-body' });
  private readonly pickers: HTMLElement;
  private model: RunModel | null = null;

  constructor(
    private readonly settings: ViewSettings,
    private readonly save: () => void,
  ) {
    this.base.addEventListener('change', () => this.pick());
    this.other.addEventListener('change', () => this.pick());
    this.pickers = h('div', { class: 'controls' }, h('label', { for: 'geneval-base' }, 'Base'), this.base, h('label', { for: 'geneval-with' }, 'vs'), this.other);
    this.el = h('div', {}, this.pickers, this.body);
  }

  reset(model: RunModel): void {
    this.model = model;
    this.render();
  }

  update(changed: boolean): void {
    if (changed) this.render();
  }

  private pick(): void {
    this.settings.compareBase = Number(this.base.value);
    this.settings.compareWith = this.other.value === '' ? null : Number(this.other.value);
    this.save();
    this.render();
  }

  private render(): void {
    const results = this.model?.results ?? [];
    this.pickers.hidden = results.length < 2;
    if (results.length === 0) {
      this.body.replaceChildren(h('p', { class: 'empty' }, 'No GenEval result in this run yet: a geneval stage reports one when it ends (its running score is among the curves).'));
      return;
    }
    const bySeq = (seq: number | null): Result | undefined => results.find((r) => r.seq === seq);
    const base = bySeq(this.settings.compareBase) ?? results[0]!;
    const other = results.length < 2 ? undefined : (bySeq(this.settings.compareWith) ?? results[results.length - 1]!);
    const options = (select: HTMLSelectElement, chosen: Result | undefined): void => {
      select.replaceChildren(...results.map((r, i) => h('option', { value: r.seq }, resultLabel(r, i))));
      if (chosen) select.value = String(chosen.seq);
    };
    options(this.base, base);
    options(this.other, other);
    const cols = other ? [base, other] : [base];
    const names = cols.map((r) => resultLabel(r, results.indexOf(r)));
    const tags = [...new Set(cols.flatMap((r) => Object.keys(r.result.tags)))].sort();
    const row = (name: string, scores: (number | null)[], counts: string[]): HTMLElement => {
      const delta = scores.length === 2 && scores[0] != null && scores[1] != null ? scores[1] - scores[0] : null;
      return h(
        'tr',
        {},
        h('th', { scope: 'row' }, name, h('span', { class: 'bars', 'aria-hidden': 'true' }, ...scores.map((s, i) => bar(s, i)))),
        ...scores.map((s, i) => h('td', { title: counts[i] ?? '' }, pct(s))),
        scores.length === 2 && h('td', { class: delta === null ? '' : delta > 0 ? 'pos' : delta < 0 ? 'neg' : '' }, delta === null ? '–' : `${delta > 0 ? '+' : ''}${(delta * 100).toFixed(1)}`),
      );
    };
    const table = h(
      'table',
      { class: 'geneval-table' },
      h('caption', {}, other ? `${names[0]} vs ${names[1]}` : names[0]),
      h(
        'thead',
        {},
        h('tr', {}, h('th', { scope: 'col' }, 'tag'), h('th', { scope: 'col' }, other ? 'base %' : 'score %'), other && h('th', { scope: 'col' }, 'vs %'), other && h('th', { scope: 'col', title: 'change in percentage points' }, 'Δ pts')),
      ),
      h(
        'tbody',
        {},
        row(
          'overall',
          cols.map((r) => r.result.overall),
          cols.map((r) => `${r.result.correctPrompts}/${r.result.totalPrompts} prompts, ${r.result.correctImages}/${r.result.totalImages} images`),
        ),
        ...tags.map((t) =>
          row(
            t,
            cols.map((r) => r.result.tags[t]?.score ?? null),
            cols.map((r) => (r.result.tags[t] ? `${r.result.tags[t].correct}/${r.result.tags[t].total} images` : 'not evaluated')),
          ),
        ),
      ),
    );
    const imbalance = h('dl', { class: 'imbalance' });
    cols.forEach((r, i) => {
      const spread = tagSpread(r.result);
      imbalance.append(
        h('dt', {}, `Tag spread, ${other ? (i === 0 ? 'base' : 'vs') : 'score'}`),
        h('dd', {}, !spread ? '–' : spread.best === spread.worst ? `one tag scored (${spread.best})` : `${(spread.spread * 100).toFixed(1)} pts (best ${spread.best}, worst ${spread.worst})`),
      );
    });
    const gaps = [...(this.model?.series.keys() ?? [])].filter((k) => k.endsWith('grounding_gap'));
    for (const key of gaps) imbalance.append(h('dt', {}, `Grounding gap (${key}, last)`), h('dd', {}, percent(lastValue(this.model?.series.get(key)))));
    const counts = h(
      'p',
      { class: 'muted' },
      cols.map((r, i) => `${other ? (i === 0 ? 'base' : 'vs') : 'score'}: ${r.result.correctImages}/${r.result.totalImages} images, ${r.result.correctPrompts}/${r.result.totalPrompts} prompts correct (${fmt(r.result.overall)} overall) in ${r.path}`).join('; '),
    );
    const key = other && h('div', { class: 'bar-key', 'aria-hidden': 'true' }, h('span', {}, h('span', { class: 'gbar gbar-0' }), 'base'), h('span', {}, h('span', { class: 'gbar gbar-1' }), 'vs'));
    this.body.replaceChildren(table);
    if (key) this.body.append(key);
    this.body.append(h('h4', {}, 'Imbalance'), imbalance, counts);
  }
}

function bar(score: number | null, which: number): HTMLElement {
  const el = h('div', { class: `gbar gbar-${which}` });
  el.style.width = `${Math.max(0, Math.min(1, score ?? 0)) * 100}%`;
  return el;
}
