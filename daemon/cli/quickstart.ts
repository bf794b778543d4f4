import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatSummary, scoreImageFolder, writeResults, writeTruthImages } from '../geneval';
import { defaultPromptSet } from '../util/paths';
import { DEFAULT_WORLD } from '../world';
import type { Command } from './command';
import { readMetadataFile } from './args';

export const quickstartCommand: Command = {
  name: 'quickstart',
  summary: 'the main job on the built-in default: GenEval of truth renders of the default prompt set',
  help: `unirl quickstart [--out DIR]

Renders four truth images for each of the 553 prompts of the default evaluation set
(examples/prompts/shapes-geneval.jsonl), scores them with the shapes-world GenEval, and prints the
official summary: the ceiling every model is measured against (1.0 on every tag).
  --out DIR   where the images and results go (default runs/quickstart-<time>)`,
  async run(args) {
    const { values } = parseArgs({ args, options: { out: { type: 'string' } }, strict: true });
    const out = values.out ?? join('runs', `quickstart-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    const promptFile = defaultPromptSet();
    const metadata = readMetadataFile(promptFile);
    const started = Date.now();
    const images = join(out, 'truth');
    await writeTruthImages({ metadata, outDir: images, imagesPerPrompt: 4, seed: 0, world: DEFAULT_WORLD });
    const { rows, summary } = scoreImageFolder(images);
    writeResults(join(out, 'results.jsonl'), rows);
    process.stdout.write(`GenEval of truth renders of ${promptFile}\n\n${formatSummary(summary)}\n\n`);
    process.stdout.write(`images and results.jsonl in ${out} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    return 0;
  },
};
