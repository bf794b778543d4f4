import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../util/fsx';
import { generatePromptSet, GENEVAL_TAG_COUNTS, pythonJsonDumps, TAGS, type SplitName, type Tag } from '../world';
import { UsageError, type Command } from './command';
import { intOption, requireOption } from './args';

export const promptsCommand: Command = {
  name: 'prompts',
  summary: "write a prompt set in GenEval's format with UniRL's question and answer fields",
  help: `unirl prompts --out FILE [--seed N] [--split heldout|train|all] [--counts A,B,C,D,E,F]

Writes GenEval metadata lines (tag, include, exclude, prompt) with UniRL's question and answer.
  --out FILE    where to write (JSON lines; written atomically)
  --seed N      seed of the draw (default 0)
  --split S     which combinations the compositional tags (two_object, position, color_attr)
                draw from: heldout (the evaluation split, default), train (never a held-out
                combination) or all
  --counts ...  lines per tag in the order ${TAGS.join(', ')}
                (default GenEval's ${TAGS.map((t) => GENEVAL_TAG_COUNTS[t]).join(',')})
The world has few distinct prompts for some tags (6 single-object prompts), so lines repeat to
keep each tag's weight, every combination equally often.`,
  run(args) {
    const { values } = parseArgs({
      args,
      options: { out: { type: 'string' }, seed: { type: 'string' }, split: { type: 'string' }, counts: { type: 'string' } },
      strict: true,
    });
    const out = requireOption(values.out, 'out');
    const seed = intOption(values.seed, 'seed', 0, 0, 2 ** 32 - 1);
    const split = (values.split ?? 'heldout') as SplitName;
    if (!['heldout', 'train', 'all'].includes(split)) throw new UsageError(`--split must be heldout, train or all, got "${split}"`);
    let counts: Partial<Record<Tag, number>> | undefined;
    if (values.counts !== undefined) {
      const parts = values.counts.split(',');
      if (parts.length !== TAGS.length) throw new UsageError(`--counts needs ${TAGS.length} numbers (${TAGS.join(', ')})`);
      counts = Object.fromEntries(TAGS.map((t, i) => [t, intOption(parts[i], 'counts', 0, 0, 100_000)]));
    }
    const lines = generatePromptSet(counts ? { seed, split, counts } : { seed, split });
    writeFileAtomic(out, lines.map((m) => pythonJsonDumps(m)).join('\n') + '\n');
    process.stderr.write(`wrote ${lines.length} prompts (${split} split, seed ${seed}) to ${out}\n`);
    return Promise.resolve(0);
  },
};
