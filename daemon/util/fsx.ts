/**
 * File writes that never leave a half-written file behind (write a temporary sibling, flush it,
 * then rename), and a text read whose failure names the file.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A UTF-8 file's text; a file that cannot be read is an error that names it and why (ENOENT, EACCES, ...). */
export function readTextFile(path: string, shownAs = path): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${shownAs}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
}

export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', mode);
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    // Flushed before the rename, so a crash never leaves the new name pointing at missing data.
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
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
