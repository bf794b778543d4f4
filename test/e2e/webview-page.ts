/**
 * The samples view's page alone in Chromium (no VS Code): dist/webview.js and .css in a page that
 * stands in for the webview (acquireVsCodeApi, a few theme variables), messages posted as the
 * extension would. Quick to start; the real thing is in samples.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { ExtensionToWebview, WebviewToExtension } from '../../schemas/protocol';
import { CHROMIUM, ROOT } from './workbench';
import { scratchDir } from '../scratch';

/** A few of the variables VS Code sets in every webview, from its default themes. */
export const THEMES = {
  dark: {
    class: 'vscode-dark',
    vars: {
      '--vscode-foreground': '#cccccc',
      '--vscode-sideBar-background': '#181818',
      '--vscode-editor-background': '#1f1f1f',
      '--vscode-editorWidget-background': '#202020',
      '--vscode-descriptionForeground': '#9d9d9d',
      '--vscode-focusBorder': '#0078d4',
      '--vscode-widget-border': '#313131',
      '--vscode-button-background': '#0078d4',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-secondaryBackground': '#313131',
      '--vscode-button-secondaryForeground': '#cccccc',
      '--vscode-dropdown-background': '#313131',
      '--vscode-dropdown-foreground': '#cccccc',
      '--vscode-dropdown-border': '#3c3c3c',
      '--vscode-badge-background': '#616161',
      '--vscode-badge-foreground': '#f8f8f8',
      '--vscode-progressBar-background': '#0078d4',
      '--vscode-charts-blue': '#3794ff',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-green': '#89d185',
      '--vscode-charts-purple': '#b180d7',
      '--vscode-charts-red': '#f14c4c',
      '--vscode-charts-yellow': '#cca700',
      '--vscode-errorForeground': '#f85149',
      '--vscode-textBlockQuote-background': '#2b2b2b',
      '--vscode-font-family': 'sans-serif',
      '--vscode-font-size': '13px',
    },
  },
  light: {
    class: 'vscode-light',
    vars: {
      '--vscode-foreground': '#3b3b3b',
      '--vscode-sideBar-background': '#f8f8f8',
      '--vscode-editor-background': '#ffffff',
      '--vscode-editorWidget-background': '#f8f8f8',
      '--vscode-descriptionForeground': '#3b3b3b',
      '--vscode-focusBorder': '#005fb8',
      '--vscode-widget-border': '#e5e5e5',
      '--vscode-button-background': '#005fb8',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-secondaryBackground': '#e5e5e5',
      '--vscode-button-secondaryForeground': '#3b3b3b',
      '--vscode-dropdown-background': '#ffffff',
      '--vscode-dropdown-foreground': '#3b3b3b',
      '--vscode-dropdown-border': '#cecece',
      '--vscode-badge-background': '#cccccc',
      '--vscode-badge-foreground': '#3b3b3b',
      '--vscode-progressBar-background': '#005fb8',
      '--vscode-charts-blue': '#1a85ff',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-green': '#388a34',
      '--vscode-charts-purple': '#652d90',
      '--vscode-charts-red': '#e51400',
      '--vscode-charts-yellow': '#bf8803',
      '--vscode-errorForeground': '#f85149',
      '--vscode-textBlockQuote-background': '#f2f2f2',
      '--vscode-font-family': 'sans-serif',
      '--vscode-font-size': '13px',
    },
  },
} as const;

export type ThemeName = keyof typeof THEMES;

export class ViewPage {
  private constructor(
    private readonly browser: Browser,
    readonly page: Page,
    private readonly dir: string,
  ) {}

  /** `state`: what getState returns (as VS Code hands a view its stored state back). */
  static async open(theme: ThemeName, width = 320, height = 1400, state?: unknown): Promise<ViewPage> {
    const dir = scratchDir('view');
    const t = THEMES[theme];
    const vars = Object.entries(t.vars)
      .map(([k, v]) => `${k}: ${v};`)
      .join(' ');
    const html = `<!DOCTYPE html><html><head><meta charset="utf-8">
<style>html { ${vars} }</style>
<link rel="stylesheet" href="file://${path.join(ROOT, 'dist/webview.css')}">
<script>
  window.__posted = [];
  window.__state = ${JSON.stringify(state ?? null)} ?? undefined;
  window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => window.__state, setState: (s) => { window.__state = s; } });
</script></head>
<body class="${t.class}"><div id="app"></div><script src="file://${path.join(ROOT, 'dist/webview.js')}"></script></body></html>`;
    fs.writeFileSync(path.join(dir, 'view.html'), html);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--allow-file-access-from-files'] });
    const page = await browser.newPage({ viewport: { width, height } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`file://${path.join(dir, 'view.html')}`);
    await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
    if (errors.length > 0) throw new Error(`the page failed: ${errors.join('; ')}`);
    return new ViewPage(browser, page, dir);
  }

  async post(message: ExtensionToWebview): Promise<void> {
    await this.page.evaluate((m) => window.postMessage(m, '*'), message);
  }

  async posted(): Promise<WebviewToExtension[]> {
    return this.page.evaluate(() => (window as unknown as { __posted: WebviewToExtension[] }).__posted);
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
