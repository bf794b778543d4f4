/**
 * The shown run as the view knows it, built from its events alone (the same events a replay and a
 * live stream deliver, so a view that reopens rebuilds the same picture).
 *
 * Thousands of points arrive one event at a time, so the model is mutated in place and `apply`
 * returns what changed: the view redraws only that. Copying arrays per event (the usual immutable
 * reducer) would make a replay of n points cost n².
 */
import type { GenevalResult, RunEvent, RunState, RunSummary, StageKind } from '../schemas/protocol';

/** One metric key's points, columns aligned by index, in the order they arrived. */
export interface Series {
  key: string;
  stage: number[];
  step: number[];
  /** Step on the run's own axis: each stage continues where the stage before ended. */
  x: number[];
  /** Seconds since the run's first event. */
  t: number[];
  y: (number | null)[];
}

export interface Sample {
  seq: number;
  stage: number;
  step: number;
  prompt: string;
  answer?: string;
  reward?: number;
  advantage?: number;
  path: string;
  pngBase64: string;
}

/** The samples of one stage's step, and their GRPO groups (same prompt, in arrival order). */
export interface SampleStep {
  key: string;
  stage: number;
  step: number;
  samples: Sample[];
}

export interface Result {
  seq: number;
  stage: number;
  path: string;
  result: GenevalResult;
  /** The last training stage before it and that stage's last step, for labels ("after grpo, step 200"). */
  after: { stage: number; kind: StageKind; step: number } | null;
}

export interface Progress {
  stage: number;
  step: number;
  total: number;
  etaSeconds: number | null;
  stepsPerSecond: number | null;
  phase?: string;
}

export interface LogLine {
  seq: number;
  time: string;
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface RunModel {
  runId: string;
  /** Highest seq applied; events at or below it are duplicates and ignored. */
  lastSeq: number;
  startTime: number | null;
  state: RunState | null;
  reason: string | null;
  stageKinds: Map<number, StageKind>;
  /** Offset of each stage on the run's step axis. */
  stageOffset: Map<number, number>;
  /** Highest point reached on the run's step axis. */
  maxX: number;
  series: Map<string, Series>;
  steps: SampleStep[];
  stepIndex: Map<string, SampleStep>;
  sampleCount: number;
  results: Result[];
  checkpoints: { stage: number; step: number; path: string }[];
  progress: Progress | null;
  logs: LogLine[];
}

/** What one batch of events changed, for the view to redraw only that. */
export interface Changes {
  /** Metric keys that got points (or lost some to a rewind). */
  metrics: Set<string>;
  /** Sample steps that got samples. */
  sampleSteps: Set<string>;
  /** A rewind removed points or samples: redraw everything that shows them. */
  rewound: boolean;
  results: boolean;
  progress: boolean;
  state: boolean;
  logs: boolean;
  applied: number;
}

export const MAX_LOG_LINES = 500;
const TRAINING: readonly StageKind[] = ['pretrain', 'sft', 'grpo'];

export function emptyModel(runId: string, summary?: RunSummary): RunModel {
  const model: RunModel = {
    runId,
    lastSeq: 0,
    startTime: null,
    state: summary?.state ?? null,
    reason: null,
    stageKinds: new Map(),
    stageOffset: new Map(),
    maxX: 0,
    series: new Map(),
    steps: [],
    stepIndex: new Map(),
    sampleCount: 0,
    results: [],
    checkpoints: [],
    progress: null,
    logs: [],
  };
  summary?.stages.forEach((s, i) => model.stageKinds.set(i, s.kind));
  return model;
}

export function noChanges(): Changes {
  return { metrics: new Set(), sampleSteps: new Set(), rewound: false, results: false, progress: false, state: false, logs: false, applied: 0 };
}

export function stepKey(stage: number, step: number): string {
  return `${stage}:${step}`;
}

/** Applies events in seq order; duplicates (seq at or below the last applied) are skipped. */
export function apply(model: RunModel, events: readonly RunEvent[], changes: Changes = noChanges()): Changes {
  for (const event of events) {
    if (event.seq <= model.lastSeq) continue;
    model.lastSeq = event.seq;
    changes.applied++;
    const time = Date.parse(event.time);
    if (model.startTime === null && Number.isFinite(time)) model.startTime = time;
    const seconds = model.startTime !== null && Number.isFinite(time) ? (time - model.startTime) / 1000 : 0;
    switch (event.type) {
      case 'state':
        model.state = event.state;
        model.reason = event.reason ?? null;
        changes.state = true;
        break;
      case 'stage':
        model.stageKinds.set(event.stage, event.kind);
        xOf(model, event.stage, 0);
        changes.state = true;
        break;
      case 'progress':
        model.progress = {
          stage: event.stage,
          step: event.step,
          total: event.total,
          etaSeconds: event.etaSeconds,
          stepsPerSecond: event.stepsPerSecond,
          ...(event.phase !== undefined ? { phase: event.phase } : {}),
        };
        changes.progress = true;
        break;
      case 'metric': {
        const x = xOf(model, event.stage, event.step);
        for (const [key, value] of Object.entries(event.values)) {
          let s = model.series.get(key);
          if (!s) model.series.set(key, (s = { key, stage: [], step: [], x: [], t: [], y: [] }));
          s.stage.push(event.stage);
          s.step.push(event.step);
          s.x.push(x);
          s.t.push(seconds);
          s.y.push(value);
          changes.metrics.add(key);
        }
        break;
      }
      case 'sample': {
        const key = stepKey(event.stage, event.step);
        let step = model.stepIndex.get(key);
        if (!step) {
          step = { key, stage: event.stage, step: event.step, samples: [] };
          model.stepIndex.set(key, step);
          model.steps.push(step);
        }
        step.samples.push({
          seq: event.seq,
          stage: event.stage,
          step: event.step,
          prompt: event.prompt,
          ...(event.answer !== undefined ? { answer: event.answer } : {}),
          ...(event.reward !== undefined ? { reward: event.reward } : {}),
          ...(event.advantage !== undefined ? { advantage: event.advantage } : {}),
          path: event.image.path,
          pngBase64: event.image.pngBase64,
        });
        model.sampleCount++;
        xOf(model, event.stage, event.step);
        changes.sampleSteps.add(key);
        break;
      }
      case 'checkpoint':
        model.checkpoints.push({ stage: event.stage, step: event.step, path: event.path });
        break;
      case 'rewind':
        rewind(model, event.stage, event.step);
        changes.rewound = true;
        for (const key of model.series.keys()) changes.metrics.add(key);
        break;
      case 'log':
        model.logs.push({ seq: event.seq, time: event.time, level: event.level, message: event.message });
        if (model.logs.length > MAX_LOG_LINES) model.logs.splice(0, model.logs.length - MAX_LOG_LINES);
        changes.logs = true;
        break;
      case 'result':
        model.results.push({ seq: event.seq, stage: event.stage, path: event.path, result: event.result, after: trainedBefore(model, event.stage) });
        changes.results = true;
        break;
    }
  }
  return changes;
}

/** A stage's step on the run's axis; a stage seen for the first time starts where the run got to. */
function xOf(model: RunModel, stage: number, step: number): number {
  let offset = model.stageOffset.get(stage);
  if (offset === undefined) model.stageOffset.set(stage, (offset = model.maxX));
  const x = offset + step;
  if (x > model.maxX) model.maxX = x;
  return x;
}

/** Drops what a resume supersedes: this stage's points after `step`, and anything of later stages. */
function rewind(model: RunModel, stage: number, step: number): void {
  const superseded = (s: number, st: number): boolean => s > stage || (s === stage && st > step);
  for (const s of model.series.values()) {
    let n = s.y.length;
    while (n > 0 && superseded(s.stage[n - 1]!, s.step[n - 1]!)) n--;
    for (const column of [s.stage, s.step, s.x, s.t, s.y]) column.length = n;
  }
  while (model.steps.length > 0) {
    const last = model.steps[model.steps.length - 1]!;
    if (!superseded(last.stage, last.step)) break;
    model.steps.pop();
    model.stepIndex.delete(last.key);
    model.sampleCount -= last.samples.length;
  }
  model.checkpoints = model.checkpoints.filter((c) => !superseded(c.stage, c.step));
  model.results = model.results.filter((r) => r.stage <= stage);
  model.maxX = (model.stageOffset.get(stage) ?? 0) + step;
  for (const s of [...model.stageOffset.keys()]) if (s > stage) model.stageOffset.delete(s);
}

function trainedBefore(model: RunModel, stage: number): Result['after'] {
  for (let s = stage - 1; s >= 0; s--) {
    const kind = model.stageKinds.get(s);
    if (kind && TRAINING.includes(kind)) {
      const last = [...model.checkpoints].reverse().find((c) => c.stage === s);
      return { stage: s, kind, step: last?.step ?? 0 };
    }
  }
  return null;
}

/** The samples of one step grouped by prompt (a GRPO group), groups in order of first arrival. */
export function groupsOf(step: SampleStep): { prompt: string; samples: Sample[] }[] {
  const groups = new Map<string, Sample[]>();
  for (const s of step.samples) {
    const g = groups.get(s.prompt);
    if (g) g.push(s);
    else groups.set(s.prompt, [s]);
  }
  return [...groups].map(([prompt, samples]) => ({ prompt, samples }));
}

/** The last value of a series that is not null. */
export function lastValue(s: Series | undefined): number | null {
  if (!s) return null;
  for (let i = s.y.length - 1; i >= 0; i--) if (s.y[i] !== null) return s.y[i]!;
  return null;
}

/** Imbalance between tags of one GenEval result: the spread between the best and the worst tag. */
export function tagSpread(result: GenevalResult): { best: string; worst: string; spread: number } | null {
  const scored = Object.entries(result.tags).filter((e): e is [string, GenevalResult['tags'][string] & { score: number }] => e[1].score !== null);
  if (scored.length === 0) return null;
  scored.sort((a, b) => b[1].score - a[1].score);
  const best = scored[0]!;
  const worst = scored[scored.length - 1]!;
  return { best: best[0], worst: worst[0], spread: best[1].score - worst[1].score };
}
