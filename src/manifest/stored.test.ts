import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifest } from './parse.ts';
import { readStoredManifest } from './stored.ts';

const source = `name: hello
handler: index.js
owner: team@example.com
expires: 2099-01-01
triggers:
  - http: { method: POST, path: / }
  - queue: { subject: a.b }
input: { body: ./b.json, query: ./q.json }
`;
const files: Record<string, string> = { 'b.json': '{"type":"object"}', 'q.json': '{"type":"object","properties":{"limit":{"type":"integer"}}}' };

test("a manifest stored in today's shape reads back unchanged", () => {
  const m = parseManifest(source, 'bulwark.yaml', (p) => files[p]);
  assert.deepEqual(readStoredManifest(JSON.stringify(m)), m);
});

test('a manifest stored by an older Bulwark: http-only triggers and a bare body schema read as today', () => {
  const m = parseManifest(source, 'bulwark.yaml', (p) => files[p]);
  const { queue: _q, schedule: _s, ...httpOnly } = m.triggers;
  const legacy = { ...m, triggers: httpOnly, input: { type: 'object', required: ['name'] } };
  const read = readStoredManifest(JSON.stringify(legacy));
  assert.deepEqual(read.triggers, { http: m.triggers.http, queue: [], schedule: [] });
  assert.deepEqual(read.input, { body: { type: 'object', required: ['name'] } }, 'the old body schema still guards the body');
  const { input: _i, ...noInput } = legacy;
  assert.equal(readStoredManifest(JSON.stringify(noInput)).input, undefined);
});
