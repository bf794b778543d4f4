/**
 * End to end, the samples view inside a real VS Code (code-server 4.100.3 + Chromium): during a
 * small GenEval run the curves grow and sample images appear; the step slider changes the grid; a
 * click enlarges a sample; the GenEval results show their table; the page reacts to a theme
 * switch. Screenshots (dark, light, high contrast) go to test/artifacts/ (ignored by git).
 * Run with `npm run test:e2e` (setup.sh installs code-server; `npm run package` makes the .vsix).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { ARTIFACTS, folders, installExtension, ROOT, tearDown, Workbench, type Folders } from './workbench';
import { scratchDir } from '../scratch';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; publisher: string };

function newestVsix(): string {
  const dir = path.join(ROOT, 'build');
  const found = (fs.existsSync(dir) ? fs.readdirSync(dir) : [])
    .filter((n) => n.startsWith(`${pkg.name}-`) && n.endsWith('.vsix'))
    .map((n) => path.join(dir, n))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (!found[0]) throw new Error('no .vsix in build/: run `npm run package` first');
  return found[0];
}

const base = scratchDir('e2e-samples');
const workspace = path.join(base, 'workspace');
const home = path.join(base, 'unirl-home');
let f: Folders;
let workbench: Workbench | undefined;
/** Console lines of the page and its frames that speak of the Content-Security-Policy. */
const cspReports: string[] = [];

const THEMES = { dark: 'Default Dark Modern', light: 'Default Light Modern', hc: 'Default High Contrast' } as const;

function writeSettings(theme: keyof typeof THEMES): void {
  fs.writeFileSync(
    path.join(f.userData, 'User', 'settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.ignoreRecommendations': true,
      'workbench.colorTheme': THEMES[theme],
    }),
  );
}

/** Switches the colour theme the way a user does: the palette's "Preferences: Color Theme". */
async function setTheme(theme: keyof typeof THEMES): Promise<void> {
  const page = workbench!.page;
  await page.keyboard.press('F1');
  await page.locator('.quick-input-widget .quick-input-box input').waitFor({ state: 'visible', timeout: 10_000 });
  await page.keyboard.type('Preferences: Color Theme');
  // Not the first row: "Browse Color Themes in Marketplace" sorts above it.
  await page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: /^Preferences: Color Theme$/ }) }).click({ timeout: 10_000 });
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(THEMES[theme]);
  // The row shows the theme's label ("Light Modern") with its id ("Default Light Modern") beside it.
  await page.locator('.quick-input-list .monaco-list-row', { hasText: THEMES[theme] }).first().click({ timeout: 10_000 });
}

/** The view's page: the webview iframe of this extension, then its inner frame. */
function view(): FrameLocator {
  return workbench!.page.frameLocator(`iframe[src*="extensionId=${pkg.publisher}.${pkg.name}"]`).frameLocator('iframe#active-frame');
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read().catch(() => undefined as T);
    if (last !== undefined && ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}

/** Screenshots of the view alone, top to bottom, and of the whole window. */
async function shots(name: string): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await workbench!.screenshot(`samples-${name}-window`);
  const frame = workbench!.page.locator(`iframe[src*="extensionId=${pkg.publisher}.${pkg.name}"]`);
  for (const section of ['curves', 'samples', 'geneval']) {
    await view().locator(`#section-${section}`).evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await workbench!.page.waitForTimeout(300);
    await frame.screenshot({ path: path.join(ARTIFACTS, `samples-${name}-${section}.png`) });
  }
  await view().locator('body').evaluate(() => window.scrollTo(0, 0));
}

describe('the samples view in VS Code (code-server)', { timeout: 300_000 }, () => {
  before(async () => {
    f = folders(path.join(base, 'vscode'));
    installExtension(f, newestVsix());
    fs.mkdirSync(path.join(workspace, 'prompts'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'examples/prompts/shapes-geneval.jsonl'), path.join(workspace, 'prompts/shapes.jsonl'));
    // A short GenEval, then a long one: two results to compare, and a curve that grows for a while.
    const stage = { kind: 'geneval', generator: 'truth', metadata: 'prompts/shapes.jsonl', checkpointEvery: 10, samplesEvery: 10 };
    fs.writeFileSync(
      path.join(workspace, 'grow.unirl.json'),
      JSON.stringify({ name: 'grow', stages: [{ ...stage, limit: 60, imagesPerPrompt: 1 }, { ...stage, imagesPerPrompt: 8 }] }, null, 2),
    );
    writeSettings('dark');
    workbench = await Workbench.open(f, workspace, { UNIRL_HOME: home });
    workbench.page.on('console', (m) => {
      if (/Content.Security.Policy/i.test(m.text())) cspReports.push(m.text());
    });
  });

  after(() => tearDown(workbench, { screenshot: 'samples-last', home, base }));

  it('opens from the activity bar and says that no daemon runs yet', async () => {
    const page = workbench!.page;
    const item = page.locator('.activitybar .action-item a[aria-label^="UniRL"]');
    await item.waitFor({ timeout: 60_000 });
    await item.click();
    await view().locator('.run-header').waitFor({ timeout: 60_000 });
    await view().locator('.notice', { hasText: /daemon is not running/ }).waitFor({ timeout: 30_000 });
  });

  it('during a run, shows the curves growing and the sample images appearing', async () => {
    await workbench!.openFile('grow.unirl.json');
    await workbench!.command('UniRL: Start Run');
    const v = view();
    await v.locator('.badge', { hasText: 'running' }).waitFor({ timeout: 60_000 });
    const chart = v.locator('figure.chart[data-chart="geneval"]');
    const points = async (): Promise<{ points: number; state: string }> => ({
      points: Number((await chart.getAttribute('data-points', { timeout: 1000 })) ?? 0),
      state: (await v.locator('.badge').textContent({ timeout: 1000 })) ?? '',
    });
    const first = await until(points, (p) => p.points > 0 && p.state === 'running', 'the first points of the curve');
    const later = await until(points, (p) => p.points > first.points, 'the curve to grow');
    assert.equal(later.state, 'running', `the curve grew from ${first.points} to ${later.points} points while the run was running`);
    await v.locator('.samples .sample img').first().waitFor({ timeout: 30_000 });
    const images = await v.locator('.samples .sample img').count();
    assert.ok(images > 0);
    // Each image is a blob: URL that the page decoded (a broken image has no natural width).
    const width = await v.locator('.samples .sample img').first().evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth);
    assert.ok(typeof width === 'number' && width > 0, `image decoded (${String(width)} px wide)`);
    await shots('dark-running');
  });

  it('moves the samples grid with the step slider, and enlarges a sample', async () => {
    const v = view();
    await v.locator('.badge', { hasText: 'completed' }).waitFor({ timeout: 180_000 });
    const grid = v.locator('.samples');
    const lastStep = await grid.getAttribute('data-step');
    const firstSeq = await v.locator('.samples .sample').first().getAttribute('data-seq');
    const slider = v.locator('#sample-step');
    await slider.focus();
    await workbench!.page.keyboard.press('Home');
    await until(() => grid.getAttribute('data-step'), (s) => s !== lastStep, 'the grid to show another step');
    const afterSeq = await v.locator('.samples .sample').first().getAttribute('data-seq');
    assert.notEqual(afterSeq, firstSeq, 'other images');
    assert.equal(await v.locator('#sample-follow').isChecked(), false, 'moving the slider stops following');
    assert.match((await v.locator('.step-label').textContent()) ?? '', /\(1\//);
    await workbench!.page.keyboard.press('ArrowRight');
    await until(() => v.locator('.step-label').textContent(), (t) => /\(2\//.test(t ?? ''), 'the next step');

    // Keyboard: Enter on a sample opens it larger, Escape closes.
    await v.locator('.samples .sample').first().focus();
    await workbench!.page.keyboard.press('Enter');
    await v.locator('dialog.enlarged[open] img.large').waitFor({ timeout: 10_000 });
    const big = await v.locator('dialog.enlarged img.large').evaluate((img: HTMLImageElement) => ({ w: img.getBoundingClientRect().width, natural: img.naturalWidth, rendering: getComputedStyle(img).imageRendering }));
    assert.ok(big.w > big.natural * 2, `upscaled: ${big.w} px for ${big.natural}`);
    assert.equal(big.rendering, 'pixelated');
    await workbench!.page.keyboard.press('Escape');
    await v.locator('dialog.enlarged[open]').waitFor({ state: 'detached', timeout: 10_000 }).catch(async () => {
      assert.equal(await v.locator('dialog.enlarged[open]').count(), 0);
    });
  });

  it('shows the GenEval results as a table, base vs the later evaluation', async () => {
    const v = view();
    const table = v.locator('.geneval-table');
    await table.waitFor({ timeout: 30_000 });
    const rows = await table.locator('tbody tr th').allTextContents();
    assert.equal(rows[0], 'overall');
    assert.ok(rows.length >= 3, `tags: ${rows.join(', ')}`);
    const head = await table.locator('thead th').allTextContents();
    assert.deepEqual(head.slice(0, 4), ['tag', 'base %', 'vs %', 'Δ pts']);
    assert.equal(await table.locator('tbody tr').first().locator('td').first().textContent(), '100', 'truth images score 100%');
    await shots('dark');
  });

  it('keeps its settings and its run across hide and show', async () => {
    const page = workbench!.page;
    const v = view();
    await v.locator('#log-scale').check();
    const label = await v.locator('.step-label').textContent();
    // Another view container replaces ours (the webview's page is destroyed), then ours comes back.
    await page.locator('.activitybar .action-item a[aria-label^="Explorer"]').click();
    await until(() => page.locator(`iframe[src*="extensionId=${pkg.publisher}.${pkg.name}"]`).count(), (n) => n === 0, 'the page of the view to go', 10_000);
    await page.locator('.activitybar .action-item a[aria-label^="UniRL"]').click();
    await v.locator('.geneval-table').waitFor({ timeout: 30_000 });
    assert.equal(await v.locator('#log-scale').isChecked(), true);
    await until(() => v.locator('.step-label').textContent(), (t) => t === label, `the same samples step (${String(label)})`, 15_000);
    assert.ok((await v.locator('.samples .sample img').count()) > 0);
    await v.locator('#log-scale').uncheck();
  });

  it('follows a theme switch (light, then high contrast)', async () => {
    const v = view();
    const colour = (): Promise<string> => v.locator('body').evaluate((b) => getComputedStyle(b).backgroundColor);
    const dark = await colour();
    await setTheme('light');
    await until(() => v.locator('body').getAttribute('class'), (c) => /vscode-light/.test(c ?? ''), 'the light theme');
    assert.notEqual(await colour(), dark);
    await workbench!.page.waitForTimeout(500);
    await shots('light');
    await setTheme('hc');
    await until(() => v.locator('body').getAttribute('class'), (c) => /vscode-high-contrast/.test(c ?? ''), 'the high-contrast theme');
    await workbench!.page.waitForTimeout(500);
    await shots('hc');
  });

  it('ran under its Content-Security-Policy without a violation, and refused no message', async () => {
    assert.deepEqual(cspReports, []);
    assert.equal(await view().locator('.notice.error:not([hidden])').count(), 0);
  });
});
