import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBulwarkError } from '../errors.ts';
import { createCallTokenIssuer, type CallTokenOptions } from './call-token.ts';

const caller = { function: 'orders', version: 3 };

function issuer(extra: Partial<CallTokenOptions> = {}) {
  let clock = 1_800_000_000_000;
  const tokens = createCallTokenIssuer({ ttlSeconds: 10, maxHops: 4, replayCacheSize: 100, now: () => clock, ...extra });
  return { tokens, advance: (ms: number) => { clock += ms; } };
}

const callFrom = (callerHop = 0) => ({ caller, callee: 'billing', requestId: 'req-1', callerHop });

test('a signed token verifies once, for its callee, and carries the caller, request and hop', () => {
  const { tokens } = issuer();
  const check = tokens.verify(tokens.sign(callFrom()), 'billing');
  assert.ok(check.ok);
  assert.deepEqual(check.claims.caller, caller);
  assert.equal(check.claims.callee, 'billing');
  assert.equal(check.claims.requestId, 'req-1');
  assert.equal(check.claims.hop, 1);
  assert.match(check.claims.callId, /^[0-9a-f-]{36}$/);
});

test('each token has its own call id', () => {
  const { tokens } = issuer();
  const a = tokens.verify(tokens.sign(callFrom()), 'billing');
  const b = tokens.verify(tokens.sign(callFrom()), 'billing');
  assert.ok(a.ok && b.ok);
  assert.notEqual(a.claims.callId, b.claims.callId);
});

test('a replayed token is refused', () => {
  const { tokens } = issuer();
  const token = tokens.sign(callFrom());
  assert.ok(tokens.verify(token, 'billing').ok);
  assert.deepEqual(tokens.verify(token, 'billing'), { ok: false, reason: 'replayed' });
});

test('a token for another callee is refused, and is not spent by the refusal', () => {
  const { tokens } = issuer();
  const token = tokens.sign(callFrom());
  assert.deepEqual(tokens.verify(token, 'payroll'), { ok: false, reason: 'wrong-callee' });
  assert.ok(tokens.verify(token, 'billing').ok);
});

test('an expired token is refused', () => {
  const { tokens, advance } = issuer();
  const token = tokens.sign(callFrom());
  advance(10_000);
  assert.deepEqual(tokens.verify(token, 'billing'), { ok: false, reason: 'expired' });
});

test('claims changed after signing fail the signature: caller, callee, hop and expiry cannot be rewritten', () => {
  const { tokens } = issuer();
  const [body, signature] = tokens.sign(callFrom()).split('.') as [string, string];
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  for (const forged of [
    { ...claims, caller: { function: 'admin-tools', version: 1 } },
    { ...claims, callee: 'payroll' },
    { ...claims, hop: 1, exp: claims.exp + 3600 },
  ]) {
    const token = `${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`;
    assert.deepEqual(tokens.verify(token, forged.callee), { ok: false, reason: 'bad-signature' });
  }
});

test('a token signed by another key pair (another gateway, or a forger) is refused', () => {
  const { tokens } = issuer();
  const other = issuer().tokens;
  assert.deepEqual(tokens.verify(other.sign(callFrom()), 'billing'), { ok: false, reason: 'bad-signature' });
});

test('malformed tokens are refused without being decoded further', () => {
  const { tokens } = issuer();
  const good = tokens.sign(callFrom());
  for (const token of ['', 'abc', `${good}.x`, good.replace('.', '!'), `${good.split('.')[0]}.`, 'a'.repeat(5000)]) {
    assert.deepEqual(tokens.verify(token, 'billing'), { ok: false, reason: 'malformed' }, token.slice(0, 40));
  }
  // A bad signature of the right form: refused on the signature, before the claims are read.
  const [body] = good.split('.') as [string];
  assert.deepEqual(tokens.verify(`${body}.${Buffer.alloc(64).toString('base64url')}`, 'billing'), { ok: false, reason: 'bad-signature' });
});

test('signing refuses a call beyond the hop limit: a loop stops there', () => {
  const { tokens } = issuer({ maxHops: 4 });
  // A → B → A → B: each callee calls on with the hop its own token carried.
  let hop = 0;
  const chain = ['b', 'a', 'b', 'a'];
  for (const callee of chain) {
    const check = tokens.verify(tokens.sign({ caller, callee, requestId: 'req-loop', callerHop: hop }), callee);
    assert.ok(check.ok);
    hop = check.claims.hop;
  }
  assert.equal(hop, 4);
  assert.throws(() => tokens.sign({ caller, callee: 'b', requestId: 'req-loop', callerHop: hop }),
    (err: unknown) => isBulwarkError(err) && err.code === 'BWK_E_BROKER_INVOKE_HOP_LIMIT' && !err.message.includes('orders'));
});

test('the replay cache is bounded: full of unexpired ids it refuses new tokens, and frees expired ids', () => {
  const { tokens, advance } = issuer({ replayCacheSize: 2 });
  assert.ok(tokens.verify(tokens.sign(callFrom()), 'billing').ok);
  assert.ok(tokens.verify(tokens.sign(callFrom()), 'billing').ok);
  const third = tokens.sign(callFrom());
  assert.deepEqual(tokens.verify(third, 'billing'), { ok: false, reason: 'replay-cache-full' });
  advance(10_000);
  // The first two expired: their ids are forgotten, room is made, and a fresh token passes.
  assert.ok(tokens.verify(tokens.sign(callFrom()), 'billing').ok);
});
