/**
 * The extension's commands and settings as data, free of `vscode`, so a unit test can hold
 * package.json's "contributes" to them: a command or setting added on one side only fails it.
 */

export const COMMANDS = {
  'unirl.startDaemon': { title: 'Start Daemon', needsDaemon: false },
  'unirl.stopDaemon': { title: 'Stop Daemon', needsDaemon: false },
  'unirl.newRunSpec': { title: 'New Run Spec', needsDaemon: false },
  'unirl.startRun': { title: 'Start Run', needsDaemon: true },
  'unirl.cancelRun': { title: 'Cancel Run', needsDaemon: true },
  'unirl.resumeRun': { title: 'Resume Run', needsDaemon: true },
  'unirl.runGeneval': { title: 'Run GenEval', needsDaemon: true },
  'unirl.openRunFolder': { title: 'Open Run Folder', needsDaemon: true },
  'unirl.showSamples': { title: 'Show Samples', needsDaemon: false },
} as const satisfies Record<string, { title: string; needsDaemon: boolean }>;

export type CommandId = keyof typeof COMMANDS;
export const COMMAND_CATEGORY = 'UniRL';

/** The sidebar's webview view (implemented in webview/); the status bar item focuses it. */
export const SAMPLES_VIEW_ID = 'unirl.samples';

export const BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type Backend = (typeof BACKENDS)[number];
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Settings {
  runsFolder: string;
  autoStart: boolean;
  backend: Backend;
  nodePath: string;
  port: number;
  logLevel: LogLevel;
}

/** Each setting's full key (under "unirl.") and how a raw value becomes a typed one. */
export const SETTINGS: { [K in keyof Settings]: { key: string; parse(raw: unknown): Settings[K] } } = {
  runsFolder: { key: 'runsFolder', parse: (v) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : 'runs') },
  autoStart: { key: 'daemon.autoStart', parse: (v) => (typeof v === 'boolean' ? v : true) },
  backend: { key: 'daemon.backend', parse: (v) => oneOf(BACKENDS, v, 'auto') },
  nodePath: { key: 'daemon.nodePath', parse: (v) => (typeof v === 'string' ? v.trim() : '') },
  port: { key: 'daemon.port', parse: (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535 ? v : 0) },
  logLevel: { key: 'logLevel', parse: (v) => oneOf(LOG_LEVELS, v, 'info') },
};

/** Settings that only a new daemon process picks up. */
export const DAEMON_SETTINGS: readonly (keyof Settings)[] = ['runsFolder', 'backend', 'nodePath', 'port'];

function oneOf<T extends string>(values: readonly T[], v: unknown, fallback: T): T {
  return typeof v === 'string' && (values as readonly string[]).includes(v) ? (v as T) : fallback;
}

export function parseSettings(get: (key: string) => unknown): Settings {
  const out = {} as Record<keyof Settings, unknown>;
  for (const [name, s] of Object.entries(SETTINGS) as [keyof Settings, (typeof SETTINGS)[keyof Settings]][]) out[name] = s.parse(get(s.key));
  return out as Settings;
}
