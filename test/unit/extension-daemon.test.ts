/**
 * How the extension finds, starts and reuses a daemon (extension/daemon-process.ts), against the
 * real bundle dist/unirl.js: the start line, the connection file, one daemon per home, the
 * per-workspace home for another folder.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { connect, findDaemon, spawnDaemon, SpawnError, workspaceHome, type SpawnOptions } from '../../extension/daemon-process';
import { scratchDir } from '../scratch';

const root = path.resolve(import.meta.dirname, '../..');
const base = scratchDir('ext-daemon');
const workspace = path.join(base, 'ws');
const home = path.join(base, 'home');
fs.mkdirSync(path.join(workspace, 'sub'), { recursive: true });

const options = (over: Partial<SpawnOptions> = {}): SpawnOptions => ({
  runtime: process.execPath,
  electronAsNode: false,
  bundle: path.join(root, 'dist/unirl.js'),
  home,
  workspaceRoot: workspace,
  runsDir: path.join(workspace, 'my-runs'),
  port: 0,
  env: {},
  // The extension's start timeout, here only a hang guard: a loaded machine may start a daemon slowly.
  timeoutMs: 10 * 60_000,
  ...over,
});

describe('extension: daemon processes', () => {
  it('starts a daemon, reads its start line, connects, and finds it again through the connection file', async () => {
    assert.deepEqual(findDaemon(home, workspace), { kind: 'none' });
    const spawned = await spawnDaemon(options());
    try {
      assert.equal(spawned.info.pid, spawned.child.pid);
      assert.equal(spawned.info.workspaceRoot, workspace);
      const { client, init } = await connect(spawned.info, 'test');
      assert.equal(init.runsDir, path.join(workspace, 'my-runs'));
      await client.close();

      const found = findDaemon(home, path.join(workspace, 'sub'));
      assert.equal(found.kind, 'usable');
      const other = findDaemon(home, base);
      assert.equal(other.kind, 'unusable');
      assert.match(other.kind === 'unusable' ? other.why : '', /serves another folder/);

      // A second daemon on the same home refuses, and says why.
      await assert.rejects(spawnDaemon(options()), (err: unknown) => err instanceof SpawnError && err.homeTaken && /already running/.test(err.message));
    } finally {
      const exited = new Promise((r) => spawned.child.once('exit', r));
      spawned.child.kill('SIGTERM');
      await exited;
    }
    assert.deepEqual(findDaemon(home, workspace), { kind: 'none' });
  });

  it('says plainly when the runtime cannot start', async () => {
    await assert.rejects(spawnDaemon(options({ runtime: path.join(base, 'no-such-node') })), /cannot start .*no-such-node/);
  });

  it('gives each other folder its own home under the user\'s', () => {
    const a = workspaceHome(home, '/a/project');
    assert.equal(path.dirname(path.dirname(a)), home);
    assert.equal(workspaceHome(home, '/a/project/'), a);
    assert.notEqual(workspaceHome(home, '/b/project'), a);
  });
});
