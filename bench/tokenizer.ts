/**
 * Reconstruction of the image tokenizer, measured the way the models need it: the detector must
 * read decoded(encoded(image)) the same as the image (same classes, colours and boxes), and GenEval
 * must give the same verdict. `npx tsx bench/tokenizer.ts [--metadata FILE] [--n 4]`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { defaultDetector, evaluateDetections, keepDetections } from '../daemon/geneval';
import { truthImages } from '../daemon/geneval/layout';
import { createImageTokenizer } from '../daemon/tokenizers';
import { defaultPromptSet } from '../daemon/util/paths';
import { DEFAULT_WORLD, parseMetadataLines } from '../daemon/world';

export function readingOf(image: Parameters<typeof defaultDetector>[0]): string {
  return defaultDetector(image)
    .map((d) => `${d.class}/${d.color}/${d.box.join(',')}`)
    .sort()
    .join(' ');
}

function main(): void {
  const { values } = parseArgs({ options: { metadata: { type: 'string' }, n: { type: 'string' } } });
  const file = values.metadata ?? defaultPromptSet();
  const metadata = parseMetadataLines(readFileSync(file, 'utf8'), file);
  const n = Number(values.n ?? 4);
  const tokenizer = createImageTokenizer(DEFAULT_WORLD);
  let same = 0;
  let sameVerdict = 0;
  let exactPixels = 0;
  let total = 0;
  const started = performance.now();
  metadata.forEach((meta, index) => {
    for (const image of truthImages(meta, index, n, 0, DEFAULT_WORLD)) {
      const round = tokenizer.decode(tokenizer.encode(image));
      total++;
      if (readingOf(round) === readingOf(image)) same++;
      if (Buffer.compare(Buffer.from(round.data), Buffer.from(image.data)) === 0) exactPixels++;
      const verdict = (img: typeof image): boolean => evaluateDetections(keepDetections(defaultDetector(img), meta.tag), meta).correct;
      if (verdict(round) === verdict(image)) sameVerdict++;
    }
  });
  const ms = performance.now() - started;
  const pct = (x: number): string => `${((100 * x) / total).toFixed(2)}%`;
  process.stdout.write(
    [
      `image tokenizer: ${tokenizer.masks.length} masks x 10 colours + background = ${tokenizer.vocabSize} tokens, ${tokenizer.length} tokens an image`,
      `truth images of ${file}: ${total}`,
      `detector reads the round trip the same: ${same} (${pct(same)})`,
      `GenEval verdict unchanged: ${sameVerdict} (${pct(sameVerdict)})`,
      `pixel-identical round trips: ${exactPixels} (${pct(exactPixels)})`,
      `${(ms / total).toFixed(2)} ms an image (render, encode, decode, two detections)`,
    ].join('\n') + '\n',
  );
}

main();
