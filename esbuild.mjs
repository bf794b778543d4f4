// One build script for every bundle: the CLI/daemon, and (as they land) the extension,
// the language server and the webview. `node esbuild.mjs [--watch]`.
import * as esbuild from 'esbuild';

import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const watch = process.argv.includes('--watch');

/** @type {esbuild.BuildOptions[]} */
const bundles = [
  {
    // The `unirl` CLI and the daemon (the same engine; `unirl daemon` serves it).
    // The run worker and the batch worker are files of their own: worker threads load code by path.
    entryPoints: { unirl: 'daemon/cli.ts', 'run-worker': 'daemon/runs/worker.ts', 'batch-worker': 'daemon/train/batch-worker.ts' },
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // tfjs and its wasm backend load their own files from node_modules at run time.
    external: ['@tensorflow/*', 'webgpu', 'ws', 'bufferutil', 'utf-8-validate'],
    define: { UNIRL_VERSION: JSON.stringify(pkg.version) },
    // jsonc-parser's default (UMD) build requires its parts at run time; bundle its ESM build instead.
    alias: { 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
  },
  {
    // The VS Code extension: `vscode` is the host's; ws' optional native helpers are optional.
    entryPoints: { extension: 'extension/main.ts' },
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'bufferutil', 'utf-8-validate'],
    define: { UNIRL_VERSION: JSON.stringify(pkg.version) },
    alias: { 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
  },
  {
    // The run-spec language server, a separate process the extension starts (and tests drive over stdio).
    entryPoints: { 'language-server': 'extension/language-server/server.ts' },
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // The ESM builds bundle cleanly; the UMD ones (the default for node) require their parts at run time.
    mainFields: ['module', 'main'],
    define: { UNIRL_VERSION: JSON.stringify(pkg.version) },
  },
  {
    // The samples view's page (webview/main.ts): a browser bundle, and its stylesheet (uPlot's and ours).
    entryPoints: { webview: 'webview/main.ts' },
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    minify: true,
  },
];

for (const options of bundles) {
  const config = { bundle: true, outdir: 'dist', sourcemap: true, logLevel: 'warning', ...options };
  if (watch) await (await esbuild.context(config)).watch();
  else await esbuild.build(config);
}
