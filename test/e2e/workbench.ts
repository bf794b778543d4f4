/**
 * A real VS Code for end-to-end tests: code-server 4.100.3 (installed by setup.sh) in fresh
 * folders, driven through Debian's Chromium with playwright-core. See docs in test/e2e/README.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const CODE_SERVER = path.join(ROOT, '.vscode-test/code-server/node_modules/.bin/code-server');
export const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
export const ARTIFACTS = path.join(ROOT, 'test/artifacts');

export interface Folders {
  userData: string;
  extensions: string;
  config: string;
}

export function folders(base: string): Folders {
  const f = { userData: path.join(base, 'user-data'), extensions: path.join(base, 'extensions'), config: path.join(base, 'config.yaml') };
  fs.mkdirSync(path.join(f.userData, 'User'), { recursive: true });
  fs.mkdirSync(f.extensions, { recursive: true });
  fs.writeFileSync(f.config, 'auth: none\n');
  return f;
}

function baseArgs(f: Folders): string[] {
  return ['--config', f.config, '--user-data-dir', f.userData, '--extensions-dir', f.extensions];
}

/** `code-server --install-extension FILE`: its output (throws on failure). */
export function installExtension(f: Folders, vsix: string): string {
  const result = spawnSync(CODE_SERVER, [...baseArgs(f), '--install-extension', vsix], { encoding: 'utf8', timeout: 120_000 });
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) throw new Error(`installing ${vsix} failed (${String(result.status)}):\n${output}`);
  return output;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export class Workbench {
  private constructor(
    private readonly server: ChildProcess,
    private readonly browser: Browser,
    readonly page: Page,
    private readonly serverLog: string[],
  ) {}

  /** Starts code-server on `workspace` and opens it in Chromium; resolves when the workbench shows. */
  static async open(f: Folders, workspace: string, env: Record<string, string>): Promise<Workbench> {
    const port = await freePort();
    const log: string[] = [];
    const server = spawn(
      CODE_SERVER,
      [...baseArgs(f), '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', workspace],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    server.stdout?.on('data', (d: Buffer) => log.push(d.toString()));
    server.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
      } catch {
        // not listening yet
      }
      if (server.exitCode !== null) throw new Error(`code-server exited:\n${log.join('')}`);
      if (Date.now() > deadline) throw new Error(`code-server did not answer /healthz within 60 s:\n${log.join('')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    return new Workbench(server, browser, page, log);
  }

  /** Runs a command from the palette by its full title ("UniRL: Start Run"). */
  async command(title: string): Promise<void> {
    await this.openPalette();
    await this.page.keyboard.type(title);
    const row = this.page.locator('.quick-input-list .monaco-list-row').first();
    await row.locator('.label-name', { hasText: title }).first().waitFor({ timeout: 10_000 });
    await this.page.keyboard.press('Enter');
  }

  /** Developer: Reload Window (the extension host deactivates and activates again). */
  async reload(): Promise<void> {
    await this.command('Developer: Reload Window');
    await this.page.waitForEvent('load', { timeout: 30_000 });
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  }

  /** Labels of the palette's rows after typing `filter`. */
  async paletteLabels(filter: string): Promise<string[]> {
    await this.openPalette();
    await this.page.keyboard.type(filter);
    await this.page.waitForTimeout(500);
    const labels = await this.page.locator('.quick-input-list .monaco-list-row .label-name').allTextContents();
    await this.page.keyboard.press('Escape');
    return labels.map((l) => l.trim());
  }

  private async openPalette(): Promise<void> {
    await this.page.keyboard.press('F1');
    await this.page.locator('.quick-input-widget .quick-input-box input').waitFor({ state: 'visible', timeout: 10_000 });
  }

  /** Opens a workspace file in an editor through Quick Open. */
  async openFile(name: string): Promise<void> {
    await this.page.keyboard.press('Control+P');
    await this.page.locator('.quick-input-widget .quick-input-box input').waitFor({ state: 'visible' });
    await this.page.keyboard.type(name);
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 10_000 });
    await this.page.keyboard.press('Enter');
    await this.page.locator(`.tabs-container .tab.active[aria-label^="${name}"]`).waitFor({ timeout: 10_000 });
  }

  /** The UniRL status-bar item's text, once it matches. */
  async waitForStatus(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const item = this.page.locator('.statusbar-item', { hasText: /UniRL/ }).first();
    const deadline = Date.now() + timeoutMs;
    let text = '';
    while (Date.now() < deadline) {
      text = ((await item.textContent({ timeout: 5000 }).catch(() => '')) ?? '').trim();
      if (pattern.test(text)) return text;
      await this.page.waitForTimeout(250);
    }
    throw new Error(`the status bar never matched ${String(pattern)}; last text: "${text}"`);
  }

  async screenshot(name: string): Promise<void> {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await this.page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) }).catch(() => undefined);
  }

  serverOutput(): string {
    return this.serverLog.join('');
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    if (this.server.exitCode === null && this.server.pid !== undefined) {
      const exited = new Promise((r) => this.server.once('exit', r));
      process.kill(-this.server.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (this.server.exitCode === null) process.kill(-this.server.pid, 'SIGKILL');
    }
  }
}

/**
 * The end of an end-to-end suite, the same for every file: a last screenshot of the window, the
 * workbench closed, a daemon left running by a failed test killed (it must not outlive the test;
 * `home` holds its connection file) and the suite's folder removed.
 */
export async function tearDown(workbench: Workbench | undefined, o: { screenshot: string; home: string; base: string }): Promise<void> {
  if (workbench) {
    await workbench.screenshot(o.screenshot);
    await workbench.close();
  }
  try {
    const info = JSON.parse(fs.readFileSync(path.join(o.home, 'daemon.json'), 'utf8')) as { pid: number };
    process.kill(info.pid, 'SIGKILL');
  } catch {
    // none running
  }
  fs.rmSync(o.base, { recursive: true, force: true });
}
