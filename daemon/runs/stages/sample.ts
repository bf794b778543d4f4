/** The sample stage: the run's current model draws images for a list of prompts (a quick look). */
import { join } from 'node:path';
import { loadModel } from '../../models';
import { generateImages } from '../../train';
import { writeFileAtomic } from '../../util/fsx';
import { encodePng } from '../../util/png';
import { Rng } from '../../util/random';
import { CancelledError, type Stage } from '../stage';
import { requireModel, samplingFor, useCompute } from './common';

export const sampleStage: Stage<'sample'> = {
  async run(config, ctx) {
    const file = requireModel(ctx, 'sample');
    await useCompute(ctx);
    const { model } = loadModel(file);
    try {
      const sampling = samplingFor(config.sampling, model.paradigm);
      const total = config.prompts.length;
      for (const [i, prompt] of config.prompts.entries()) {
        if (ctx.cancelRequested()) throw new CancelledError();
        // Seeded per prompt, so the same spec draws the same images.
        const images = await generateImages(model, Array<string>(config.imagesPerPrompt).fill(prompt), sampling, new Rng((ctx.spec.seed * 1_000_003 + i) >>> 0));
        images.forEach((image, k) => {
          const png = encodePng(image);
          writeFileAtomic(join(ctx.stageDir, String(i).padStart(3, '0'), `${k}.png`), png);
          ctx.emitSample({ step: i + 1, prompt, png });
        });
        ctx.emit({ type: 'progress', step: i + 1, total });
        await ctx.yield();
      }
    } finally {
      model.params.dispose();
    }
  },
};
