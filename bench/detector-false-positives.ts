/**
 * The false-positive table: noise alone, a lumpy blob, fragments of shapes and touching pairs
 * (bench/styles/false-positives.ts), each judged by GenEval with the detector and with the
 * template detector it replaced, against the verdict a person would give.
 *
 * `npx tsx bench/detector-false-positives.ts [--images 200] [--seed 1] [--weights FILE]`; prints a markdown table.
 * --weights scores a retrained classifier in place of the committed one.
 */
import { parseArgs } from 'node:util';
import { detectByTemplate, evaluateDetections, keepDetections, THRESHOLD, COUNTING_THRESHOLD, type Detector } from '../daemon/geneval';
import { Rng } from '../daemon/util/random';
import { Calibration, learnedDetector } from './detector-measure';
import { FALSE_POSITIVE_CASES } from './styles/false-positives';

function main(): void {
  const { values } = parseArgs({ options: { images: { type: 'string' }, seed: { type: 'string' }, weights: { type: 'string' } } });
  const detect = learnedDetector(values.weights);
  const images = Number(values.images ?? 200);
  const seed = Number(values.seed ?? 1);
  const lines = [
    `${images} images a case (seed ${seed}). Objects: detections a picture above GenEval's 0.3 and counting 0.9 thresholds. Accepted: the share of (image, prompt) pairs GenEval judges correct; a person's verdict is no for noise, blobs and fragments, yes for a triangle cut to a smaller one (the kept side holds one of its corners), and yes for touching pairs (unclear for two squares, which make a rectangle).`,
    '',
    '| case | prompt judged | person | objects > 0.3 | objects > 0.9 | accepted | template detector: objects > 0.3 | accepted |',
    '|---|---|---|---|---|---|---|---|',
  ];
  // Every detection on an image with no object in it is wrong; touching pairs are left out.
  const calibration = new Calibration();
  for (const c of FALSE_POSITIVE_CASES) {
    const rng = new Rng(seed);
    const stats = (detector: Detector) => ({ detector, above: 0, counted: 0, accepted: 0, questions: 0 });
    const both = [stats(detect), stats(detectByTemplate)];
    let person: boolean | undefined = false;
    for (let i = 0; i < images; i++) {
      const { image, questions } = c.make(rng);
      for (const s of both) {
        const found = s.detector(image);
        s.above += found.filter((d) => d.score > THRESHOLD).length;
        s.counted += found.filter((d) => d.score > COUNTING_THRESHOLD).length;
        for (const q of questions) {
          s.questions++;
          if (evaluateDetections(keepDetections(found, q.meta.tag), q.meta).correct) s.accepted++;
          person = q.person;
        }
        if (s.detector === detect && questions.every((q) => q.person === false)) for (const d of found) calibration.add(d.score, false);
      }
    }
    const [now, before] = both as [ReturnType<typeof stats>, ReturnType<typeof stats>];
    const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(1)}%`;
    lines.push(
      `| ${c.name} | ${c.asks} | ${person === undefined ? 'unclear' : person ? 'yes' : 'no'} | ${(now.above / images).toFixed(2)} | ${(now.counted / images).toFixed(2)} | ${pct(now.accepted, now.questions)} | ${(before.above / images).toFixed(2)} | ${pct(before.accepted, before.questions)} |`,
    );
    process.stderr.write(`${c.name}\n`);
  }
  lines.push('', 'Calibration on the images with no object (every detection is wrong):', '', Calibration.header(), `| noise, blobs, fragments | ${calibration.cells().join(' | ')} | ${calibration.ece().toFixed(3)} |`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
