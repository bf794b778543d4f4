/**
 * The samples view's page (bundled by esbuild for the browser): receives the extension's messages,
 * checks each, folds run events into the model (state.ts) and redraws what changed, once per
 * animation frame however many batches arrived.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { parseWebviewMessage, type ExtensionToWebview, type RunSummary, type WebviewToExtension } from '../schemas/protocol';
import { readSettings, type ViewSettings } from './settings';
import { apply, emptyModel, noChanges, type Changes, type RunModel } from './state';
import { Curves } from './ui/curves';
import { h } from './ui/dom';
import { Geneval } from './ui/geneval';
import { Header } from './ui/header';
import { LogView } from './ui/log';
import { Samples } from './ui/samples';
import { onThemeChange } from './ui/theme';

interface VsCodeApi {
  postMessage(message: WebviewToExtension): void;
  getState(): unknown;
  setState(state: ViewSettings): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const settings = readSettings(vscode.getState());
const save = (): void => vscode.setState(settings);

function section(id: string, title: string, content: HTMLElement, onToggle?: () => void): HTMLDetailsElement {
  const details = h('details', { class: 'section', id: `section-${id}`, open: !settings.closed.includes(id) }, h('summary', {}, h('h3', {}, title)), content);
  details.addEventListener('toggle', () => {
    settings.closed = settings.closed.filter((s) => s !== id);
    if (!details.open) settings.closed.push(id);
    save();
    if (details.open) onToggle?.();
  });
  return details;
}

let runs: RunSummary[] = [];
let model: RunModel | null = null;
let follow = settings.runId === null;

const header = new Header(
  (runId) => {
    settings.runId = runId;
    save();
    vscode.postMessage({ type: 'select', runId });
  },
  (command, runId) => vscode.postMessage({ type: 'command', command, runId }),
);
const curves = new Curves(settings, save, () => curvesSection.open);
const samples = new Samples(settings, save);
const geneval = new Geneval(settings, save);
const log = new LogView();
const curvesSection = section('curves', 'Curves', curves.el, () => curves.redrawAll());
const problem = h('div', { class: 'notice error', role: 'alert', hidden: true });
document.getElementById('app')!.append(
  header.el,
  problem,
  curvesSection,
  section('samples', 'Samples', samples.el),
  section('geneval', 'GenEval', geneval.el),
  section('log', 'Log', log.el),
);

let pending: Changes | null = null;
function schedule(changes: Changes): void {
  if (pending) {
    for (const k of changes.metrics) pending.metrics.add(k);
    for (const k of changes.sampleSteps) pending.sampleSteps.add(k);
    pending.rewound ||= changes.rewound;
    pending.results ||= changes.results;
    pending.logs ||= changes.logs;
    return;
  }
  pending = changes;
  requestAnimationFrame(() => {
    const c = pending!;
    pending = null;
    header.update(model);
    curves.update(c);
    samples.update(c);
    geneval.update(c.results || c.rewound);
    if (c.logs && model) log.update(model);
  });
}

function show(runId: string | null, followNewest: boolean): void {
  follow = followNewest;
  if (followNewest && settings.runId !== null) {
    settings.runId = null;
    save();
  }
  model = runId === null ? null : emptyModel(runId, runs.find((r) => r.id === runId));
  header.setRuns(runs, runId, follow);
  header.update(model);
  const m = model ?? emptyModel('');
  curves.reset(m);
  samples.reset(m);
  geneval.reset(m);
  log.update(m);
}

function onMessage(message: ExtensionToWebview): void {
  switch (message.type) {
    case 'connection':
      header.setConnection(message.connected, message.message);
      break;
    case 'runs':
      runs = message.runs;
      header.setRuns(runs, model?.runId ?? null, follow);
      schedule(noChanges());
      break;
    case 'show':
      show(message.runId, message.follow);
      break;
    case 'events':
      if (!model || message.runId !== model.runId) return;
      schedule(apply(model, message.events));
      break;
  }
}

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  let message: ExtensionToWebview;
  try {
    message = parseWebviewMessage(e.data, 'extension → webview');
  } catch (err) {
    problem.hidden = false;
    problem.textContent = `A message from the extension was refused: ${(err as Error).message}`;
    return;
  }
  onMessage(message);
});

onThemeChange(() => curves.retheme());
new ResizeObserver(() => requestAnimationFrame(() => curves.resize())).observe(document.getElementById('app')!);
vscode.postMessage({ type: 'ready', runId: settings.runId });
