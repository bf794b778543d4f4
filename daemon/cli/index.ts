/**
 * The `unirl` command line: a table of subcommands, each in its own module.
 * To add one: write cli/NAME.ts exporting a Command, and list it in COMMANDS below.
 */
import { UsageError, type Command } from './command';
import { benchCommand } from './bench';
import { evalCommand } from './evaluate';
import { genevalCompareCommand, genevalGenerateCommand, genevalScoreCommand, genevalTruthCommand } from './geneval';
import { askCommand, sampleCommand } from './model';
import { pretrainCommand } from './pretrain';
import { promptsCommand } from './prompts';
import { quickstartCommand } from './quickstart';
import { worldCommand } from './world';
import { VERSION } from './version';
import { daemonCommand } from './daemon';
import { runCommand } from './run';
import { runsCommand } from './runs';
import { validateCommand } from './validate';

// One command a line, in the order `unirl --help` lists them.
const COMMANDS: Command[] = [
  quickstartCommand,
  worldCommand,
  promptsCommand,
  genevalTruthCommand,
  genevalGenerateCommand,
  genevalScoreCommand,
  genevalCompareCommand,
  pretrainCommand,
  sampleCommand,
  askCommand,
  evalCommand,
  benchCommand,
  validateCommand,
  runCommand,
  runsCommand,
  daemonCommand,
];

export { VERSION } from './version';

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `unirl ${VERSION}: UniRL post-training, GenEval and the shapes world`,
    '',
    'Usage: unirl COMMAND [options]    (unirl COMMAND --help for details)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

/** Finds the command whose name matches the longest prefix of argv. */
function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  const matches = COMMANDS.filter((c) => {
    const words = c.name.split(' ');
    return words.every((w, i) => argv[i] === w);
  }).sort((x, y) => y.name.length - x.name.length);
  const command = matches[0];
  return command ? { command, rest: argv.slice(command.name.split(' ').length) } : undefined;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(`${usage()}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    process.stderr.write(`unirl: unknown command "${argv.join(' ')}"\n\n${usage()}\n`);
    return 2;
  }
  if (found.rest.includes('--help') || found.rest.includes('-h')) {
    process.stdout.write(`${found.command.help}\n`);
    return 0;
  }
  try {
    return await found.command.run(found.rest);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`unirl ${found.command.name}: ${message}\n`);
    // An unknown option or one missing its value (node's parseArgs) is a usage error too.
    const usage = err instanceof UsageError || String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    if (!usage && process.env['UNIRL_DEBUG'] && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return usage ? 2 : 1;
  }
}
