// `npm run package`: the .vsix, with @vscode/vsce (offline). Where the native kernels are built
// (native/build), a platform-specific package carries them (`vsce package --target`); otherwise a
// universal one whose runs use plain WebAssembly. `--universal` forces the latter.
// Writes build/unirl-studio-<target>-<version>.vsix and prints its path on the last line.
import { createVSIX } from '@vscode/vsce';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const NATIVE = 'native/build/Release/unirl_native.node';
const TARGETS = { 'linux-x64': 'linux-x64', 'linux-arm64': 'linux-arm64', 'darwin-x64': 'darwin-x64', 'darwin-arm64': 'darwin-arm64', 'win32-x64': 'win32-x64', 'win32-arm64': 'win32-arm64' };

for (const bundle of ['dist/extension.js', 'dist/language-server.js', 'dist/unirl.js', 'dist/run-worker.js', 'dist/webview.js', 'dist/webview.css']) {
  if (!existsSync(join(root, bundle))) throw new Error(`${bundle} is missing: run \`npm run build\` first`);
}

const target = TARGETS[`${process.platform}-${process.arch}`];
const withNative = !process.argv.includes('--universal') && existsSync(join(root, NATIVE)) && target !== undefined;
let ignoreFile = join(root, '.vscodeignore');
if (withNative) {
  // The same list plus the addon (the universal package must not carry a binary for one platform).
  const tmp = join(tmpdir(), `unirl-vscodeignore-${process.pid}`);
  copyFileSync(ignoreFile, tmp);
  appendFileSync(tmp, `\n!${NATIVE}\n`);
  ignoreFile = tmp;
  console.log(`platform-specific package for ${target}, with the native kernels (${NATIVE})`);
} else {
  const failure = join(root, 'native/build/failure.txt');
  const why = existsSync(failure) ? readFileSync(failure, 'utf8').trim().split('\n')[0] : 'not built';
  console.log(`universal package without the native kernels (${process.argv.includes('--universal') ? '--universal' : why}): runs use plain WebAssembly`);
}

mkdirSync(join(root, 'build'), { recursive: true });
const out = join(root, 'build', `${pkg.name}-${withNative ? target : 'universal'}-${pkg.version}.vsix`);
try {
  await createVSIX({
    cwd: root,
    packagePath: out,
    ignoreFile,
    ...(withNative ? { target } : {}),
    dependencies: true,
    // No repository or LICENSE file yet: vsce would otherwise stop and ask.
    allowMissingRepository: true,
    skipLicense: !existsSync(join(root, 'LICENSE')) && !existsSync(join(root, 'LICENSE.md')),
  });
} finally {
  if (withNative) rmSync(ignoreFile, { force: true });
}
console.log(`${(statSync(out).size / 1024 / 1024).toFixed(2)} MiB`);
console.log(out);
