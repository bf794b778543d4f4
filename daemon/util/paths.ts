/** Where the package's own files are (examples, models, native, bench), from the bundle or from the sources. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/**
 * The project's root folder (where package.json lives), found by walking up from this module:
 * the same code runs from daemon/ (tests, tsx) and from dist/ (the bundle).
 */
export function packageRoot(): string {
  if (cached !== undefined) return cached;
  let dir = __dirname;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
        if (pkg.name === 'unirl-studio') return (cached = dir);
      } catch {
        // an unreadable manifest is not ours: keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the unirl-studio package root above ${__dirname}`);
    dir = parent;
  }
}

/** The default GenEval prompt set of this world (compositional lines from the held-out split only). */
export const defaultPromptSet = (): string => join(packageRoot(), 'examples', 'prompts', 'shapes-geneval.jsonl');
