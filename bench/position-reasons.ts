/**
 * What went wrong with the position prompts of a GenEval run, read from the reasons GenEval wrote:
 * right, both objects drawn in the mirror relation ("reversed": the layout another phrasing of the
 * same pair asks for), both drawn in another relation, or an object missing.
 *
 * `npx tsx bench/position-reasons.ts RESULTS.jsonl [RESULTS.jsonl ...]` (the results.jsonl of
 * `unirl eval` or `unirl geneval score`); prints one markdown row per file.
 */
import { readFileSync } from 'node:fs';
import { MIRROR, RELATIONS, type Relation } from '../daemon/world';

const OUTCOMES = ['right', 'reversed', 'another relation', 'object missing'] as const;
type Outcome = (typeof OUTCOMES)[number];

/** The outcome of one position result line, from its verdict and GenEval's reason string. */
function positionOutcome(correct: boolean, reason: string): Outcome {
  if (correct) return 'right';
  if (/expected \w+>=\d+, found/.test(reason)) return 'object missing';
  const relation = /expected \w+ (left of|right of|above|below) target, found (.*) target/.exec(reason);
  if (!relation) return 'another relation';
  const expected = relation[1] as Relation;
  const found = RELATIONS.filter((r) => relation[2]!.split(' and ').includes(r));
  return found.includes(MIRROR[expected]) ? 'reversed' : 'another relation';
}

function main(): void {
  const files = process.argv.slice(2);
  if (files.length === 0) throw new Error('usage: npx tsx bench/position-reasons.ts RESULTS.jsonl [...]');
  process.stdout.write(`| results | position images | ${OUTCOMES.join(' | ')} |\n|---|---|${OUTCOMES.map(() => '---|').join('')}\n`);
  for (const file of files) {
    const counts = new Map<Outcome, number>(OUTCOMES.map((o) => [o, 0]));
    let n = 0;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const r = JSON.parse(line) as { tag: string; correct: boolean; reason: string };
      if (r.tag !== 'position') continue;
      const outcome = positionOutcome(r.correct, r.reason);
      counts.set(outcome, counts.get(outcome)! + 1);
      n++;
    }
    process.stdout.write(`| ${file} | ${n} | ${OUTCOMES.map((o) => (n ? counts.get(o)! / n : 0).toFixed(3)).join(' | ')} |\n`);
  }
}

main();
