/** A ValidationContext over the real file system, for the daemon and the CLI. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ValidationContext } from './validate';

/** Files larger than this are not read while validating (a metadata file is a few hundred kB). */
const MAX_READ_BYTES = 64 * 1024 * 1024;

export function nodeContext(specDir: string, workspaceRoot?: string): ValidationContext {
  return {
    specDir: path.resolve(specDir),
    ...(workspaceRoot !== undefined ? { workspaceRoot: path.resolve(workspaceRoot) } : {}),
    fileExists: (p) => {
      try {
        return fs.statSync(p).isFile();
      } catch {
        return false;
      }
    },
    readFile: (p) => {
      try {
        if (fs.statSync(p).size > MAX_READ_BYTES) return undefined;
        return fs.readFileSync(p, 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}
