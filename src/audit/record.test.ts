import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, GENESIS_HASH, outcomeOf, recordHash, recordOf, seal, targetOf } from './record.ts';
import type { SecurityEvent } from '../bus/bus.ts';

const at = '2026-04-01T00:00:00.000Z';
const ev = (type: string, over: Partial<SecurityEvent> = {}): SecurityEvent => ({ type: type as SecurityEvent['type'], at, ...over });

test('record: outcome by the event type, new types included; an explicit outcome or accepted:false wins', () => {
  assert.equal(outcomeOf(ev('auth.failed')), 'denied');
  assert.equal(outcomeOf(ev('guard.rejected')), 'denied');
  assert.equal(outcomeOf(ev('egress.denied')), 'denied');
  assert.equal(outcomeOf(ev('sandbox.timeout')), 'failed');
  assert.equal(outcomeOf(ev('sandbox.memory-exceeded')), 'failed');
  assert.equal(outcomeOf(ev('key.created')), 'ok');
  assert.equal(outcomeOf(ev('incident.opened')), 'ok');
  assert.equal(outcomeOf(ev('deploy.signature-checked', { detail: { accepted: false } })), 'denied');
  assert.equal(outcomeOf(ev('playbook.ran', { detail: { outcome: 'partial' } })), 'partial');
});

test('record: target is the function@version, else the first naming detail field', () => {
  assert.equal(targetOf(ev('guard.rejected', { function: 'hello', version: 3 })), 'hello@3');
  assert.equal(targetOf(ev('function.removed', { function: 'hello' })), 'hello');
  assert.equal(targetOf(ev('key.revoked', { detail: { keyId: 'key_1', name: 'x' } })), 'key_1');
  assert.equal(targetOf(ev('ip.blocked', { detail: { address: '10.0.0.1' } })), '10.0.0.1');
  assert.equal(targetOf(ev('secret.changed', { detail: { name: 'DB_PASSWORD', version: 2 } })), 'DB_PASSWORD');
  assert.equal(targetOf(ev('vault.master-rotated', { detail: { rewrapped: 2 } })), '');
});

test('record: details are redacted and canonical; the actor defaults by whether a request caused it', () => {
  const r = recordOf(ev('auth.failed', { requestId: 'r1', detail: { z: 1, a: { token: 'abc', y: [2, { c: 3, b: 4 }] } } }));
  assert.equal(r.details, '{"a":{"token":"[REDACTED]","y":[2,{"b":4,"c":3}]},"z":1}');
  assert.equal(r.actor, 'anonymous');
  assert.equal(recordOf(ev('vault.master-rotated')).actor, 'system');
  assert.equal(recordOf(ev('key.created', { actor: 'key_admin' })).actor, 'key_admin');
  assert.equal(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] }), '{"a":[{"c":2,"d":1}],"b":1}');
});

test('record: the hash covers every field and the previous hash', () => {
  const first = seal(recordOf(ev('key.created', { actor: 'key_a', requestId: 'r', sourceIp: '::1', detail: { keyId: 'k' } })), { seq: 0, hash: GENESIS_HASH });
  assert.equal(first.seq, 1);
  assert.equal(first.prevHash, GENESIS_HASH);
  assert.equal(recordHash(first), first.hash);
  const changes: Array<Partial<typeof first>> = [
    { seq: 2 }, { at: '2026-04-01T00:00:01.000Z' }, { actor: 'key_b' }, { action: 'key.revoked' }, { target: 'k2' },
    { outcome: 'denied' }, { requestId: null }, { sourceIp: '::2' }, { details: '{"keyId":"k2"}' }, { prevHash: 'f'.repeat(64) },
  ];
  for (const change of changes) assert.notEqual(recordHash({ ...first, ...change }), first.hash, JSON.stringify(change));
});
