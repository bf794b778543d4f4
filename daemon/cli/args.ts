/** Small helpers shared by the CLI commands for reading option values. */
import { readTextFile } from '../util/fsx';
import { UsageError } from './command';
import type { Paradigm } from '../models/config';
import { DEFAULT_SAMPLING, type SamplingConfig } from '../train/evaluate';
import { parseMetadataLines, type Metadata } from '../world/metadata';

export function intOption(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

export function requireOption(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

export function readMetadataFile(path: string): Metadata[] {
  return parseMetadataLines(readTextFile(path), path);
}

export function numberOption(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${value}"`);
  return n;
}

/** The parseArgs options every command that samples images takes. */
export const SAMPLING_OPTIONS = { steps: { type: 'string' }, cfg: { type: 'string' }, temperature: { type: 'string' } } as const;

/** --steps, --cfg and --temperature over the paradigm's defaults (ranges as the run-spec schema's). */
export function samplingOptions(values: { steps?: string | undefined; cfg?: string | undefined; temperature?: string | undefined }, paradigm: Paradigm): SamplingConfig {
  const d = DEFAULT_SAMPLING[paradigm];
  return {
    steps: intOption(values.steps, 'steps', d.steps, 1, 1024),
    cfg: numberOption(values.cfg, 'cfg', d.cfg, 0, 100),
    temperature: numberOption(values.temperature, 'temperature', d.temperature, 0, 10),
  };
}
