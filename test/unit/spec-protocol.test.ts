/** docs/protocol.md and schemas/protocol.ts describe the same protocol. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCodes, NOTIFICATION_METHODS, PROTOCOL_VERSION, REQUEST_METHODS, RUN_EVENT_TYPES } from '../../schemas/protocol';
import { PARAMS_SCHEMAS } from '../../daemon/server/params';

const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'protocol.md'), 'utf8');

/** `### \`name\`` headings with the direction line under each. */
function documentedMethods(): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of doc.matchAll(/^### `([^`]+)`\n(?:Direction: (.+)\.)?/gm)) out.set(m[1]!, m[2] ?? '');
  return out;
}

describe('docs/protocol.md', () => {
  it('documents every method and notification, and nothing else', () => {
    const documented = documentedMethods();
    assert.deepEqual([...documented.keys()].sort(), [...REQUEST_METHODS, ...NOTIFICATION_METHODS].sort());
  });

  it('gives each its direction', () => {
    const documented = documentedMethods();
    for (const m of REQUEST_METHODS) assert.equal(documented.get(m), 'client → daemon', m);
    for (const m of NOTIFICATION_METHODS) assert.equal(documented.get(m), 'daemon → client', m);
  });

  it('names the protocol version', () => {
    assert.match(doc, new RegExp(`^Protocol version: ${PROTOCOL_VERSION}$`, 'm'));
  });

  it('lists every event type and every error code with its number', () => {
    for (const type of RUN_EVENT_TYPES) assert.match(doc, new RegExp(`^\\| \`${type}\` \\|`, 'm'), type);
    const rows = [...doc.matchAll(/^\| (-\d+) \| `(\w+)` \|/gm)].map((m) => [m[2], Number(m[1])]);
    assert.deepEqual(Object.fromEntries(rows) as Record<string, number>, { ...ErrorCodes });
  });

  it('has a params check for every request method', () => {
    assert.deepEqual(Object.keys(PARAMS_SCHEMAS).sort(), [...REQUEST_METHODS].sort());
  });
});
