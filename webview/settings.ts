/**
 * What the view remembers across hide/show and reloads (vscode.getState/setState): the user's
 * choices only; the run's data comes again from the extension. Read back defensively: the stored
 * object may come from an older version of the view.
 */
import { clampSmoothing } from './smoothing';
import type { XAxis } from './charts';

export interface ViewSettings {
  /** The run picked (null: follow the newest run). */
  runId: string | null;
  smoothing: number;
  logScale: boolean;
  xAxis: XAxis;
  /** The step slider follows the newest samples. */
  followSamples: boolean;
  /** Key (`stage:step`) of the samples step shown when not following. */
  sampleStep: string | null;
  /** Seq of the GenEval results compared (null: the first and the last). */
  compareBase: number | null;
  compareWith: number | null;
  /** Sections folded away. */
  closed: string[];
}

export const DEFAULT_SETTINGS: ViewSettings = {
  runId: null,
  smoothing: 0.6,
  logScale: false,
  xAxis: 'step',
  followSamples: true,
  sampleStep: null,
  compareBase: null,
  compareWith: null,
  closed: [],
};

export function readSettings(stored: unknown): ViewSettings {
  const s = typeof stored === 'object' && stored !== null ? (stored as Record<string, unknown>) : {};
  const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const intOrNull = (v: unknown): number | null => (Number.isSafeInteger(v) ? (v as number) : null);
  const bool = (v: unknown, d: boolean): boolean => (typeof v === 'boolean' ? v : d);
  return {
    runId: strOrNull(s['runId']),
    smoothing: typeof s['smoothing'] === 'number' ? clampSmoothing(s['smoothing']) : DEFAULT_SETTINGS.smoothing,
    logScale: bool(s['logScale'], DEFAULT_SETTINGS.logScale),
    xAxis: s['xAxis'] === 'time' ? 'time' : 'step',
    followSamples: bool(s['followSamples'], DEFAULT_SETTINGS.followSamples),
    sampleStep: strOrNull(s['sampleStep']),
    compareBase: intOrNull(s['compareBase']),
    compareWith: intOrNull(s['compareWith']),
    closed: Array.isArray(s['closed']) ? s['closed'].filter((x): x is string => typeof x === 'string') : [],
  };
}
