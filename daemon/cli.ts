/** Entry point of the `unirl` bundle (bin/unirl.js loads it). */
import { main } from './cli/index';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`unirl: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
