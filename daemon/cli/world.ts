import { parseArgs } from 'node:util';
import { describeWorld, DEFAULT_WORLD, heldOutKeys } from '../world';
import type { Command } from './command';

export const worldCommand: Command = {
  name: 'world',
  summary: "print the shapes world's definition (classes, colours, canvas, sizes, relations)",
  help: `unirl world [--json] [--canvas N] [--held-out]

Prints the shapes world's definition so other tools can draw or read scenes the same way.
  --json       one JSON object (the default output is the same, indented)
  --canvas N   describe a world with an N x N canvas (default ${DEFAULT_WORLD.canvas})
  --held-out   also list the held-out combinations (split keys) that no training stage sees`,
  run(args) {
    const { values } = parseArgs({
      args,
      options: { json: { type: 'boolean' }, canvas: { type: 'string' }, 'held-out': { type: 'boolean' } },
      strict: true,
    });
    const canvas = values.canvas === undefined ? DEFAULT_WORLD.canvas : Number(values.canvas);
    if (!Number.isInteger(canvas) || canvas < 16 || canvas > 1024) throw new Error(`--canvas must be an integer from 16 to 1024, got ${values.canvas}`);
    const description: Record<string, unknown> = describeWorld({ canvas });
    if (values['held-out']) description['heldOut'] = [...heldOutKeys()].sort();
    process.stdout.write(`${JSON.stringify(description, null, values.json ? undefined : 2)}\n`);
    return Promise.resolve(0);
  },
};
