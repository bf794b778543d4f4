import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initCompute } from '../compute';
import { detect, detectByTemplate, formatSummary, scoreImageFolder, writeResults, writeTruthImages, type Detector } from '../geneval';
import { loadModel } from '../models';
import { generateGenevalFolder } from '../train';
import { DEFAULT_WORLD } from '../world';
import { UsageError, type Command } from './command';
import { intOption, readMetadataFile, requireOption, SAMPLING_OPTIONS, samplingOptions } from './args';

/** The detectors a score can be asked of by name (without --detector: defaultDetector). */
const DETECTORS: Record<string, Detector> = { template: detectByTemplate, learned: detect };

export const genevalScoreCommand: Command = {
  name: 'geneval score',
  summary: 'score a folder of images in GenEval\'s layout (results.jsonl and the official summary)',
  help: `unirl geneval score --images DIR [--out FILE] [--json] [--detector template|learned]

Scores every image of DIR/<00000>/samples/<0000>.png against DIR/<00000>/metadata.jsonl with the
shapes-world detector and GenEval's rules, writes results.jsonl (the official fields), and prints
the official summary.
  --images DIR  the folder in GenEval's layout
  --out FILE    where to write the results (default DIR/results.jsonl)
  --json        print the summary as JSON instead of text
  --detector D  template or learned (docs/geneval.md); default: the project's judge, the template
                detector until the learned one meets its targets`,
  run(args) {
    const { values } = parseArgs({ args, options: { images: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, detector: { type: 'string' } }, strict: true });
    const dir = requireOption(values.images, 'images');
    const detector = values.detector === undefined ? undefined : DETECTORS[values.detector];
    if (values.detector !== undefined && !detector) throw new UsageError(`--detector: "${values.detector}" is not one of ${Object.keys(DETECTORS).join(', ')}`);
    const { rows, summary } = scoreImageFolder(dir, detector ? { detector } : {});
    const out = values.out ?? join(dir, 'results.jsonl');
    writeResults(out, rows);
    process.stdout.write(values.json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`);
    process.stderr.write(`wrote ${rows.length} results to ${out}\n`);
    return Promise.resolve(0);
  },
};

export const genevalTruthCommand: Command = {
  name: 'geneval truth',
  summary: 'render truth images for a metadata file in GenEval\'s layout (they score 1.0)',
  help: `unirl geneval truth --metadata FILE --out DIR [--n 4] [--seed N] [--canvas N]

For every line of a GenEval metadata file, draws N random scenes that satisfy it and writes them
as DIR/<00000>/samples/<0000>.png with DIR/<00000>/metadata.jsonl. DIR must not exist; it appears
complete or not at all.`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { metadata: { type: 'string' }, out: { type: 'string' }, n: { type: 'string' }, seed: { type: 'string' }, canvas: { type: 'string' } },
      strict: true,
    });
    const metadata = readMetadataFile(requireOption(values.metadata, 'metadata'));
    const outDir = requireOption(values.out, 'out');
    const world = { canvas: intOption(values.canvas, 'canvas', DEFAULT_WORLD.canvas, 16, 1024) };
    await writeTruthImages({
      metadata,
      outDir,
      imagesPerPrompt: intOption(values.n, 'n', 4, 1, 1000),
      seed: intOption(values.seed, 'seed', 0, 0, 2 ** 32 - 1),
      world,
    });
    process.stderr.write(`wrote truth images for ${metadata.length} prompts to ${outDir}\n`);
    return 0;
  },
};

export const genevalGenerateCommand: Command = {
  name: 'geneval generate',
  summary: "generate images for a metadata file with a model checkpoint, in GenEval's layout",
  help: `unirl geneval generate --checkpoint C --metadata M --out DIR [--n 4] [--seed N] [--steps N] [--cfg W] [--temperature T]

Writes DIR/<00000>/metadata.jsonl and DIR/<00000>/samples/<0000>.png for every line of M, ready
for \`unirl geneval score --images DIR\`. DIR must not exist; it appears complete or not at all.`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        checkpoint: { type: 'string' },
        metadata: { type: 'string' },
        out: { type: 'string' },
        n: { type: 'string' },
        seed: { type: 'string' },
        ...SAMPLING_OPTIONS,
      },
      strict: true,
    });
    const metadata = readMetadataFile(requireOption(values.metadata, 'metadata'));
    const outDir = requireOption(values.out, 'out');
    await initCompute();
    const { model } = loadModel(requireOption(values.checkpoint, 'checkpoint'));
    const sampling = samplingOptions(values, model.paradigm);
    const started = Date.now();
    await generateGenevalFolder(model, {
      metadata,
      outDir,
      imagesPerPrompt: intOption(values.n, 'n', 4, 1, 1000),
      sampling,
      seed: intOption(values.seed, 'seed', 0, 0, 2 ** 32 - 1),
      onPrompt: (done, total) => process.stderr.write(`\r${done} / ${total} prompts`),
    });
    process.stderr.write(`\nwrote ${outDir} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return 0;
  },
};
