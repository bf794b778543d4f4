/**
 * Scratch folders for tests: each under the system's temp folder, removed when the test process
 * exits (node --test runs every file in its own process), so a test run leaves nothing behind.
 * UNIRL_KEEP_TEST_FILES=1 keeps them, to look at what a failing test wrote.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

process.on('exit', () => {
  if (process.env['UNIRL_KEEP_TEST_FILES'] === '1') return;
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A new empty folder named unirl-PREFIX-XXXXXX, removed at exit. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `unirl-${prefix}-`));
  made.push(dir);
  return dir;
}
