/**
 * The samples view's page alone in Chromium, fed a synthetic run (webview-page.ts): it fits the
 * sidebar at any width without a horizontal scroll bar, every control is reachable by keyboard,
 * the settings survive a reload (getState/setState), and a bad message is refused in plain words.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RunSummary } from '../../schemas/protocol';
import { syntheticRun } from '../unit/webview-fixtures';
import { ViewPage } from './webview-page';

const events = syntheticRun();
const run: RunSummary = {
  id: 'r1',
  name: 'synthetic',
  state: 'completed',
  createdAt: '2026-01-01T12:00:00.000Z',
  updatedAt: '2026-01-01T12:01:00.000Z',
  stages: [{ kind: 'geneval' }, { kind: 'grpo' }, { kind: 'geneval' }],
  stage: 2,
  step: 10,
  total: 10,
  lastSeq: events.length,
  lastCheckpoint: null,
  error: null,
};

async function fed(width: number): Promise<ViewPage> {
  const v = await ViewPage.open('dark', width, 900);
  await v.post({ type: 'connection', connected: true });
  await v.post({ type: 'runs', runs: [run] });
  await v.post({ type: 'show', runId: run.id, follow: true });
  for (let i = 0; i < events.length; i += 100) await v.post({ type: 'events', runId: run.id, events: events.slice(i, i + 100) });
  await v.page.locator('.geneval-table').waitFor();
  return v;
}

const pages: ViewPage[] = [];
after(async () => {
  for (const p of pages) await p.close();
});

describe('the samples view page (Chromium, no VS Code)', { timeout: 120_000 }, () => {
  for (const width of [220, 320, 700]) {
    it(`fits a ${width} px wide sidebar`, async () => {
      const v = await fed(width);
      pages.push(v);
      const overflow = await v.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${overflow} px of horizontal overflow`);
      const charts = await v.page.locator('figure.chart').evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().left)));
      assert.ok(charts.length >= 5);
      // Side by side when there is room, one under the other when not.
      assert.equal(new Set(charts).size > 1, width >= 640);
    });
  }

  it('reaches every control with the keyboard', async () => {
    const v = await fed(320);
    pages.push(v);
    const reached = new Set<string>();
    for (let i = 0; i < 80; i++) {
      await v.page.keyboard.press('Tab');
      reached.add(await v.page.evaluate(() => document.activeElement?.id || document.activeElement?.className || document.activeElement?.tagName || ''));
    }
    for (const id of ['run-picker', 'smoothing', 'log-scale', 'x-axis', 'sample-step', 'sample-follow', 'geneval-base', 'geneval-with']) assert.ok(reached.has(id), `${id} in ${[...reached].join(', ')}`);
    assert.ok([...reached].some((c) => c.startsWith('sample ')), 'the samples are buttons');
  });

  it('keeps its settings across a reload, and asks for the run it showed', async () => {
    const v = await fed(320);
    pages.push(v);
    await v.page.locator('#log-scale').check();
    await v.page.locator('#x-axis').selectOption('time');
    await v.page.locator('#run-picker').selectOption(run.id);
    assert.deepEqual((await v.posted()).at(-1), { type: 'select', runId: run.id });
    const state = await v.page.evaluate(() => (window as unknown as { __state: unknown }).__state);
    // What VS Code does when a hidden view shows again: a new page, handed the stored state.
    const again = await ViewPage.open('dark', 320, 900, state);
    pages.push(again);
    assert.deepEqual(await again.posted(), [{ type: 'ready', runId: run.id }]);
    assert.equal(await again.page.locator('#log-scale').isChecked(), true);
    assert.equal(await again.page.locator('#x-axis').inputValue(), 'time');
  });

  it('refuses a malformed message and says why', async () => {
    const v = await fed(320);
    pages.push(v);
    await v.page.evaluate(() => window.postMessage({ type: 'events', runId: 'r1', events: [{ type: 'metric', seq: 'x' }] }, '*'));
    await v.page.locator('.notice.error', { hasText: /refused: message\.events\[0\]\.seq must be an integer/ }).waitFor({ timeout: 5000 });
  });
});
