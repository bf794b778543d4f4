import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initCompute } from '../compute';
import { compareResults, detect, detectByTemplate, formatSummary, readResults, scoreImageFolder, writeResults, writeTruthImages, type Comparison, type Detector } from '../geneval';
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

/** A results.jsonl, or a folder holding one (what `unirl eval --out` and `unirl geneval score` write). */
function resultsFile(path: string, name = 'results.jsonl'): string {
  if (!existsSync(path)) throw new UsageError(`${path}: no such file or folder`);
  if (!statSync(path).isDirectory()) return path;
  const file = join(path, name);
  if (!existsSync(file)) {
    throw new UsageError(name === 'results.jsonl' ? `${path}: a folder without results.jsonl (score it first: unirl geneval score --images ${path})` : `${path}: a folder without ${name} (written by unirl eval --out)`);
  }
  return file;
}

const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

/** The comparison as a table, runs as columns, then one line per run and one for the seeds. */
export function formatComparison(c: Comparison, names: readonly string[], measure = 'GenEval'): string {
  const labels = ['base', ...c.runs.map((_, i) => `run ${i + 1}`), ...(c.seeds ? ['mean change'] : [])];
  const width = Math.max(...labels.map((l) => l.length + 2));
  const columns = (cells: string[]): string => cells.map((x) => x.padStart(width)).join('');
  const header = `${measure.padEnd(16)}${columns(labels)}`;
  const row = (name: string, base: number, runs: number[], change: number | undefined): string =>
    `${name.padEnd(16)}${columns([base.toFixed(3), ...runs.map((x) => x.toFixed(3)), ...(change === undefined ? [] : [signed(change)])])}`;
  const lines = [header];
  for (const tag of c.tags) lines.push(row(tag, c.base.tags[tag]!, c.runs.map((r) => r.tags[tag]!), c.seeds?.tagChanges[tag]));
  lines.push(row('overall', c.base.overall, c.runs.map((r) => r.overall), c.seeds?.meanChange));
  lines.push('');
  lines.push(`base: ${names[0]}`);
  c.runs.forEach((r, i) => {
    lines.push(`run ${i + 1}: ${names[i + 1]}: change ${signed(r.change)} ± ${r.standardError.toFixed(3)} (standard error of the images drawn, paired by prompt)`);
  });
  if (c.seeds) {
    const { count, meanChange, spread, standardError } = c.seeds;
    const verdict = Math.abs(meanChange) > 2 * standardError ? 'more than twice its standard error' : 'within the spread of the runs (no measurable change)';
    lines.push(`over the ${count} runs: mean change ${signed(meanChange)}, spread ${spread.toFixed(3)} (standard deviation), standard error ${standardError.toFixed(3)}: ${verdict}`);
  }
  if (c.promptsPerTag < 5) lines.push(`(only ${c.promptsPerTag} prompts in the smallest tag: the standard errors say little)`);
  return lines.join('\n');
}

export const genevalCompareCommand: Command = {
  name: 'geneval compare',
  summary: 'GenEval of runs against their base on the same prompts: changes paired by prompt, mean and spread over seeds',
  help: `unirl geneval compare BASE RUN [RUN ...] [--json]

Compares GenEval results of the same prompt folders: BASE (the model before) against each RUN
(after; several RUNs are read as seeds of one setting). Each is a results.jsonl (this project's
or GenEval's own script's) or a folder holding one (\`unirl eval --out\`, \`unirl geneval score\`).
Prints each tag and overall for every run; each run's change in overall GenEval paired by prompt,
with the standard error of the images drawn; with two or more runs, the mean change, its spread
over the runs (standard deviation) and the standard error of the mean.
  --understanding  compare understanding on truth scenes instead: each folder's understanding.jsonl
                   (\`unirl eval --out\`; the same scenes when the prompts, --n and --seed match),
                   paired by prompt in the same way
  --json           print the comparison as JSON`,
  run(args) {
    const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' }, understanding: { type: 'boolean' } }, allowPositionals: true, strict: true });
    if (positionals.length < 2) throw new UsageError('give a base and at least one run: unirl geneval compare BASE RUN [RUN ...]');
    const [base, ...runs] = positionals.map((p) => readResults(resultsFile(p, values.understanding ? 'understanding.jsonl' : 'results.jsonl')));
    const comparison = compareResults(base!, runs);
    process.stdout.write(values.json ? `${JSON.stringify(comparison)}\n` : `${formatComparison(comparison, positionals, values.understanding ? 'Understanding' : 'GenEval')}\n`);
    return Promise.resolve(0);
  },
};
