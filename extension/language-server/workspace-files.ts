/**
 * The workspace's checkpoints and prompt files, for path completion. A bounded walk (folders such
 * as node_modules skipped, symlinks not followed, at most MAX_ENTRIES visited) cached briefly, so
 * a completion in a large workspace stays quick and a new file shows up within seconds.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const SKIP = new Set(['node_modules', '.git', '.hg', '.svn', 'dist', 'out', '.vscode-test', '.unirl']);
const MAX_ENTRIES = 20_000;
const MAX_DEPTH = 12;

export class WorkspaceFiles {
  private cache: { at: number; files: string[] } | undefined;

  constructor(
    private roots: string[],
    private readonly ttlMs = 3000,
  ) {}

  setRoots(roots: string[]): void {
    this.roots = roots;
    this.invalidate();
  }

  invalidate(): void {
    this.cache = undefined;
  }

  /** Absolute paths of files whose name ends with one of `suffixes`, sorted. */
  find(suffixes: readonly string[]): string[] {
    return this.all().filter((f) => suffixes.some((s) => f.endsWith(s)));
  }

  private all(): string[] {
    const now = Date.now();
    if (this.cache && now - this.cache.at < this.ttlMs) return this.cache.files;
    const files: string[] = [];
    let visited = 0;
    const queue: { dir: string; depth: number }[] = this.roots.map((dir) => ({ dir, depth: 0 }));
    while (queue.length > 0 && visited < MAX_ENTRIES) {
      const { dir, depth } = queue.shift()!;
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const entry of entries) {
        if (++visited > MAX_ENTRIES) break;
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (depth < MAX_DEPTH && !SKIP.has(entry.name) && !entry.name.startsWith('.')) queue.push({ dir: full, depth: depth + 1 });
        } else if (entry.isFile()) files.push(full);
      }
    }
    files.sort();
    this.cache = { at: now, files };
    return files;
  }
}
