/**
 * The command table: one handler per command of manifest.ts (the type makes a missing one a
 * compile error). Every handler either does its job or says plainly why not; a thrown error is
 * shown and logged by `register`, never swallowed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ErrorCodes, type RunSummary, type SpecProblem } from '../schemas/protocol';
import { ClientError } from '../daemon/server/client';
import { writeFileAtomic } from '../daemon/util/fsx';
import { UserError, type DaemonManager } from './daemon';
import type { Log } from './log';
import { COMMANDS, SAMPLES_VIEW_ID, type CommandId } from './manifest';
import { isActive, type RunTracker } from './runs';

export interface Context {
  extension: vscode.ExtensionContext;
  daemon: DaemonManager;
  runs: RunTracker;
  log: Log;
}

type Handler = (ctx: Context, ...args: unknown[]) => Promise<unknown>;

const EXCLUDE = '{**/node_modules/**,**/.git/**,**/dist/**}';

export const HANDLERS: Record<CommandId, Handler> = {
  'unirl.startDaemon': async ({ daemon }) => {
    const { alreadyRunning, info } = await daemon.start();
    void vscode.window.showInformationMessage(
      alreadyRunning ? `UniRL: the daemon is already running (pid ${info.pid}, port ${info.port}).` : `UniRL: daemon started (pid ${info.pid}, port ${info.port}).`,
    );
    return info;
  },

  'unirl.stopDaemon': async ({ daemon, runs }) => {
    if (daemon.status.kind !== 'running') {
      void vscode.window.showInformationMessage('UniRL: the daemon is not running.');
      return false;
    }
    const going = runs.list().filter(isActive);
    if (going.length > 0) {
      const answer = await vscode.window.showWarningMessage(
        `${going.length} run(s) are queued or running (${going.map((r) => r.name).join(', ')}). Stopping the daemon interrupts them; they resume when it starts again.`,
        { modal: true },
        'Stop Daemon',
      );
      if (answer !== 'Stop Daemon') return false;
    }
    await daemon.stop();
    void vscode.window.showInformationMessage('UniRL: daemon stopped.');
    return true;
  },

  'unirl.newRunSpec': async ({ extension, daemon }) => {
    const templates = readTemplates(path.join(extension.extensionPath, 'examples'));
    if (templates.length === 0) throw new UserError('No run spec templates were found in the extension (its examples folder is empty).');
    const template = await vscode.window.showQuickPick(
      templates.map((t) => ({ label: t.name, ...(t.description !== undefined ? { detail: t.description } : {}), template: t })),
      { title: 'UniRL: New Run Spec', placeHolder: 'Start from an example' },
    );
    if (!template) return undefined;
    const active = vscode.window.activeTextEditor?.document.uri;
    const folder = active?.scheme === 'file' && active.path.endsWith('.unirl.json') ? path.dirname(active.fsPath) : daemon.workspaceRoot();
    const name = await vscode.window.showInputBox({
      title: 'UniRL: New Run Spec',
      prompt: `File name, in ${folder}`,
      value: `${template.template.name}.unirl.json`,
      validateInput: (v) =>
        !/^[A-Za-z0-9][A-Za-z0-9._-]*\.unirl\.json$/.test(v) ? 'A name like my-run.unirl.json (letters, digits, dot, dash, underscore)' : fs.existsSync(path.join(folder, v)) ? 'That file exists already' : undefined,
    });
    if (!name) return undefined;
    const file = path.join(folder, name);
    const spec = specFromTemplate(template.template.spec, path.dirname(template.template.file), folder, name.replace(/\.unirl\.json$/, ''));
    writeFileAtomic(file, `${JSON.stringify(spec, null, 2)}\n`);
    await vscode.window.showTextDocument(vscode.Uri.file(file));
    return file;
  },

  'unirl.startRun': async ({ daemon, runs }, arg) => {
    const uri = arg instanceof vscode.Uri ? arg : activeSpec() ?? (await pickSpec());
    if (!uri) return undefined;
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open?.isDirty && !(await open.save())) throw new UserError(`Could not save ${uri.fsPath}; the run was not started.`);
    await daemon.ensure();
    const root = servedRoot(daemon);
    const relative = path.relative(root, uri.fsPath);
    if (relative.startsWith('..') || path.isAbsolute(relative)) throw new UserError(`${uri.fsPath} is outside the folder the daemon serves (${root}); move it into that folder.`);
    const run = await submit(daemon, { specPath: relative.split(path.sep).join('/') }, path.basename(uri.fsPath));
    if (run) runs.update(run);
    return run;
  },

  'unirl.cancelRun': async ({ daemon, runs }, arg) => {
    const run = await pickRun(daemon, arg, isActive, 'Cancel which run?', 'No run is queued or running.');
    if (!run) return undefined;
    const cancelled = await daemon.request('runs/cancel', { runId: run.id });
    runs.update(cancelled);
    void vscode.window.showInformationMessage(`UniRL: run ${cancelled.name} ${cancelled.state}.`);
    return cancelled;
  },

  'unirl.resumeRun': async ({ daemon, runs }, arg) => {
    const resumable = (r: RunSummary): boolean => r.state === 'cancelled' || r.state === 'failed' || r.state === 'interrupted';
    const run = await pickRun(daemon, arg, resumable, 'Resume which run?', 'No run can be resumed (only cancelled, failed or interrupted runs can).');
    if (!run) return undefined;
    const resumed = await daemon.request('runs/resume', { runId: run.id });
    runs.update(resumed);
    const from = resumed.lastCheckpoint ? ` from its checkpoint at stage ${resumed.lastCheckpoint.stage}, step ${resumed.lastCheckpoint.step}` : ' from the start';
    void vscode.window.showInformationMessage(`UniRL: run ${resumed.name} queued again${from}.`);
    return resumed;
  },

  'unirl.runGeneval': async ({ daemon, runs }) => {
    await daemon.ensure();
    const root = servedRoot(daemon);
    const relative = (u: vscode.Uri): string => path.relative(root, u.fsPath).split(path.sep).join('/');
    const inRoot = (u: vscode.Uri): boolean => !relative(u).startsWith('..');
    const checkpoints = (await vscode.workspace.findFiles('**/*.safetensors', EXCLUDE, 500)).filter(inRoot);
    const model = await vscode.window.showQuickPick(
      [
        { label: '$(symbol-color) Truth images', description: 'rendered ground truth: the evaluator\'s upper bound', path: undefined },
        ...checkpoints.map((u) => ({ label: relative(u), description: 'checkpoint', path: relative(u) })),
      ],
      { title: 'UniRL: Run GenEval (1/2)', placeHolder: 'Which images: a checkpoint\'s, or the rendered truth?' },
    );
    if (!model) return undefined;
    const promptFiles = (await vscode.workspace.findFiles('**/*.jsonl', EXCLUDE, 500)).filter(inRoot);
    const prompts = await vscode.window.showQuickPick(
      [
        { label: '$(list-unordered) Evaluation prompts', description: 'the world\'s held-out prompt set, generated', path: undefined },
        ...promptFiles.map((u) => ({ label: relative(u), description: 'GenEval metadata file', path: relative(u) })),
      ],
      { title: 'UniRL: Run GenEval (2/2)', placeHolder: 'Which prompts?' },
    );
    if (!prompts) return undefined;
    const base = model.path === undefined ? 'truth' : path.basename(model.path, '.safetensors');
    const spec = {
      name: `geneval-${base}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64),
      description: `GenEval of ${model.path ?? 'truth images'} on ${prompts.path ?? 'the evaluation prompts'}`,
      ...(model.path !== undefined ? { model: { checkpoint: model.path } } : {}),
      stages: [{ kind: 'geneval', generator: model.path === undefined ? 'truth' : 'model', ...(prompts.path !== undefined ? { metadata: prompts.path } : {}) }],
    };
    const run = await submit(daemon, { spec }, spec.name);
    if (run) runs.update(run);
    return run;
  },

  'unirl.openRunFolder': async ({ daemon }, arg) => {
    const run = await pickRun(daemon, arg, () => true, 'Open the folder of which run?', 'There are no runs yet: start one with "UniRL: Start Run".');
    if (!run) return undefined;
    if (daemon.status.kind !== 'running') throw new UserError('The UniRL daemon stopped; start it again to find the run folder.');
    const folder = vscode.Uri.file(path.join(daemon.status.init.runsDir, run.id));
    if (vscode.workspace.getWorkspaceFolder(folder)) {
      await vscode.commands.executeCommand('revealInExplorer', folder);
    } else {
      await vscode.commands.executeCommand('vscode.openFolder', folder, { forceNewWindow: true });
    }
    return folder.fsPath;
  },

  'unirl.showSamples': async () => {
    await vscode.commands.executeCommand(`${SAMPLES_VIEW_ID}.focus`);
  },
};

/** Registers every command, each wrapped so that a failure is shown and logged. */
export function registerCommands(ctx: Context): vscode.Disposable[] {
  return (Object.keys(HANDLERS) as CommandId[]).map((id) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await HANDLERS[id](ctx, ...args);
      } catch (err) {
        const message = err instanceof UserError ? err.message : `${COMMANDS[id].title} failed: ${(err as Error).message}`;
        ctx.log.error(`${id}: ${err instanceof UserError ? message : ((err as Error).stack ?? message)}`);
        void vscode.window.showErrorMessage(`UniRL: ${message}`, 'Show Log').then((choice) => {
          if (choice) ctx.log.channel.show(true);
        });
        return undefined;
      }
    }),
  );
}

function servedRoot(daemon: DaemonManager): string {
  if (daemon.status.kind !== 'running') throw new UserError('The UniRL daemon is not running.');
  return daemon.status.info.workspaceRoot;
}

/** Submits a spec; a spec with errors is reported with its problems (and the Problems view), not thrown. */
async function submit(daemon: DaemonManager, params: { spec?: unknown; specPath?: string }, what: string): Promise<RunSummary | undefined> {
  try {
    const run = await daemon.request('runs/submit', params);
    void vscode.window.showInformationMessage(`UniRL: run ${run.name} queued (${run.id}).`, 'Show Samples').then((choice) => {
      if (choice) void vscode.commands.executeCommand('unirl.showSamples');
    });
    return run;
  } catch (err) {
    if (!(err instanceof ClientError && err.code === ErrorCodes.InvalidSpec)) throw err;
    const problems = ((err.data as { problems?: SpecProblem[] } | undefined)?.problems ?? []).filter((p) => p.severity === 'error');
    const first = problems[0];
    const detail = first ? ` ${first.pointer || '/'}: ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}` : '';
    const choice = await vscode.window.showErrorMessage(`UniRL: ${what} has errors; the run was not started.${detail}`, 'Show Problems');
    if (choice) await vscode.commands.executeCommand('workbench.actions.view.problems');
    return undefined;
  }
}

function activeSpec(): vscode.Uri | undefined {
  const uri = vscode.window.activeTextEditor?.document.uri;
  return uri?.scheme === 'file' && uri.path.endsWith('.unirl.json') ? uri : undefined;
}

async function pickSpec(): Promise<vscode.Uri | undefined> {
  const specs = await vscode.workspace.findFiles('**/*.unirl.json', EXCLUDE, 500);
  if (specs.length === 0) throw new UserError('There is no *.unirl.json spec in the workspace: create one with "UniRL: New Run Spec".');
  const picked = await vscode.window.showQuickPick(
    specs.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { title: 'UniRL: Start Run', placeHolder: 'Which spec?' },
  );
  return picked?.uri;
}

/** The run named by a command argument (a run id), the only candidate, or the user's pick. */
async function pickRun(daemon: DaemonManager, arg: unknown, eligible: (r: RunSummary) => boolean, question: string, none: string): Promise<RunSummary | undefined> {
  const { runs } = await daemon.request('runs/list');
  if (typeof arg === 'string') {
    const run = runs.find((r) => r.id === arg);
    if (!run) throw new UserError(`There is no run ${arg}.`);
    if (!eligible(run)) throw new UserError(`Run ${run.name} is ${run.state}: not possible for this command.`);
    return run;
  }
  const candidates = runs.filter(eligible);
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(`UniRL: ${none}`);
    return undefined;
  }
  if (candidates.length === 1) return candidates[0];
  const picked = await vscode.window.showQuickPick(
    candidates.map((run) => ({ label: run.name, description: run.state, detail: `${run.id} · created ${run.createdAt}`, run })),
    { placeHolder: question },
  );
  return picked?.run;
}

interface Template {
  file: string;
  name: string;
  description: string | undefined;
  spec: Record<string, unknown>;
}

function readTemplates(dir: string): Template[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.unirl.json')).sort();
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const file = path.join(dir, n);
    try {
      const spec = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      const name = typeof spec['name'] === 'string' ? spec['name'] : n.replace(/\.unirl\.json$/, '');
      return [{ file, name, description: typeof spec['description'] === 'string' ? spec['description'] : undefined, spec }];
    } catch {
      return [];
    }
  });
}

/**
 * A template copied to a new place: its own name, no $schema (contributes.jsonValidation covers
 * *.unirl.json), and file fields re-pointed from the new folder, or dropped when the file is not
 * reachable from there (the stage's default applies; the editor flags a field that must be set).
 */
export function specFromTemplate(spec: Record<string, unknown>, fromDir: string, toDir: string, name: string): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(spec)) as Record<string, unknown>;
  delete copy['$schema'];
  copy['name'] = name.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
  const repoint = (holder: Record<string, unknown>, key: string): void => {
    const value = holder[key];
    if (typeof value !== 'string') return;
    const absolute = path.resolve(fromDir, value);
    if (fs.existsSync(path.resolve(toDir, value))) return;
    const relative = path.relative(toDir, absolute);
    if (fs.existsSync(absolute) && !relative.startsWith('..')) holder[key] = relative.split(path.sep).join('/');
    else delete holder[key];
  };
  if (typeof copy['heldOut'] === 'string') repoint(copy, 'heldOut');
  const model = copy['model'];
  if (model && typeof model === 'object') repoint(model as Record<string, unknown>, 'checkpoint');
  const stages = copy['stages'];
  if (Array.isArray(stages)) for (const stage of stages) if (stage && typeof stage === 'object') repoint(stage as Record<string, unknown>, 'metadata');
  return copy;
}
