// The policy report from grants, static references and observed use.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { parseManifest } from '../manifest/parse.ts';
import type { CapabilityUse } from '../store/store.ts';
import { analyzePolicy } from './analyze.ts';
import type { StaticReferences } from './references.ts';

const manifest = parseManifest(`name: shop
handler: index.js
owner: shop@example.com
expires: 2099-01-01
triggers: [{ http: { method: POST, path: / } }]
permissions:
  egress: [api.example.com:443, cdn.example.com:443, "[::1]:8080"]
  secrets: [A, B, C]
`, 'bulwark.yaml', () => undefined);
const fn = { name: 'shop', version: 3, manifest };
const none: StaticReferences = { secrets: [], dynamicSecrets: 0, egress: [], dynamicEgress: 0, kv: [], dynamicKv: 0, invoke: [], dynamicInvoke: 0 };
const use = (capability: string, target: string, outcome: 'used' | 'denied' = 'used'): CapabilityUse => ({
  function: 'shop', capability, target, outcome, count: 2, firstSeen: 1_700_000_000_000, lastSeen: 1_700_000_060_000,
});

test('a grant referenced by the code or used at run time is kept; the rest is over-privilege', () => {
  const r = analyzePolicy(fn, { ...none, secrets: ['A'], egress: ['cdn.example.com:443'] }, [use('secrets', 'B'), use('fetch', '[::1]:8080')]);
  assert.deepEqual(r.suggested, { secrets: ['A', 'B'], egress: ['cdn.example.com:443', '[::1]:8080'] });
  assert.deepEqual(parse(r.suggestedYaml), { permissions: { egress: ['cdn.example.com:443', '[::1]:8080'], secrets: ['A', 'B'] } });
  assert.deepEqual(r.findings, [
    { kind: 'unused-secret', grant: 'C', overPrivileged: true },
    { kind: 'unused-egress', grant: 'api.example.com:443', overPrivileged: true },
    { kind: 'egress-never-contacted', grant: 'cdn.example.com:443', overPrivileged: false },
  ]);
  assert.deepEqual(r.granted.egress, ['api.example.com:443', 'cdn.example.com:443', '[::1]:8080']);
  assert.equal(r.observed[0]!.firstSeen, '2023-11-14T22:13:20.000Z');
});

test('denied attempts and references outside the grants are reported, never suggested', () => {
  const r = analyzePolicy(fn, { ...none, secrets: ['A', 'Z'], egress: ['evil.example.net:443'] }, [use('secrets', 'Y', 'denied'), use('secrets', 'B', 'denied')]);
  assert.deepEqual(r.suggested.secrets, ['A']);
  assert.deepEqual(r.notGranted, { secrets: ['Y', 'Z'], egress: ['evil.example.net:443'] });
  assert.ok(r.findings.some((f) => f.kind === 'unused-secret' && f.grant === 'B'), 'a refused read is not use of a grant');
});

test('dynamic references are named on the findings the static side could not rule out', () => {
  const r = analyzePolicy(fn, { ...none, dynamicSecrets: 1, dynamicEgress: 2 }, []);
  assert.equal(r.findings.length, 6);
  assert.ok(r.findings.filter((f) => f.kind === 'unused-secret').every((f) => f.note?.includes('1 secrets.get call(s)')));
  assert.ok(r.findings.filter((f) => f.kind === 'unused-egress').every((f) => f.note?.includes('2 fetch call(s)')));
  assert.deepEqual(parse(r.suggestedYaml), { permissions: { egress: [] } });
});

test('a function using every grant has no findings and keeps its permissions', () => {
  const r = analyzePolicy(fn, { ...none, secrets: ['A', 'B', 'C'] }, ['api.example.com:443', 'cdn.example.com:443', '[::1]:8080'].map((t) => use('fetch', t)));
  assert.deepEqual(r.findings, []);
  assert.deepEqual(r.suggested, r.granted);
});
