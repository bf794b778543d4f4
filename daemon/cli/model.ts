import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { initCompute, type BackendChoice } from '../compute';
import { loadModel } from '../models';
import { generateOptions } from '../train';
import { decodePng, encodePng } from '../util/png';
import { Rng } from '../util/random';
import { writeFileAtomic } from '../util/fsx';
import type { Command } from './command';
import { intOption, requireOption, SAMPLING_OPTIONS, samplingOptions } from './args';

export const sampleCommand: Command = {
  name: 'sample',
  summary: 'draw an image for a prompt with a model checkpoint',
  help: `unirl sample --checkpoint C --prompt "a photo of two red circles" --out x.png [options]

  --steps N        MaskGIT steps (masked model; default 12)
  --cfg W          classifier-free guidance weight (default 2 masked, 0.5 autoregressive)
  --temperature T  sampling temperature, 0 for greedy (default 1)
  --seed N         sampling seed (default 0)
  --scale N        write the image N times larger, pixels as squares (default 1)
  --backend B      auto | tensorflow | webgpu | wasm | cpu (default auto)`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        checkpoint: { type: 'string' },
        prompt: { type: 'string' },
        out: { type: 'string' },
        ...SAMPLING_OPTIONS,
        seed: { type: 'string' },
        scale: { type: 'string' },
        backend: { type: 'string' },
      },
      strict: true,
    });
    const out = requireOption(values.out, 'out');
    const prompt = requireOption(values.prompt, 'prompt');
    await initCompute({ backend: (values.backend ?? 'auto') as BackendChoice });
    const { model } = loadModel(requireOption(values.checkpoint, 'checkpoint'));
    const sampling = samplingOptions(values, model.paradigm);
    const [image] = (await model.generate([prompt], generateOptions(sampling, new Rng(intOption(values.seed, 'seed', 0, 0, 2 ** 32 - 1))))).images;
    const scale = intOption(values.scale, 'scale', 1, 1, 64);
    const big = { width: image!.width * scale, height: image!.height * scale, data: new Uint8Array(image!.width * scale * image!.height * scale * 3) };
    for (let y = 0; y < big.height; y++) {
      for (let x = 0; x < big.width; x++) big.data.set(image!.data.subarray(((((y / scale) | 0) * image!.width) + ((x / scale) | 0)) * 3, ((((y / scale) | 0) * image!.width) + ((x / scale) | 0)) * 3 + 3), (y * big.width + x) * 3);
    }
    writeFileAtomic(out, encodePng(big));
    process.stderr.write(`wrote ${out}\n`);
    return 0;
  },
};

export const askCommand: Command = {
  name: 'ask',
  summary: 'ask a model checkpoint a question about an image',
  help: `unirl ask --checkpoint C --image x.png --question "How many items in this image?"

Prints the model's answer (greedy). The image must be the model's canvas size (32 x 32 by
default); a larger image drawn by \`unirl sample --scale N\` is read back at the model's size.
  --backend B      auto | tensorflow | webgpu | wasm | cpu (default auto)`,
  async run(args) {
    const { values } = parseArgs({ args, options: { checkpoint: { type: 'string' }, image: { type: 'string' }, question: { type: 'string' }, backend: { type: 'string' } }, strict: true });
    const file = requireOption(values.image, 'image');
    const question = requireOption(values.question, 'question');
    await initCompute({ backend: (values.backend ?? 'auto') as BackendChoice });
    const { model } = loadModel(requireOption(values.checkpoint, 'checkpoint'));
    let image = decodePng(readFileSync(file), file);
    const canvas = model.config.canvas;
    if (image.width !== canvas || image.height !== canvas) {
      if (image.width % canvas !== 0 || image.width !== image.height) throw new Error(`${file}: ${image.width} x ${image.height} is not the model's ${canvas} x ${canvas} canvas or a whole multiple of it`);
      const f = image.width / canvas;
      const small = new Uint8Array(canvas * canvas * 3);
      // Read the centre pixel of each f x f block (undoes a square-pixel upscale exactly).
      for (let y = 0; y < canvas; y++) for (let x = 0; x < canvas; x++) small.set(image.data.subarray(((y * f + (f >> 1)) * image.width + x * f + (f >> 1)) * 3, ((y * f + (f >> 1)) * image.width + x * f + (f >> 1)) * 3 + 3), (y * canvas + x) * 3);
      image = { width: canvas, height: canvas, data: small };
    }
    const { answers } = await model.answer([image], [question]);
    process.stdout.write(`${answers[0]}\n`);
    return 0;
  },
};
