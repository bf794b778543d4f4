/** File writes that never leave a half-written file behind: write a temporary sibling, then rename. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function writeFileAtomic(path: string, data: string | Uint8Array, mode?: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, data, mode === undefined ? {} : { mode });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Fills a folder completely or not at all: `fill` writes into a temporary sibling folder, which
 * is renamed into place only when it returns; on failure the temporary folder is removed.
 * The target must not exist yet (a folder of results is never overwritten by accident).
 */
export async function writeFolderAtomic(path: string, fill: (tmpDir: string) => Promise<void> | void): Promise<void> {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.partial`);
  mkdirSync(tmp, { recursive: true });
  try {
    await fill(tmp);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
