/**
 * The curves: one uPlot chart per group of metrics (charts.ts says which), the smoothed curve over
 * the raw one faded behind, hover values in the legend, last/min/max under each chart. Only charts
 * whose metrics changed are redrawn, and only while the section is open.
 */
import uPlot from 'uplot';
import { chartData, layoutCharts, type ChartData, type ChartLayout } from '../charts';
import type { ViewSettings } from '../settings';
import { MAX_SMOOTHING } from '../smoothing';
import type { Changes, RunModel } from '../state';
import { clear, fmt, fmtDuration, h } from './dom';
import { readTheme, withAlpha, type ChartTheme } from './theme';

const HEIGHT = 150;

interface Chart {
  layout: ChartLayout;
  root: HTMLElement;
  plotBox: HTMLElement;
  note: HTMLElement;
  hover: HTMLElement;
  stats: HTMLTableSectionElement;
  plot: uPlot | null;
  /** What the plot was built for; a different one rebuilds it (series, scale or theme changed). */
  signature: string;
}

export class Curves {
  readonly el: HTMLElement;
  private readonly list = h('div', { class: 'charts' });
  private readonly empty = h('p', { class: 'empty' }, 'No metrics yet.');
  private readonly smoothingValue = h('output', { for: 'smoothing' });
  private charts = new Map<string, Chart>();
  private model: RunModel | null = null;
  private theme: ChartTheme = readTheme();
  private themeVersion = 0;
  private width = 0;

  constructor(
    private readonly settings: ViewSettings,
    save: () => void,
    private readonly isOpen: () => boolean,
  ) {
    const smoothing = h('input', { id: 'smoothing', type: 'range', min: 0, max: MAX_SMOOTHING, step: 0.001, value: settings.smoothing });
    smoothing.addEventListener('input', () => {
      settings.smoothing = Number(smoothing.value);
      this.smoothingValue.textContent = settings.smoothing.toFixed(3);
      save();
      this.redrawAll();
    });
    this.smoothingValue.textContent = settings.smoothing.toFixed(3);
    const log = h('input', { id: 'log-scale', type: 'checkbox', checked: settings.logScale });
    log.addEventListener('change', () => {
      settings.logScale = log.checked;
      save();
      this.redrawAll();
    });
    const xAxis = h('select', { id: 'x-axis' }, h('option', { value: 'step' }, 'step'), h('option', { value: 'time' }, 'time'));
    xAxis.value = settings.xAxis;
    xAxis.addEventListener('change', () => {
      settings.xAxis = xAxis.value === 'time' ? 'time' : 'step';
      save();
      this.redrawAll();
    });
    this.el = h(
      'div',
      {},
      h(
        'div',
        { class: 'controls' },
        h('label', { for: 'smoothing', title: 'Debiased exponential moving average; the raw curve stays faded behind' }, 'Smoothing'),
        smoothing,
        this.smoothingValue,
        h('label', { class: 'check' }, log, 'Log scale'),
        h('label', { for: 'x-axis' }, 'X axis'),
        xAxis,
      ),
      this.empty,
      this.list,
    );
  }

  reset(model: RunModel): void {
    this.model = model;
    for (const c of this.charts.values()) c.plot?.destroy();
    this.charts.clear();
    clear(this.list);
    this.update({ metrics: new Set(model.series.keys()) });
  }

  update(changes: Pick<Changes, 'metrics'>): void {
    const model = this.model;
    if (!model) return;
    this.empty.hidden = model.series.size > 0;
    if (!this.isOpen()) return;
    if (changes.metrics.size === 0 && this.charts.size > 0) return;
    const layouts = layoutCharts(model.series.keys());
    // Rebuild the list only when charts come or go (new metric keys), keeping existing plots.
    const same = layouts.length === this.charts.size && layouts.every((l) => this.charts.get(l.id)?.layout.keys.join() === l.keys.join());
    if (!same) {
      const next = new Map<string, Chart>();
      for (const layout of layouts) {
        const old = this.charts.get(layout.id);
        next.set(layout.id, old && old.layout.keys.join() === layout.keys.join() ? old : this.newChart(layout, old));
      }
      for (const [id, c] of this.charts) if (next.get(id) !== c) c.plot?.destroy();
      this.charts = next;
      this.list.replaceChildren(...[...next.values()].map((c) => c.root));
    }
    for (const c of this.charts.values()) if (!same || c.plot === null || c.layout.keys.some((k) => changes.metrics.has(k))) this.draw(c);
  }

  /** The section was opened, the theme or the width changed: draw everything again. */
  redrawAll(): void {
    if (!this.model) return;
    this.update({ metrics: new Set(this.model.series.keys()) });
    for (const c of this.charts.values()) this.draw(c);
  }

  retheme(): void {
    this.theme = readTheme();
    this.themeVersion++;
    this.redrawAll();
  }

  resize(): void {
    const width = this.list.clientWidth;
    if (width === this.width || width === 0) return;
    this.width = width;
    // Thinning depends on the width: redraw (a plot whose width changed is rebuilt).
    this.redrawAll();
  }

  private newChart(layout: ChartLayout, old: Chart | undefined): Chart {
    old?.plot?.destroy();
    const plotBox = h('div', { class: 'plot', role: 'img', 'aria-label': `Chart of ${layout.keys.join(', ')}` });
    const note = h('span', { class: 'chart-note' });
    const hover = h('span', { class: 'chart-note', 'aria-hidden': 'true' });
    const stats = h('tbody');
    const root = h(
      'figure',
      { class: 'chart', 'data-chart': layout.id },
      h('figcaption', {}, h('span', { class: 'chart-title' }, layout.title), hover, note),
      plotBox,
      h('table', { class: 'stats' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'metric'), h('th', { scope: 'col' }, 'last'), h('th', { scope: 'col' }, 'min'), h('th', { scope: 'col' }, 'max'))), stats),
    );
    return { layout, root, plotBox, note, hover, stats, plot: null, signature: '' };
  }

  private draw(c: Chart): void {
    const model = this.model;
    const width = c.plotBox.clientWidth;
    if (!model || width === 0) return;
    const data = chartData(model, c.layout.keys, { smoothing: this.settings.smoothing, xAxis: this.settings.xAxis, buckets: Math.max(50, Math.round(width)) });
    const canLog = data.stats.every((s) => s.positive);
    const log = this.settings.logScale && canLog;
    c.note.textContent = this.settings.logScale && !canLog ? 'linear: has values ≤ 0' : '';
    c.root.dataset['points'] = String(data.total);
    c.root.dataset['drawn'] = String(data.drawn);
    this.fillStats(c, data);
    const signature = `${c.layout.keys.join()}|${log}|${this.settings.xAxis}|${this.themeVersion}|${width}`;
    if (c.plot && c.signature === signature) {
      c.plot.setData(data.columns);
      return;
    }
    c.plot?.destroy();
    c.signature = signature;
    c.plot = new uPlot(this.options(c, width, log), data.columns, c.plotBox);
  }

  private fillStats(c: Chart, data: ChartData): void {
    const prefix = commonNamespace(c.layout.keys);
    c.stats.replaceChildren(
      ...data.stats.map((s) => h('tr', {}, h('th', { scope: 'row' }, s.key.slice(prefix.length)), h('td', {}, fmt(s.last)), h('td', {}, fmt(s.min)), h('td', {}, fmt(s.max)))),
    );
  }

  private options(c: Chart, width: number, log: boolean): uPlot.Options {
    const { layout } = c;
    const t = this.theme;
    const time = this.settings.xAxis === 'time';
    const font = `11px ${getComputedStyle(document.body).fontFamily}`;
    const prefix = commonNamespace(layout.keys);
    const axis = (): uPlot.Axis => ({ stroke: t.foreground, font, grid: { stroke: t.grid, width: 1 }, ticks: { stroke: t.grid, width: 1 } });
    const xText = (v: number): string => (time ? fmtDuration(v) : `step ${Math.round(v)}`);
    // The x series' legend entry is hidden (CSS); the hovered x goes to the caption instead.
    const series: uPlot.Series[] = [{ label: time ? 'time' : 'step' }];
    layout.keys.forEach((key, i) => {
      const color = t.series[i % t.series.length]!;
      const rawIndex = 1 + i * 2;
      series.push(
        { label: `${key.slice(prefix.length)} raw`, class: 'raw', stroke: withAlpha(color, t.highContrast ? 0.5 : 0.28), width: 1, points: { show: false } },
        {
          label: key.slice(prefix.length),
          stroke: color,
          width: t.highContrast ? 2 : 1.5,
          points: { show: false },
          // Hover: the smoothed value and the raw one; away from the chart: the last raw value.
          value: (u, v, _s, idx) => {
            const raw = u.data[rawIndex] as (number | null | undefined)[] | undefined;
            if (idx == null) return raw ? fmt(lastDefined(raw)) : '';
            const r = raw?.[idx];
            return r == null ? fmt(v) : `${fmt(v)} (raw ${fmt(r)})`;
          },
        },
      );
    });
    return {
      width,
      height: HEIGHT,
      scales: { x: { time: false }, y: log ? { distr: 3 } : layout.unit ? { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max)] } : {} },
      axes: [{ ...axis(), ...(time ? { values: (_u: uPlot, vals: number[]) => vals.map(fmtDuration) } : {}) }, { ...axis(), size: 48 }],
      series,
      legend: { live: true },
      cursor: { points: { show: false } },
      hooks: {
        setLegend: [
          (u) => {
            const i = u.legend.idx;
            const x = i == null ? undefined : u.data[0][i];
            c.hover.textContent = x == null ? '' : xText(x);
          },
        ],
      },
    };
  }
}

function lastDefined(values: readonly (number | null | undefined)[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] != null) return values[i]!;
  return null;
}

/** `grpo/` when every key starts with it: labels drop what the chart's title already says. */
function commonNamespace(keys: readonly string[]): string {
  const first = keys[0]?.split('/')[0];
  return first !== undefined && keys.length > 1 && keys.every((k) => k.startsWith(`${first}/`)) ? `${first}/` : '';
}
