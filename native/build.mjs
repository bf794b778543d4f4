// Builds the optional native kernels (native/build/Release/unirl_native.node) at `npm install`.
// It never fails the install: without a compiler, node-gyp or the BLAS headers the daemon runs on
// plain wasm, and the reason written here (native/build/failure.txt) is what it reports.
//   node native/build.mjs            build (or record why not)
//   UNIRL_NATIVE_BUILD=0 npm install skip the build
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const buildDir = join(here, 'build');
const failureFile = join(buildDir, 'failure.txt');
const requirements = JSON.parse(readFileSync(join(here, 'requirements.json'), 'utf8'));

/** The one line a user needs: what failed, what it costs, the command that fixes it. */
function howToGetThem() {
  const install = requirements.install[process.platform];
  if (!install) return 'see native/README.md';
  const note = requirements.installNote[process.platform];
  return `${install} && npm run build:native${note ? `   (${note})` : ''}`;
}

/** Records why (native/build/failure.txt: the reason, then the build's errors) and says so in one line. */
function fail(reason, details = '') {
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(failureFile, `${reason}\n${details ? `\n${details.trim()}\n` : ''}`);
  process.stdout.write(
    `unirl: native kernels not built (${reason}); training runs on plain wasm, about ${requirements.speedup}x slower. To build them: ${howToGetThem()}\n`,
  );
  process.exit(0);
}

/** node-gyp: the project's own copy if any, else the one npm runs scripts with, else npm's bundled one. */
function findNodeGyp() {
  const candidates = [];
  try {
    candidates.push(createRequire(join(here, '..', 'package.json')).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not a dependency of the project: fine
  }
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) candidates.push(resolve(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const npmBin = resolve(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  candidates.push(npmBin);
  return candidates.find((c) => existsSync(c));
}

/** The build's failure in a few words, from node-gyp's output. */
function buildProblem(log, status) {
  if (/cblas\.h|lopenblas|Accelerate/.test(log)) return 'OpenBLAS is missing';
  if (/(make|cc|gcc|c\+\+|g\+\+|python3?)[^\n]*(not found|No such file)|find Python|not find any Python/i.test(log)) return 'no C toolchain (make, a C compiler, Python 3)';
  return `node-gyp exited with ${status}`;
}

if (process.env.UNIRL_NATIVE_BUILD === '0') fail('skipped: UNIRL_NATIVE_BUILD=0 at install time');

const gyp = findNodeGyp();
if (!gyp) fail('node-gyp was not found (neither in the project nor beside npm)');

const args = [gyp, 'rebuild', '--directory', here];
// Node's own headers, when installed beside it, spare node-gyp a download (machines may be offline).
const nodeDir = resolve(dirname(process.execPath), '..');
if (existsSync(join(nodeDir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodeDir}`);

rmSync(failureFile, { force: true });
const started = Date.now();
const result = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8', env: { ...process.env, npm_config_yes: 'true' } });
const log = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
if (result.error) fail(`node-gyp could not run: ${result.error.message}`);
if (result.status !== 0) {
  const lines = log.split('\n').filter((l) => l.trim() && !l.startsWith('gyp info'));
  const errors = lines.filter((l) => /error|fatal|not found|cannot/i.test(l));
  fail(buildProblem(log, result.status), (errors.length ? errors : lines).slice(-25).join('\n'));
}
if (!existsSync(join(buildDir, 'Release', 'unirl_native.node'))) fail('node-gyp succeeded but built no addon', log);
process.stdout.write(`unirl native kernels built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
