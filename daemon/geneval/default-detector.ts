/**
 * The detector that GenEval scoring (`unirl geneval score`, `unirl eval`), GRPO's detector rewards
 * and the grounding gap use.
 *
 * Still the template detector (template-detector.ts). The learned detector (detector.ts) reads the
 * world's renders exactly and other drawing styles far better, but it does not yet reach its
 * targets on every held-out style (docs/geneval.md), and the committed checkpoints' scores were
 * measured with the template detector: changing the judge changes every number, so it changes
 * here, once, together with re-measured cards (bench/rescore.ts).
 */
import type { Detector } from './detector';
import { detectByTemplate } from './template-detector';

export const defaultDetector: Detector = detectByTemplate;
