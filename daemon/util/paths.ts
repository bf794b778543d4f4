/** Where the package's own files are (examples, models, schemas), from the bundle or from the sources. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

let root: string | undefined;

/** The folder holding the project's package.json (dist/ or daemon/... both live under it). */
export function packageRoot(): string {
  if (root) return root;
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'examples'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the UniRL Studio package folder above ${__dirname}`);
    dir = parent;
  }
  root = dir;
  return root;
}

/** The default GenEval prompt set of this world (compositional lines from the held-out split only). */
export const defaultPromptSet = (): string => join(packageRoot(), 'examples', 'prompts', 'shapes-geneval.jsonl');
