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
