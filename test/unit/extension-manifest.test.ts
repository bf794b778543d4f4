/** package.json's "contributes" and the extension's own tables (extension/manifest.ts) say the same. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMAND_CATEGORY, COMMANDS, SAMPLES_VIEW_ID, SETTINGS } from '../../extension/manifest';

const root = path.resolve(import.meta.dirname, '../..');
interface Manifest {
  engines: { vscode: string };
  extensionKind: string[];
  main: string;
  contributes: {
    commands: { command: string; title: string; category: string }[];
    configuration: { properties: Record<string, { default: unknown; markdownDescription?: string; description?: string }> };
    jsonValidation: { fileMatch: string; url: string }[];
    views: Record<string, { id: string; type?: string }[]>;
    viewsContainers: { activitybar: { id: string; icon: string }[] };
  };
}
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;

describe('extension manifest', () => {
  it('contributes exactly the commands the extension registers, in the UniRL category', () => {
    const contributed = pkg.contributes.commands.map((c) => [c.command, c.title, c.category]);
    const registered = Object.entries(COMMANDS).map(([id, c]) => [id, c.title, COMMAND_CATEGORY]);
    assert.deepEqual(contributed.sort(), registered.sort());
  });

  it('declares every setting the extension reads, described, with a default the extension keeps as it is', () => {
    const declared = Object.keys(pkg.contributes.configuration.properties).sort();
    assert.deepEqual(declared, Object.values(SETTINGS).map((s) => `unirl.${s.key}`).sort());
    for (const s of Object.values(SETTINGS)) {
      const property = pkg.contributes.configuration.properties[`unirl.${s.key}`]!;
      assert.ok((property.markdownDescription ?? property.description ?? '').length > 20, `${s.key} has a description`);
      assert.deepEqual(s.parse(property.default), property.default, `${s.key}'s default parses to itself`);
    }
  });

  it('maps *.unirl.json to the run schema, declares the samples view and runs where the workspace is', () => {
    assert.deepEqual(pkg.contributes.jsonValidation, [{ fileMatch: '*.unirl.json', url: './schemas/unirl-run.schema.json' }]);
    assert.ok(fs.existsSync(path.join(root, pkg.contributes.jsonValidation[0]!.url)));
    const views = Object.values(pkg.contributes.views).flat();
    assert.deepEqual(views.filter((v) => v.id === SAMPLES_VIEW_ID).map((v) => v.type), ['webview']);
    for (const c of pkg.contributes.viewsContainers.activitybar) assert.ok(fs.existsSync(path.join(root, c.icon)), c.icon);
    assert.deepEqual(pkg.extensionKind, ['workspace']);
    assert.equal(pkg.main, './dist/extension.js');
    // code-server 4.100.3 (the end-to-end tests' VS Code) is VS Code 1.100.
    assert.match(pkg.engines.vscode, /^\^1\.(\d+)\./);
    assert.ok(Number(/^\^1\.(\d+)\./.exec(pkg.engines.vscode)![1]) <= 100);
  });
});
