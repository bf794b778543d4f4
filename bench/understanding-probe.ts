/**
 * Understanding alone, without generating: each checkpoint's answers to the prompts' questions on
 * rendered truth scenes (exactly `unirl eval`'s understanding table: same scenes for the same seed),
 * and, for the two-object prompts, which of the two objects the answer names: the first, the
 * second, both. An autoregressive model that names a pair's second object from the first name
 * (the partners it saw in training) rather than from the image names the first and not the second.
 *
 * `npx tsx bench/understanding-probe.ts --checkpoint A [--checkpoint B ...] [--metadata FILE] [--n 4] [--seed 0]`
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { initCompute } from '../daemon/compute';
import { loadModel } from '../daemon/models';
import { understandingOnTruth } from '../daemon/train';
import { defaultPromptSet } from '../daemon/util/paths';
import { classesNamed, combinationOf, parseMetadataLines, TAGS } from '../daemon/world';

const { values } = parseArgs({
  options: { checkpoint: { type: 'string', multiple: true, default: [] }, metadata: { type: 'string' }, n: { type: 'string', default: '4' }, seed: { type: 'string', default: '0' } },
  strict: true,
});

async function main(): Promise<void> {
  await initCompute({ backend: 'wasm' });
  const file = values.metadata ?? defaultPromptSet();
  const metadata = parseMetadataLines(readFileSync(file, 'utf8'), file);
  const n = Number(values.n);
  const seed = Number(values.seed);
  const lines = [`| checkpoint | step | understanding | ${TAGS.join(' | ')} | pairs: first named | second named | both |`, '|---|---|---|---|---|---|---|---|---|---|---|---|'];
  for (const checkpoint of values.checkpoint) {
    const { model, info } = loadModel(checkpoint);
    // Which of a two-object prompt's objects each answer names.
    let [first, second, both, total] = [0, 0, 0, 0];
    const result = await understandingOnTruth(model, metadata, n, seed, ({ meta, answer }) => {
      const combo = combinationOf(meta);
      if (combo?.tag !== 'two_object') return;
      const named = new Set<string>(classesNamed(answer));
      first += named.has(combo.first) ? 1 : 0;
      second += named.has(combo.second) ? 1 : 0;
      both += named.has(combo.first) && named.has(combo.second) ? 1 : 0;
      total++;
    });
    const share = (x: number): string => (x / Math.max(1, total)).toFixed(3);
    lines.push(`| ${checkpoint} | ${info.step} | ${result.overall.toFixed(3)} | ${TAGS.map((tag) => result.tags.find((t) => t.tag === tag)?.accuracy.toFixed(3) ?? '-').join(' | ')} | ${share(first)} | ${share(second)} | ${share(both)} |`);
    process.stderr.write(`${lines.at(-1)}\n`);
    model.params.dispose();
  }
  process.stdout.write(`Understanding on ${n} truth scenes a prompt of ${file.replace(/.*examples/, 'examples')} (seed ${seed}); pairs: the two-object prompts' answers that name the prompt's first / second object / both.\n\n${lines.join('\n')}\n`);
}

void main();
