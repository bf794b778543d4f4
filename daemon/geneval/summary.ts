/**
 * GenEval's aggregation, as evaluation/summary_scores.py: per tag the mean of `correct` over that
 * tag's images, tags in order of first appearance; overall = the unweighted mean of the tag
 * scores; a prompt (grouped by its metadata string, so repeated lines count once) is correct when
 * any of its images is. The text output matches the official one, Python's rounding included.
 */

export interface ResultRow {
  filename: string;
  tag: string;
  prompt: string;
  correct: boolean;
  reason: string;
  /** The prompt's metadata as Python's json.dumps wrote it. */
  metadata: string;
  /** JSON of the kept boxes per class: {class: [[x1, y1, x2, y2, score], ...]}. */
  details: string;
}

export interface TagScore {
  tag: string;
  correct: number;
  total: number;
  score: number;
}

export interface Summary {
  totalImages: number;
  totalPrompts: number;
  correctImagesFraction: number;
  correctPromptsFraction: number;
  tags: TagScore[];
  overall: number;
}

export function summarize(rows: readonly ResultRow[]): Summary {
  if (rows.length === 0) throw new Error('no results to summarise');
  const prompts = new Map<string, boolean>();
  const tags = new Map<string, { correct: number; total: number }>();
  let correctImages = 0;
  for (const row of rows) {
    prompts.set(row.metadata, (prompts.get(row.metadata) ?? false) || row.correct);
    const t = tags.get(row.tag) ?? { correct: 0, total: 0 };
    t.total++;
    if (row.correct) {
      t.correct++;
      correctImages++;
    }
    tags.set(row.tag, t);
  }
  const tagScores = [...tags].map(([tag, t]) => ({ tag, correct: t.correct, total: t.total, score: t.correct / t.total }));
  return {
    totalImages: rows.length,
    totalPrompts: prompts.size,
    correctImagesFraction: correctImages / rows.length,
    correctPromptsFraction: [...prompts.values()].filter(Boolean).length / prompts.size,
    tags: tagScores,
    overall: tagScores.reduce((s, t) => s + t.score, 0) / tagScores.length,
  };
}

/** Python's fixed-point formatting: correctly rounded, exact ties to even. */
export function pythonFixed(value: number, digits: number): string {
  const scale = 10 ** digits;
  const scaled = value * scale;
  const floor = Math.floor(scaled);
  if (scaled - floor === 0.5 && (floor + 0.5) / scale === value) {
    const even = floor % 2 === 0 ? floor : floor + 1;
    return (even / scale).toFixed(digits);
  }
  return value.toFixed(digits);
}

const percent = (x: number): string => `${pythonFixed(x * 100, 2)}%`;

export function formatSummary(s: Summary): string {
  const lines = [
    'Summary',
    '=======',
    `Total images: ${s.totalImages}`,
    `Total prompts: ${s.totalPrompts}`,
    `% correct images: ${percent(s.correctImagesFraction)}`,
    `% correct prompts: ${percent(s.correctPromptsFraction)}`,
    '',
    'Task breakdown',
    '==============',
    ...s.tags.map((t) => `${t.tag.padEnd(16)} = ${percent(t.score)} (${t.correct} / ${t.total})`),
    '',
    `Overall score (avg. over tasks): ${pythonFixed(s.overall, 5)}`,
  ];
  return lines.join('\n');
}

/**
 * The change in overall GenEval between two scorings of the same prompt folders, and its standard
 * error from the images drawn: per prompt, the share of its images correct after minus before;
 * per tag, the variance of that mean difference; overall, as GenEval's unweighted mean of tags.
 * It measures the noise of drawing a few images a prompt (not the spread between training seeds);
 * `promptsPerTag` (the fewest of any tag) says how far to trust it.
 */
export function overallChange(before: readonly ResultRow[], after: readonly ResultRow[]): { change: number; standardError: number; promptsPerTag: number } {
  const perPrompt = (rows: readonly ResultRow[]): Map<string, { tag: string; share: number }> => {
    const counts = new Map<string, { tag: string; correct: number; total: number }>();
    for (const row of rows) {
      // The prompt's folder (…/00012/samples/0003.png) names it; repeated prompt lines stay apart.
      const parts = row.filename.split(/[\\/]/);
      const key = `${row.tag}\n${parts.at(-3) ?? row.metadata}`;
      const c = counts.get(key) ?? { tag: row.tag, correct: 0, total: 0 };
      c.total++;
      if (row.correct) c.correct++;
      counts.set(key, c);
    }
    return new Map([...counts].map(([k, c]) => [k, { tag: c.tag, share: c.correct / c.total }]));
  };
  const [a, b] = [perPrompt(before), perPrompt(after)];
  if (a.size !== b.size || [...a.keys()].some((k) => !b.has(k))) throw new Error('the two GenEval results are not of the same prompt folders');
  const differences = new Map<string, number[]>();
  for (const [key, { tag, share }] of a) differences.set(tag, [...(differences.get(tag) ?? []), b.get(key)!.share - share]);
  let variance = 0;
  for (const d of differences.values()) {
    const mean = d.reduce((s, x) => s + x, 0) / d.length;
    variance += d.length > 1 ? d.reduce((s, x) => s + (x - mean) ** 2, 0) / (d.length - 1) / d.length : 0;
  }
  const promptsPerTag = Math.min(...[...differences.values()].map((d) => d.length));
  return { change: summarize(after).overall - summarize(before).overall, standardError: Math.sqrt(variance) / differences.size, promptsPerTag };
}

/** One run's GenEval against the base's on the same prompt folders. */
export interface RunComparison {
  overall: number;
  tags: Record<string, number>;
  /** overall - the base's, and its standard error from the images drawn (paired by prompt). */
  change: number;
  standardError: number;
}

export interface Comparison {
  /** Tag names in the base's order. */
  tags: string[];
  base: { overall: number; tags: Record<string, number> };
  runs: RunComparison[];
  /** The fewest prompts of any tag (how far the standard errors can be trusted). */
  promptsPerTag: number;
  /**
   * With two or more runs (seeds of one setting): the mean change over them, their spread (sample
   * standard deviation) and the standard error of the mean (spread / sqrt(count)); and per tag the
   * mean change.
   */
  seeds?: { count: number; meanChange: number; spread: number; standardError: number; tagChanges: Record<string, number> };
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * A base's GenEval results against one or more runs' on the same prompt folders: each run's
 * change paired by prompt, and with several runs (seeds) the mean change and its spread, which
 * is what says whether a setting gains (a change smaller than the seeds' spread is no gain).
 */
export function compareResults(base: readonly ResultRow[], runs: readonly (readonly ResultRow[])[]): Comparison {
  if (runs.length === 0) throw new Error('nothing to compare the base with');
  const tagScores = (s: Summary): Record<string, number> => Object.fromEntries(s.tags.map((t) => [t.tag, t.score]));
  const baseSummary = summarize(base);
  const tags = baseSummary.tags.map((t) => t.tag);
  let promptsPerTag = Infinity;
  const compared = runs.map((rows, i) => {
    let paired: ReturnType<typeof overallChange>;
    try {
      paired = overallChange(base, rows);
    } catch (err) {
      throw new Error(`run ${i + 1}: ${(err as Error).message}`, { cause: err });
    }
    promptsPerTag = Math.min(promptsPerTag, paired.promptsPerTag);
    const summary = summarize(rows);
    return { overall: summary.overall, tags: tagScores(summary), change: paired.change, standardError: paired.standardError };
  });
  const comparison: Comparison = { tags, base: { overall: baseSummary.overall, tags: tagScores(baseSummary) }, runs: compared, promptsPerTag };
  if (compared.length >= 2) {
    const changes = compared.map((r) => r.change);
    const meanChange = mean(changes);
    const spread = Math.sqrt(changes.reduce((s, x) => s + (x - meanChange) ** 2, 0) / (changes.length - 1));
    comparison.seeds = {
      count: changes.length,
      meanChange,
      spread,
      standardError: spread / Math.sqrt(changes.length),
      tagChanges: Object.fromEntries(tags.map((t) => [t, mean(compared.map((r) => r.tags[t]! - comparison.base.tags[t]!))])),
    };
  }
  return comparison;
}
