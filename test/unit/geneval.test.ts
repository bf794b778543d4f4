import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  evaluateDetections,
  formatSummary,
  keepDetections,
  compareResults,
  overallChange,
  pythonFixed,
  readImageFolder,
  readResults,
  scoreImageFolder,
  summarize,
  writeResults,
  writeTruthImages,
  type Detection,
  type ResultRow,
} from '../../daemon/geneval';
import { encodePng } from '../../daemon/util/png';
import {
  DEFAULT_WORLD,
  generatePromptSet,
  metadataFor,
  relationsBetween,
  renderScene,
  type Box,
  type ColorName,
  type Metadata,
  type ShapeClass,
} from '../../daemon/world';
import { scratchDir } from '../scratch';

const scratch = scratchDir('geneval');

function det(cls: ShapeClass, box: Box, score = 1, color: ColorName = 'red'): Detection {
  return { class: cls, color, box, score, area: 1 };
}

describe("GenEval's position rule", () => {
  it('finds the relation past the 0.1 margin and 0.5 cut', () => {
    // A 10 px box whose centre is 20 px left of B's: revised dx = -(20 - 0.1 * 20) = -18, |offset| = 20.
    assert.deepEqual([...relationsBetween([0, 10, 10, 20], [20, 10, 30, 20])], ['left of']);
    assert.deepEqual([...relationsBetween([20, 10, 30, 20], [0, 10, 10, 20])], ['right of']);
    assert.deepEqual([...relationsBetween([10, 0, 20, 10], [10, 20, 20, 30])], ['above']);
    assert.deepEqual([...relationsBetween([10, 20, 20, 30], [10, 0, 20, 10])], ['below']);
    // Diagonal by equal amounts: both components are 0.64 of the offset, so both relations hold.
    assert.deepEqual([...relationsBetween([0, 0, 10, 10], [20, 20, 30, 30])].sort(), ['above', 'left of']);
  });
  it('holds no relation when the offset is within the margin', () => {
    // Offset 1.5 px on x, sizes 10 + 10: 1.5 - 0.1 * 20 < 0 on both axes.
    assert.equal(relationsBetween([0, 0, 10, 10], [1.5, 0, 11.5, 10]).size, 0);
    assert.equal(relationsBetween([0, 0, 10, 10], [0, 0, 10, 10]).size, 0);
  });
  it('fails a position prompt when any pair breaks the relation, and when the target group did not match', () => {
    const meta = metadataFor({ tag: 'position', subject: 'circle', relation: 'left of', target: 'square' });
    const good = new Map([
      ['square', [det('square', [20, 10, 30, 20])]],
      ['circle', [det('circle', [0, 10, 10, 20])]],
    ] as const);
    assert.deepEqual(evaluateDetections(new Map(good), meta), { correct: true, reason: '' });
    const bad = new Map([
      ['square', [det('square', [0, 10, 10, 20])]],
      ['circle', [det('circle', [20, 10, 30, 20])]],
    ] as const);
    assert.deepEqual(evaluateDetections(new Map(bad), meta), { correct: false, reason: 'expected circle left of target, found right of target' });
    const noTarget = new Map([['circle', [det('circle', [0, 10, 10, 20])]]] as const);
    assert.deepEqual(evaluateDetections(new Map(noTarget), meta), {
      correct: false,
      reason: 'expected square>=1, found 0\nno target for circle to be left of',
    });
  });
});

describe('counting with exclude', () => {
  const meta = metadataFor({ tag: 'counting', shape: 'ring', count: 2 });
  const ring = (x: number, score: number): Detection => det('ring', [x, 0, x + 8, 8], score);
  it('needs the exact count at the 0.9 threshold', () => {
    const two = keepDetections([ring(0, 1), ring(10, 0.95)], 'counting');
    assert.deepEqual(evaluateDetections(two, meta), { correct: true, reason: '' });
    const three = keepDetections([ring(0, 1), ring(10, 0.95), ring(20, 0.91)], 'counting');
    assert.deepEqual(evaluateDetections(three, meta), { correct: false, reason: 'expected ring<3, found 3' });
    // A third ring at 0.9 is not above the counting threshold, so it is not counted...
    const weakThird = keepDetections([ring(0, 1), ring(10, 0.95), ring(20, 0.9)], 'counting');
    assert.equal(evaluateDetections(weakThird, meta).correct, true);
    // ...while the same score counts for a non-counting tag (threshold 0.3).
    assert.equal(keepDetections([ring(20, 0.9)], 'single_object').get('ring')?.length, 1);
    const one = keepDetections([ring(0, 1), ring(10, 0.5)], 'counting');
    assert.deepEqual(evaluateDetections(one, meta), { correct: false, reason: 'expected ring>=2, found 1' });
  });
  it('keeps at most 16 detections a class', () => {
    const many = Array.from({ length: 20 }, (_, i) => ring(i * 10, 1));
    assert.equal(keepDetections(many, 'two_object').get('ring')?.length, 16);
  });
});

describe('colour on the top-count objects', () => {
  it('judges only the most confident `count` detections', () => {
    const meta = metadataFor({ tag: 'colors', shape: 'square', color: 'blue' });
    const topRed = keepDetections([det('square', [0, 0, 8, 8], 0.99, 'red'), det('square', [10, 0, 18, 8], 0.8, 'blue')], 'colors');
    assert.deepEqual(evaluateDetections(topRed, meta), { correct: false, reason: 'expected blue square>=1, found 0 blue; and 1 red' });
    const topBlue = keepDetections([det('square', [0, 0, 8, 8], 0.7, 'red'), det('square', [10, 0, 18, 8], 0.8, 'blue')], 'colors');
    assert.deepEqual(evaluateDetections(topBlue, meta), { correct: true, reason: '' });
  });
  it('allows extra instances in single and two object prompts', () => {
    const meta = metadataFor({ tag: 'two_object', first: 'cross', second: 'ring' });
    const objects = keepDetections([det('cross', [0, 0, 8, 8]), det('cross', [10, 0, 18, 8]), det('ring', [20, 0, 28, 8])], 'two_object');
    assert.equal(evaluateDetections(objects, meta).correct, true);
  });
});

describe('aggregation', () => {
  const row = (tag: string, correct: boolean, metadata: string): ResultRow => ({ filename: 'f', tag, prompt: 'p', correct, reason: '', metadata, details: '{}' });
  it('averages tags without weighting and groups prompts by metadata', () => {
    const rows = [
      row('single_object', true, 'a'),
      row('single_object', false, 'a'),
      row('single_object', false, 'b'),
      row('single_object', false, 'b'),
      row('counting', true, 'c'),
    ];
    const s = summarize(rows);
    assert.equal(s.totalImages, 5);
    assert.equal(s.totalPrompts, 3);
    assert.equal(s.correctPromptsFraction, 2 / 3);
    assert.deepEqual(s.tags.map((t) => [t.tag, t.score]), [['single_object', 0.25], ['counting', 1]]);
    assert.equal(s.overall, 0.625);
    assert.equal(
      formatSummary(s),
      [
        'Summary', '=======', 'Total images: 5', 'Total prompts: 3', '% correct images: 40.00%', '% correct prompts: 66.67%', '',
        'Task breakdown', '==============', 'single_object    = 25.00% (1 / 4)', 'counting         = 100.00% (1 / 1)', '',
        'Overall score (avg. over tasks): 0.62500',
      ].join('\n'),
    );
  });
  it("rounds exact ties to even as Python's format does", () => {
    assert.equal(pythonFixed(12.125, 2), '12.12');
    assert.equal(pythonFixed(12.375, 2), '12.38');
    assert.equal(pythonFixed(0.123456, 5), '0.12346');
  });
});

describe('folders and bad input', () => {
  const metaFile = join(scratch, 'prompts.jsonl');
  const prompts: Metadata[] = generatePromptSet({ seed: 2, split: 'heldout', counts: { single_object: 3, two_object: 3, counting: 3, colors: 3, position: 3, color_attr: 3 } });
  writeFileSync(metaFile, prompts.map((m) => JSON.stringify(m)).join('\n'));

  it('scores truth renders 1.0 on every tag', async () => {
    const out = join(scratch, 'truth');
    await writeTruthImages({ metadata: prompts, outDir: out, imagesPerPrompt: 2, seed: 5, world: DEFAULT_WORLD });
    const { rows, summary } = scoreImageFolder(out);
    assert.equal(rows.length, 36);
    assert.equal(summary.tags.length, 6);
    for (const t of summary.tags) assert.equal(t.score, 1, t.tag);
    assert.equal(summary.overall, 1);
  });

  it('refuses a folder that exists, and leaves nothing behind on failure', async () => {
    await assert.rejects(writeTruthImages({ metadata: prompts, outDir: join(scratch, 'truth'), imagesPerPrompt: 1, seed: 0, world: DEFAULT_WORLD }), /already exists/);
    const impossible: Metadata = { tag: 'counting', include: [{ class: 'ring', count: 4 }], exclude: [{ class: 'ring', count: 3 }], prompt: 'contradiction' };
    const target = join(scratch, 'never');
    await assert.rejects(writeTruthImages({ metadata: [prompts[0]!, impossible], outDir: target, imagesPerPrompt: 1, seed: 0, world: DEFAULT_WORLD }), /exclude forbids/);
    assert.equal(existsSync(target), false);
    assert.deepEqual(readdirSync(scratch).filter((n) => n.endsWith('.partial')), []);
  });

  it('names the problem for bad folders, metadata and PNGs', () => {
    assert.throws(() => readImageFolder(join(scratch, 'missing')), /no such folder/);
    const empty = join(scratch, 'empty');
    mkdirSync(join(empty, 'notes'), { recursive: true });
    assert.throws(() => readImageFolder(empty), /no prompt folders/);
    const noMeta = join(scratch, 'nometa');
    mkdirSync(join(noMeta, '00000', 'samples'), { recursive: true });
    assert.throws(() => readImageFolder(noMeta), /00000\/metadata\.jsonl: missing/);
    const coco = join(scratch, 'coco');
    mkdirSync(join(coco, '00000', 'samples'), { recursive: true });
    writeFileSync(join(coco, '00000', 'metadata.jsonl'), '{"tag": "single_object", "include": [{"class": "bench", "count": 1}], "prompt": "a photo of a bench"}');
    assert.throws(() => readImageFolder(coco), /class "bench" is not a class of the shapes world/);
    const noImages = join(scratch, 'noimages');
    mkdirSync(join(noImages, '00000', 'samples'), { recursive: true });
    writeFileSync(join(noImages, '00000', 'metadata.jsonl'), JSON.stringify(prompts[0]));
    writeFileSync(join(noImages, '00000', 'samples', 'notes.txt'), 'not an image');
    assert.throws(() => readImageFolder(noImages), /no images/);
    const badPng = join(scratch, 'badpng');
    mkdirSync(join(badPng, '00000', 'samples'), { recursive: true });
    writeFileSync(join(badPng, '00000', 'metadata.jsonl'), JSON.stringify(prompts[0]));
    writeFileSync(join(badPng, '00000', 'samples', '0000.png'), 'GIF89a not a png');
    assert.throws(() => scoreImageFolder(badPng), /0000\.png: not a PNG file/);
    const png = encodePng(renderScene({ objects: [] }, DEFAULT_WORLD));
    writeFileSync(join(badPng, '00000', 'samples', '0000.png'), png.subarray(0, png.length - 20));
    assert.throws(() => scoreImageFolder(badPng), /0000\.png: damaged PNG/);
    // A metadata line saved with a byte-order mark (as Windows editors do) is read, not refused.
    const bom = join(scratch, 'bom');
    mkdirSync(join(bom, '00000', 'samples'), { recursive: true });
    writeFileSync(join(bom, '00000', 'metadata.jsonl'), `\ufeff${JSON.stringify(prompts[0])}\r\n`);
    writeFileSync(join(bom, '00000', 'samples', '0000.png'), png);
    assert.deepEqual(readImageFolder(bom)[0]!.metadata, prompts[0]);
  });

  it('the CLI refuses COCO metadata clearly and writes nothing', () => {
    const coco = join(__dirname, '..', '..', '..', 'shared', 'data', 'geneval', 'evaluation_metadata.jsonl');
    const source = existsSync(coco) ? coco : join(scratch, 'coco.jsonl');
    if (source !== coco) writeFileSync(source, '{"tag": "single_object", "include": [{"class": "bench", "count": 1}], "prompt": "a photo of a bench"}\n');
    const out = join(scratch, 'coco-out');
    const result = spawnSync(process.execPath, [join(__dirname, '..', '..', 'bin', 'unirl.js'), 'geneval', 'truth', '--metadata', source, '--out', out], { encoding: 'utf8' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /:1: include\[0\]: class "bench" is not a class of the shapes world/);
    assert.equal(existsSync(out), false);
  });

  it('the CLI scores a folder and writes official result rows', () => {
    const out = join(scratch, 'cli-truth');
    const bin = join(__dirname, '..', '..', 'bin', 'unirl.js');
    execFileSync(process.execPath, [bin, 'geneval', 'truth', '--metadata', metaFile, '--out', out, '--n', '1'], { stdio: 'pipe' });
    const text = execFileSync(process.execPath, [bin, 'geneval', 'score', '--images', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(text, /Overall score \(avg\. over tasks\): 1\.00000/);
    const first = JSON.parse(readFileSync(join(out, 'results.jsonl'), 'utf8').split('\n')[0]!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(first), ['filename', 'tag', 'prompt', 'correct', 'reason', 'metadata', 'details']);
    assert.equal(first['correct'], true);
  });
});

describe('the overall change between two scorings, with its noise', () => {
  // Rows of one scoring: per prompt folder, its tag and how many of its 4 images are correct.
  const rows = (prompts: [tag: string, correct: number][]): ResultRow[] =>
    prompts.flatMap(([tag, correct], p) =>
      [0, 1, 2, 3].map((i) => ({ filename: `run/images/${String(p).padStart(5, '0')}/samples/000${i}.png`, tag, prompt: `p${p}`, correct: i < correct, reason: '', metadata: `{"p": ${p}}`, details: '{}' })),
    );

  it('pairs prompts by folder: GenEval\'s change, and the standard error of the per-prompt differences', () => {
    // colors: shares 0.25, 0.5, 0 -> 0.5, 0.5, 0.5 (differences 0.25, 0, 0.5); position unchanged.
    const before = rows([['colors', 1], ['colors', 2], ['colors', 0], ['position', 4], ['position', 0]]);
    const after = rows([['colors', 2], ['colors', 2], ['colors', 2], ['position', 4], ['position', 0]]);
    const { change, standardError } = overallChange(before, after);
    assert.ok(Math.abs(change - 0.125) < 1e-12, `change ${change}`); // (0.25 + 0.5) / 2 -> (0.5 + 0.5) / 2
    // colors: sample variance 0.0625 over 3 prompts; position: 0; overall = sqrt(sum) / 2 tags.
    assert.ok(Math.abs(standardError - Math.sqrt(0.0625 / 3) / 2) < 1e-12, `standard error ${standardError}`);
    assert.deepEqual(overallChange(before, before), { change: 0, standardError: 0, promptsPerTag: 2 });
  });

  it('refuses two scorings of different prompt folders', () => {
    assert.throws(() => overallChange(rows([['colors', 1]]), rows([['colors', 1], ['colors', 2]])), /not of the same prompt folders/);
  });

  // A base and three runs of the same five prompts (colors: three prompts, position: two).
  const base = rows([['colors', 1], ['colors', 2], ['colors', 0], ['position', 4], ['position', 0]]);
  const runA = rows([['colors', 2], ['colors', 2], ['colors', 2], ['position', 4], ['position', 0]]); // overall +0.125
  const runB = rows([['colors', 1], ['colors', 2], ['colors', 0], ['position', 4], ['position', 0]]); // unchanged
  const runC = rows([['colors', 3], ['colors', 3], ['colors', 3], ['position', 4], ['position', 0]]); // +0.25

  it('compares runs with a base: each run paired by prompt, and over several runs the mean change and its spread', () => {
    const c = compareResults(base, [runA, runB, runC]);
    assert.deepEqual(c.tags, ['colors', 'position']);
    assert.deepEqual(c.base, { overall: 0.375, tags: { colors: 0.25, position: 0.5 } });
    assert.deepEqual(c.runs.map((r) => r.change), [0.125, 0, 0.25]);
    assert.equal(c.runs[1]!.standardError, 0);
    assert.ok(c.seeds);
    assert.equal(c.seeds.count, 3);
    assert.ok(Math.abs(c.seeds.meanChange - 0.125) < 1e-12);
    // Changes 0.125, 0, 0.25: sample standard deviation 0.125.
    assert.ok(Math.abs(c.seeds.spread - 0.125) < 1e-12, `spread ${c.seeds.spread}`);
    assert.ok(Math.abs(c.seeds.standardError - 0.125 / Math.sqrt(3)) < 1e-12);
    assert.ok(Math.abs(c.seeds.tagChanges['colors']! - 0.25) < 1e-12);
    assert.equal(c.seeds.tagChanges['position'], 0);
    assert.equal(compareResults(base, [runA]).seeds, undefined, 'one run has no spread');
  });

  it('names the run whose prompts are not the base\'s', () => {
    assert.throws(() => compareResults(base, [runA, rows([['colors', 1]])]), /^Error: run 2: the two GenEval results are not of the same prompt folders/);
    assert.throws(() => compareResults(base, []), /nothing to compare/);
  });

  it('reads results.jsonl back as written, and names a bad line by file and line', () => {
    const file = join(scratch, 'results-a.jsonl');
    writeResults(file, runA);
    assert.deepEqual(readResults(file), runA);
    const bad = join(scratch, 'results-bad.jsonl');
    writeFileSync(bad, `\ufeff${JSON.stringify(runA[0])}\r\n\n{"filename": "x/00000/samples/0000.png", "tag": "colors", "metadata": "{}", "correct": "yes"}\n`);
    assert.throws(() => readResults(bad), (err: Error) => err.message === `${bad}:3: "correct" must be true or false`);
    writeFileSync(bad, 'not json\n');
    assert.throws(() => readResults(bad), new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: not JSON`));
    writeFileSync(bad, '\n\n');
    assert.throws(() => readResults(bad), /no results/);
  });

  it('the CLI compares folders and files, and refuses a folder without results', () => {
    const bin = join(__dirname, '..', '..', 'bin', 'unirl.js');
    const dirs = ['base', 'a', 'c'].map((name) => join(scratch, `compare-${name}`));
    [base, runA, runC].forEach((r, i) => {
      mkdirSync(dirs[i]!, { recursive: true });
      writeResults(join(dirs[i]!, 'results.jsonl'), r);
    });
    const json = execFileSync(process.execPath, [bin, 'geneval', 'compare', dirs[0]!, dirs[1]!, join(dirs[2]!, 'results.jsonl'), '--json'], { encoding: 'utf8' });
    const parsed = JSON.parse(json) as ReturnType<typeof compareResults>;
    assert.deepEqual(parsed.runs.map((r) => r.change), [0.125, 0.25]);
    assert.ok(Math.abs(parsed.seeds!.meanChange - 0.1875) < 1e-12);
    const text = execFileSync(process.execPath, [bin, 'geneval', 'compare', dirs[0]!, dirs[1]!], { encoding: 'utf8' });
    assert.match(text, /^overall\s+0\.375\s+0\.500$/m);
    assert.match(text, /run 1: .*compare-a: change \+0\.125 ± /);
    const empty = join(scratch, 'compare-empty');
    mkdirSync(empty);
    const refused = spawnSync(process.execPath, [bin, 'geneval', 'compare', dirs[0]!, empty], { encoding: 'utf8' });
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /compare-empty: a folder without results\.jsonl/);
  });
});
