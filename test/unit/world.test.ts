import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  allCombinations,
  BACKGROUND_RGB,
  COLOR_RGB,
  COLORS,
  combinationKey,
  combinationsInSplit,
  combinationOf,
  contrastPrompts,
  DEFAULT_WORLD,
  generatePromptSet,
  GENEVAL_TAG_COUNTS,
  metadataFor,
  objectBox,
  objectGap,
  parseMetadataLines,
  relationsBetween,
  renderScene,
  sampleScene,
  sizeRange,
  TAGS,
  touchesHeldOut,
  type Metadata,
} from '../../daemon/world';
import { Rng } from '../../daemon/util/random';

describe('world definition', () => {
  it('keeps every palette colour far from the others and from the background', () => {
    const rgbs = [...COLORS.map((c) => COLOR_RGB[c]), BACKGROUND_RGB];
    for (let i = 0; i < rgbs.length; i++) {
      for (let j = i + 1; j < rgbs.length; j++) {
        const [a, b] = [rgbs[i]!, rgbs[j]!];
        const d = Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
        assert.ok(d >= 90, `colours ${i} and ${j} are only ${d.toFixed(1)} apart`);
      }
    }
  });
});

describe('prompt sets', () => {
  it("writes GenEval's grammar with correct articles and UniRL's questions and answers", () => {
    assert.deepEqual(metadataFor({ tag: 'colors', shape: 'circle', color: 'orange' }), {
      tag: 'colors',
      include: [{ class: 'circle', count: 1, color: 'orange' }],
      prompt: 'a photo of an orange circle',
      question: 'What is the color of the object?',
      answer: 'orange',
    });
    const pos = metadataFor({ tag: 'position', subject: 'ring', relation: 'right of', target: 'triangle' });
    assert.equal(pos.prompt, 'a photo of a ring right of a triangle');
    assert.deepEqual(pos.include, [{ class: 'triangle', count: 1 }, { class: 'ring', count: 1, position: ['right of', 0] }]);
    assert.equal(pos.answer, 'The ring is right of the triangle');
    const count = metadataFor({ tag: 'counting', shape: 'cross', count: 3 });
    assert.equal(count.prompt, 'a photo of three crosses');
    assert.deepEqual(count.exclude, [{ class: 'cross', count: 4 }]);
    const pair = metadataFor({ tag: 'color_attr', first: 'ring', firstColor: 'purple', second: 'diamond', secondColor: 'orange' });
    assert.equal(pair.prompt, 'a photo of a purple ring and an orange diamond');
    assert.equal(pair.answer, 'The ring is purple and the diamond is orange');
  });

  it("keeps GenEval's proportions and balances repeated prompts", () => {
    const set = generatePromptSet({ seed: 7, split: 'all' });
    assert.equal(set.length, 553);
    for (const tag of TAGS) assert.equal(set.filter((m) => m.tag === tag).length, GENEVAL_TAG_COUNTS[tag]);
    const singles = new Map<string, number>();
    for (const m of set.filter((x) => x.tag === 'single_object')) singles.set(m.prompt, (singles.get(m.prompt) ?? 0) + 1);
    assert.equal(singles.size, 6);
    for (const n of singles.values()) assert.ok(n === 13 || n === 14, `unbalanced: ${n}`);
    assert.deepEqual(generatePromptSet({ seed: 7, split: 'all' }), set, 'same seed, same set');
  });

  it('holds out a fixed share of each compositional tag, mirror phrasings together', () => {
    assert.equal(combinationsInSplit('two_object', 'heldout').length, 10);
    assert.equal(combinationsInSplit('position', 'heldout').length, 30);
    assert.equal(combinationsInSplit('single_object', 'heldout').length, 6, 'single objects cannot be held out');
    for (const c of combinationsInSplit('position', 'heldout')) {
      if (c.tag !== 'position') throw new Error('expected position combinations');
      const mirror = { ...c, subject: c.target, target: c.subject, relation: ({ 'left of': 'right of', 'right of': 'left of', above: 'below', below: 'above' } as const)[c.relation] };
      assert.equal(combinationKey(mirror), combinationKey(c));
    }
    const train = generatePromptSet({ seed: 3, split: 'train' });
    assert.ok(train.every((m) => !touchesHeldOut(m)));
    const held = generatePromptSet({ seed: 3, split: 'heldout' });
    const compositional = held.filter((m) => ['two_object', 'position', 'color_attr'].includes(m.tag));
    assert.ok(compositional.every(touchesHeldOut));
    const total = allCombinations('color_attr').length;
    assert.equal(total, 2700);
  });
});

describe('contrast prompts', () => {
  it('change one fact of the line each, never restate it, and never name a held-out combination', () => {
    const prompts = (c: Parameters<typeof metadataFor>[0]): string[] => contrastPrompts(metadataFor(c));
    assert.deepEqual(prompts({ tag: 'counting', shape: 'ring', count: 3 }), ['a photo of a ring', 'a photo of two rings', 'a photo of four rings']);
    assert.equal(prompts({ tag: 'single_object', shape: 'cross' }).length, 5);
    const red = prompts({ tag: 'colors', shape: 'circle', color: 'red' });
    assert.equal(red.length, 9 + 5);
    assert.ok(red.includes('a photo of a blue circle') && red.includes('a photo of a red square'));
    const pair = prompts({ tag: 'color_attr', first: 'ring', firstColor: 'red', second: 'cross', secondColor: 'blue' });
    assert.ok(pair.includes('a photo of a blue ring and a red cross'), 'the colours swapped');
    assert.ok(pair.includes('a photo of a red ring') && pair.includes('a photo of a blue cross'), 'each object alone');
    // Position: the mirrored relation is the contradiction; a relation that can hold beside it is not.
    for (const c of combinationsInSplit('position', 'train')) {
      if (c.tag !== 'position') continue;
      const got = prompts(c);
      const mirrored = metadataFor({ ...c, relation: ({ 'left of': 'right of', 'right of': 'left of', above: 'below', below: 'above' } as const)[c.relation] });
      assert.equal(got.includes(mirrored.prompt), !touchesHeldOut(mirrored), c.relation);
      const sideways = c.relation === 'left of' || c.relation === 'right of' ? 'above' : 'left of';
      assert.ok(!got.includes(metadataFor({ ...c, relation: sideways }).prompt));
    }
    // Every template line's prompt, to read each contrast back as a line.
    const byPrompt = new Map(TAGS.flatMap((t) => allCombinations(t)).map((c) => [metadataFor(c).prompt, metadataFor(c)]));
    for (const line of generatePromptSet({ seed: 5, split: 'train' })) {
      const got = contrastPrompts(line);
      assert.ok(got.length >= 3, `${line.prompt}: ${got.length}`);
      assert.ok(!got.includes(line.prompt), line.prompt);
      assert.equal(new Set(got).size, got.length, `${line.prompt}: a contrast repeated`);
      for (const prompt of got) {
        const m = byPrompt.get(prompt);
        assert.ok(m, `${line.prompt}: contrast "${prompt}" is not a template line`);
        assert.ok(!touchesHeldOut(m), `${line.prompt}: contrast "${prompt}" is held out`);
      }
    }
    // A hand-written line that is none of the six templates has no contrasts.
    const three: Metadata = { tag: 'two_object', include: [{ class: 'ring', count: 1 }, { class: 'cross', count: 1 }, { class: 'square', count: 1 }], prompt: 'a photo of a ring, a cross and a square' };
    assert.equal(combinationOf(three), undefined);
    assert.deepEqual(contrastPrompts(three), []);
  });
});

describe('scene sampler', () => {
  it('draws non-touching scenes that satisfy every line of a prompt set', () => {
    const rng = new Rng(11);
    const gap = objectGap(DEFAULT_WORLD);
    const { min, max } = sizeRange(DEFAULT_WORLD);
    for (const meta of generatePromptSet({ seed: 5, split: 'all' })) {
      const scene = sampleScene(meta, DEFAULT_WORLD, rng);
      const expected = meta.include.reduce((n, g) => n + g.count, 0);
      assert.equal(scene.objects.length, expected, meta.prompt);
      const boxes = scene.objects.map(objectBox);
      for (const [i, b] of boxes.entries()) {
        assert.ok(b[0] >= 0 && b[1] >= 0 && b[2] <= 32 && b[3] <= 32, `object off canvas: ${meta.prompt}`);
        assert.ok(scene.objects[i]!.size >= min && scene.objects[i]!.size <= max);
        for (const c of boxes.slice(i + 1)) {
          const apart = b[2] + gap <= c[0] || c[2] + gap <= b[0] || b[3] + gap <= c[1] || c[3] + gap <= b[1];
          assert.ok(apart, `objects touch in ${meta.prompt}`);
        }
      }
      const positioned = meta.include[1]?.position;
      // The asked relation holds, and only it: the prompt's answer is the one true answer about the scene.
      if (positioned) assert.deepEqual([...relationsBetween(boxes[1]!, boxes[0]!)], [positioned[0]], meta.prompt);
      meta.include.forEach((g, gi) => {
        if (g.color) assert.equal(scene.objects[gi]!.color, g.color);
      });
    }
  });

  it('renders only palette colours and the background', () => {
    const meta: Metadata = metadataFor({ tag: 'counting', shape: 'ring', count: 4 });
    const image = renderScene(sampleScene(meta, DEFAULT_WORLD, new Rng(1)), DEFAULT_WORLD);
    const allowed = new Set([BACKGROUND_RGB, ...Object.values(COLOR_RGB)].map((c) => c.join(',')));
    for (let i = 0; i < image.data.length; i += 3) assert.ok(allowed.has([...image.data.subarray(i, i + 3)].join(',')));
  });
});

describe('metadata parsing', () => {
  it('refuses a COCO class naming the line and the word', () => {
    const text = '{"tag": "single_object", "include": [{"class": "circle", "count": 1}], "prompt": "a photo of a circle"}\n' +
      '{"tag": "single_object", "include": [{"class": "bench", "count": 1}], "prompt": "a photo of a bench"}\n';
    assert.throws(() => parseMetadataLines(text, 'coco.jsonl'), /coco\.jsonl:2: include\[0\]: class "bench" is not a class of the shapes world/);
  });
  it('refuses broken JSON, unknown colours and bad relations', () => {
    assert.throws(() => parseMetadataLines('{"tag": ', 'x'), /x:1: not valid JSON/);
    assert.throws(
      () => parseMetadataLines('{"tag": "colors", "include": [{"class": "ring", "count": 1, "color": "teal"}], "prompt": "p"}', 'x'),
      /color "teal"/,
    );
    assert.throws(
      () => parseMetadataLines('{"tag": "position", "include": [{"class": "ring", "count": 1}, {"class": "cross", "count": 1, "position": ["near", 0]}], "prompt": "p"}', 'x'),
      /relation "near"/,
    );
    assert.throws(() => parseMetadataLines('\n\n', 'empty'), /no metadata lines/);
  });
  it('reads a file as a Windows editor saves it: a byte-order mark, CRLF line ends, blank lines', () => {
    const line = '{"tag": "colors", "include": [{"class": "ring", "count": 1, "color": "red"}], "prompt": "a photo of a red ring"}';
    const parsed = parseMetadataLines(`\ufeff${line}\r\n\r\n${line}\r\n  \r\n`, 'win.jsonl');
    assert.deepEqual(parsed, parseMetadataLines(`${line}\n${line}\n`, 'unix.jsonl'));
    assert.equal(parsed.length, 2);
    // A mark anywhere but the start is not one to skip.
    assert.throws(() => parseMetadataLines(`${line}\n\ufeff${line}`, 'x'), /x:2: not valid JSON/);
  });
});
