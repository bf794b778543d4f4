/**
 * End to end, inside a real VS Code (code-server 4.100.3 + Chromium): the packaged .vsix installs;
 * the palette lists the commands; a bad spec shows its problems; Start Run on a tiny spec reaches
 * completion in the status bar; Cancel Run cancels a running run; Stop Daemon stops it.
 * Run with `npm run test:e2e` (setup.sh installs code-server; `npm run package` makes the .vsix).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { folders, installExtension, ROOT, tearDown, Workbench, type Folders } from './workbench';
import { scratchDir } from '../scratch';

interface Contributed {
  name: string;
  publisher: string;
  contributes: { commands: { command: string; title: string; category: string }[] };
}
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Contributed;

function newestVsix(): string {
  const dir = path.join(ROOT, 'build');
  const found = (fs.existsSync(dir) ? fs.readdirSync(dir) : [])
    .filter((n) => n.startsWith(`${pkg.name}-`) && n.endsWith('.vsix'))
    .map((n) => path.join(dir, n))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (!found[0]) throw new Error('no .vsix in build/: run `npm run package` first');
  return found[0];
}

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

function runStates(workspace: string): Record<string, string> {
  const runs = path.join(workspace, 'runs');
  const out: Record<string, string> = {};
  for (const id of fs.existsSync(runs) ? fs.readdirSync(runs) : []) {
    const file = path.join(runs, id, 'state.json');
    if (!fs.existsSync(file)) continue;
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; state: string; spec?: { name?: string } };
    out[id] = state.state;
  }
  return out;
}

const base = scratchDir('e2e');
const workspace = path.join(base, 'workspace');
const home = path.join(base, 'unirl-home');
let f: Folders;
let workbench: Workbench | undefined;

function writeSpec(name: string, stage: Record<string, unknown>): void {
  fs.writeFileSync(path.join(workspace, `${name}.unirl.json`), `${JSON.stringify({ name, stages: [stage] }, null, 2)}\n`);
}

describe('the extension in VS Code (code-server)', { timeout: 300_000 }, () => {
  let installOutput = '';

  before(async () => {
    f = folders(path.join(base, 'vscode'));
    installOutput = installExtension(f, newestVsix());
    fs.mkdirSync(path.join(workspace, 'prompts'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'examples/prompts/shapes-geneval.jsonl'), path.join(workspace, 'prompts/shapes.jsonl'));
    writeSpec('bad', { kind: 'geneval', generator: 'truth', metadata: 'prompts/missing.jsonl' });
    writeSpec('tiny', { kind: 'geneval', generator: 'truth', metadata: 'prompts/shapes.jsonl', limit: 20, imagesPerPrompt: 1 });
    // Long enough to cancel while it runs, even after a reload (553 prompts x 32 images, minutes).
    writeSpec('long', { kind: 'geneval', generator: 'truth', imagesPerPrompt: 32 });
    fs.writeFileSync(
      path.join(f.userData, 'User', 'settings.json'),
      JSON.stringify({ 'workbench.startupEditor': 'none', 'workbench.tips.enabled': false, 'telemetry.telemetryLevel': 'off', 'extensions.ignoreRecommendations': true }),
    );
    workbench = await Workbench.open(f, workspace, { UNIRL_HOME: home });
  });

  after(() => tearDown(workbench, { screenshot: 'e2e-last', home, base }));

  it('installs the .vsix, which holds the bundles and no sources, tests or source maps', () => {
    assert.match(installOutput, /successfully installed/);
    const dir = fs.readdirSync(f.extensions).find((n) => n.startsWith(`${pkg.publisher}.${pkg.name}-`));
    assert.ok(dir, `installed extension in ${fs.readdirSync(f.extensions).join(', ')}`);
    const inside = files(path.join(f.extensions, dir));
    for (const bundle of ['dist/extension.js', 'dist/language-server.js', 'dist/unirl.js', 'dist/run-worker.js', 'schemas/unirl-run.schema.json']) assert.ok(inside.includes(bundle), bundle);
    assert.deepEqual(inside.filter((p) => /\.(ts|map)$/.test(p) || /^(test|daemon|extension\/language-server|scratch)\//.test(p)), []);
  });

  it('lists every UniRL command in the palette', async () => {
    const page = workbench!.page;
    // The extension list is ready a few seconds after the page: wait for the view container.
    await page.locator('.activitybar .action-item a[aria-label^="UniRL"]').waitFor({ timeout: 60_000 });
    const labels = await workbench!.paletteLabels('UniRL: ');
    for (const c of pkg.contributes.commands) assert.ok(labels.includes(`${c.category}: ${c.title}`), `"${c.category}: ${c.title}" in [${labels.join(', ')}]`);
  });

  it('shows the problems of a bad spec', async () => {
    await workbench!.openFile('bad.unirl.json');
    const page = workbench!.page;
    await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Control+Shift+M');
    await page.locator('.markers-panel', { hasText: 'metadata file not found' }).waitFor({ timeout: 30_000 });
  });

  it('Start Run on a tiny spec reaches completion, and the status bar says so', async () => {
    await workbench!.openFile('tiny.unirl.json');
    await workbench!.command('UniRL: Start Run');
    await workbench!.waitForStatus(/UniRL: tiny completed/, 120_000);
    assert.deepEqual(Object.values(runStates(workspace)), ['completed']);
    assert.ok(fs.existsSync(path.join(home, 'daemon.json')), 'the extension started a daemon in UNIRL_HOME');
  });

  it('Cancel Run cancels the run going', async () => {
    await workbench!.openFile('long.unirl.json');
    await workbench!.command('UniRL: Start Run');
    await workbench!.waitForStatus(/UniRL: long \d+%/, 60_000);
    await workbench!.command('UniRL: Cancel Run');
    await workbench!.waitForStatus(/UniRL: long cancelled/, 30_000);
    assert.deepEqual(Object.values(runStates(workspace)).sort(), ['cancelled', 'completed']);
    assert.ok(fs.existsSync(path.join(home, 'daemon.json')));
  });

  it('Resume Run runs the cancelled run again', async () => {
    await workbench!.command('UniRL: Resume Run');
    await workbench!.waitForStatus(/UniRL: long \d+%/, 60_000);
    await workbench!.command('UniRL: Cancel Run');
    await workbench!.waitForStatus(/UniRL: long cancelled/, 30_000);
    const events = Object.keys(runStates(workspace)).flatMap((id) =>
      fs.readFileSync(path.join(workspace, 'runs', id, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; state?: string }),
    );
    // queued, running, cancelled, then queued, running, cancelled again: one run, resumed.
    assert.equal(events.filter((e) => e.type === 'state' && e.state === 'cancelled').length, 2);
  });

  it('restarts a daemon that crashed, and shows the crash meanwhile', async () => {
    const before = daemonPid();
    process.kill(before, 'SIGKILL');
    await workbench!.waitForStatus(/UniRL: daemon crashed, restart in \d+ s/, 15_000);
    await workbench!.waitForStatus(/UniRL: long cancelled/, 30_000);
    assert.notEqual(daemonPid(), before);
    process.kill(daemonPid(), 0);
  });

  it('a reload leaves a daemon with a run going, and the new window follows that run', async () => {
    await workbench!.openFile('long.unirl.json');
    await workbench!.command('UniRL: Start Run');
    await workbench!.waitForStatus(/UniRL: long \d+%/, 60_000);
    const before = daemonPid();
    await workbench!.reload();
    await workbench!.waitForStatus(/UniRL: long \d+%/, 60_000);
    assert.equal(daemonPid(), before, 'the same daemon');
    await workbench!.command('UniRL: Cancel Run');
    await workbench!.waitForStatus(/UniRL: long cancelled/, 30_000);
  });

  it('Stop Daemon stops the daemon', async () => {
    const pid = daemonPid();
    await workbench!.command('UniRL: Stop Daemon');
    await workbench!.waitForStatus(/^UniRL$/, 30_000);
    await gone(pid);
  });

  it('a reload stops the daemon this window started when no run is going', async () => {
    await workbench!.command('UniRL: Start Daemon');
    // Connected again: the status shows the last run's outcome.
    await workbench!.waitForStatus(/UniRL: long cancelled/, 30_000);
    const pid = daemonPid();
    await workbench!.reload();
    await gone(pid);
    await workbench!.waitForStatus(/^UniRL$/, 30_000);
  });
});

function daemonPid(): number {
  return (JSON.parse(fs.readFileSync(path.join(home, 'daemon.json'), 'utf8')) as { pid: number }).pid;
}

/** Waits until the daemon's connection file is removed and its process has exited. */
async function gone(pid: number): Promise<void> {
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + 15_000;
  while ((fs.existsSync(path.join(home, 'daemon.json')) || alive()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(!fs.existsSync(path.join(home, 'daemon.json')), 'the connection file is removed');
  assert.ok(!alive(), `the daemon (pid ${pid}) has exited`);
}
