// Function-to-function calls over the real platform: a granted call reaches its callee, which sees the
// verified caller; a call not granted is refused and recorded; a forged, replayed or misdirected call
// token is refused at the same entry the broker's calls take; an A→B→A loop stops at the hop limit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBulwarkError } from '../../src/errors.ts';
import { manifest, startTestPlatform, until, type TestPlatform } from '../support/platform.ts';

// Calls the function it is granted, then one it is not.
const front = `
export const handler = async (event, context) => {
  const granted = await context.invoke('back', { order: 42 });
  let denied;
  try { await context.invoke('vault-admin', { steal: true }); denied = 'called'; } catch (err) { denied = { code: err.code, message: err.message }; }
  return { statusCode: 200, body: JSON.stringify({ granted, denied }) };
};
`;
// Answers with who called it and what it was sent.
const back = `
export const handler = async (event, context) => {
  context.log.info('back ran');
  return { statusCode: 201, body: JSON.stringify({ caller: context.caller ?? null, event }) };
};
`;
// Never granted to anyone: if it runs, its answer says so.
const vaultAdmin = `
export const handler = async () => ({ statusCode: 200, body: 'vault-admin ran' });
`;
// ping and pong call each other, one level deeper each time, until a call is refused.
const loop = (other: string) => `
export const handler = async (event, context) => {
  const depth = typeof event.depth === 'number' ? event.depth : 0;
  try {
    const answer = await context.invoke('${other}', { depth: depth + 1 });
    return { statusCode: 200, body: answer.body };
  } catch (err) {
    return { statusCode: 200, body: JSON.stringify({ stoppedAt: depth, code: err.code, by: context.functionName }) };
  }
};
`;

async function deploy(p: TestPlatform, name: string, code: string, extra: string[] = []): Promise<void> {
  const answer = await p.deployFiles({ 'bulwark.yaml': manifest(name, [`{ method: POST, path: /${name} }`], extra), 'index.mjs': code });
  assert.equal(answer.status, 201, answer.text);
}

function rejectionsWithRule(p: TestPlatform, rule: string): number {
  return p.events.filter((e) => e.type === 'guard.rejected' && (e.detail as { rule?: unknown }).rule === rule).length;
}

test('A granted invoke: [B] calls B, which sees A as its caller; A cannot call C, and the refusal is recorded', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  await deploy(p, 'front', front, ['permissions:', '  invoke: [back]']);
  await deploy(p, 'back', back);
  await deploy(p, 'vault-admin', vaultAdmin);

  const res = await p.request('POST', '/fn/front/front', { key: p.adminKey, body: {} });
  assert.equal(res.status, 200, res.text);
  const { granted, denied } = JSON.parse(res.text);
  assert.equal(granted.statusCode, 201);
  const seen = JSON.parse(granted.body);
  assert.deepEqual(seen.event, { order: 42 });
  assert.deepEqual(seen.caller, { function: 'front', version: 1, requestId: res.requestId });
  assert.equal(denied.code, 'BWK_E_BROKER_CAPABILITY_DENIED');
  assert.doesNotMatch(JSON.stringify(denied), /vault-admin ran/);

  const refusal = p.events.find((e) => e.type === 'capability.denied' && e.requestId === res.requestId);
  assert.deepEqual(refusal?.detail, { capability: 'invoke', target: 'vault-admin' });
  assert.equal(refusal?.function, 'front');
  const use = p.events.find((e) => e.type === 'capability.used' && e.requestId === res.requestId);
  assert.deepEqual(use?.detail, { capability: 'invoke', target: 'back' });

  // Over HTTP nobody is the caller: context.caller is only what a verified call token says.
  const direct = await p.request('POST', '/fn/back/back', { key: p.adminKey, body: {} });
  assert.equal(JSON.parse(direct.text).caller, null);
});

test('a forged, replayed or misdirected call token is refused and recorded; the callee never runs', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  await deploy(p, 'back', back);
  const { callTokens, functionCalls } = p.platform;
  const sign = (callee: string) => callTokens.sign({ caller: { function: 'front', version: 1 }, callee, requestId: 'req-origin', callerHop: 0 });

  const refused = async (token: string, rule: string): Promise<void> => {
    const before = rejectionsWithRule(p, rule);
    await assert.rejects(functionCalls.deliver('back', token, { order: 1 }), (err: unknown) => {
      assert.ok(isBulwarkError(err));
      assert.equal(err.code, 'BWK_E_GUARD_AUTH_INVALID');
      assert.doesNotMatch(err.message, /signature|replay|callee|front/);
      return true;
    });
    assert.equal(rejectionsWithRule(p, rule), before + 1, `a guard.rejected event with rule ${rule}`);
  };

  const token = sign('back');
  const first = await functionCalls.deliver('back', token, { order: 1 });
  assert.equal(JSON.parse(first.body).caller.function, 'front');
  // The same token again: a replay.
  await refused(token, 'call-token-replayed');
  // Claims rewritten to name another caller, the signature kept: forged.
  const [claims, signature] = sign('back').split('.');
  const forgedClaims = JSON.parse(Buffer.from(claims!, 'base64url').toString('utf8'));
  forgedClaims.caller.function = 'admin-tool';
  await refused(`${Buffer.from(JSON.stringify(forgedClaims)).toString('base64url')}.${signature}`, 'call-token-bad-signature');
  // A valid token for another callee.
  await refused(sign('vault-admin'), 'call-token-wrong-callee');
  await refused('not-a-token', 'call-token-malformed');
  const rejected = p.events.find((e) => e.type === 'guard.rejected' && (e.detail as { rule?: unknown }).rule === 'call-token-replayed');
  assert.deepEqual(rejected?.detail, { guard: 'authn', rule: 'call-token-replayed', code: 'BWK_E_GUARD_AUTH_INVALID', source: 'invoke' });
  assert.equal(rejected?.function, 'back');
  // back ran once: for the one good token.
  const runs = await until(5000, async () => {
    const lines = (await p.platform.store.logs.query({ function: 'back', limit: 100 })).filter((l) => l.message === 'back ran');
    return lines.length > 0 ? lines : undefined;
  });
  assert.equal(runs?.length, 1);
});

test('an A→B→A call loop stops at the hop limit, and the refused call is recorded', async (t) => {
  const p = await startTestPlatform({ overrides: { invoke: { maxHops: 4 } } });
  t.after(() => p.close());
  const limits = ['limits:', '  concurrency: 5'];
  await deploy(p, 'ping', loop('pong'), [...limits, 'permissions:', '  invoke: [pong]']);
  await deploy(p, 'pong', loop('ping'), [...limits, 'permissions:', '  invoke: [ping]']);

  const res = await p.request('POST', '/fn/ping/ping', { key: p.adminKey, body: {} });
  assert.equal(res.status, 200, res.text);
  // ping (0) → pong (1) → ping (2) → pong (3) → ping (4): the fifth call is refused.
  assert.deepEqual(JSON.parse(res.text), { stoppedAt: 4, code: 'BWK_E_BROKER_INVOKE_HOP_LIMIT', by: 'ping' });
  const hopLimit = p.events.filter((e) => e.type === 'capability.denied' && (e.detail as { reason?: unknown }).reason === 'hop-limit');
  assert.equal(hopLimit.length, 1);
  assert.deepEqual(hopLimit[0]!.detail, { capability: 'invoke', target: 'pong', reason: 'hop-limit' });
});

test('a deployer scoped to one function cannot grant it calls to a function beyond its scope; the refusal is recorded', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  await deploy(p, 'vault-admin', vaultAdmin);
  await deploy(p, 'back', back);
  const scoped = await p.createKey({ role: 'deployer', functions: ['front', 'back'] });
  const files = (grants: string) => ({ 'bulwark.yaml': manifest('front', ['{ method: POST, path: /front }'], ['permissions:', `  invoke: [${grants}]`]), 'index.mjs': front });

  // Granting vault-admin would let front drive it as a function principal, past its authz guard.
  const refused = await p.deployFiles(files('back, vault-admin'), scoped.key);
  assert.equal(refused.status, 403, refused.text);
  assert.equal(JSON.parse(refused.text).error.code, 'BWK_E_GUARD_FORBIDDEN');
  assert.equal(await p.platform.store.functions.getActive('front'), undefined, 'nothing deployed');
  const denied = p.events.find((e) => e.type === 'authz.denied' && (e.detail as { action?: unknown }).action === 'deploy');
  assert.match(String((denied?.detail as { what?: unknown }).what), /permissions\.invoke vault-admin/);

  // Within its scope the same deployer may grant the call.
  const allowed = await p.deployFiles(files('back'), scoped.key);
  assert.equal(allowed.status, 201, allowed.text);
});
