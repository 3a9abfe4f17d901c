// Abuse over real HTTP: attackers are recognised from what they did (the security events of their refused
// requests), blocked, refused everywhere for the block's TTL and served again after it; allowlisted
// addresses never are; X-Forwarded-For neither dodges a block nor frames someone else unless it comes
// from a trusted proxy; rate limits answer 429 with Retry-After. Every client has its own loopback source
// address (127.0.0.x, requestFrom), as distinct clients do. A handler that logs each call proves the
// refused requests never reached it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { SecurityEvent } from '../../src/bus/bus.ts';
import {
  assertError, echoHandler, manifest, requestFrom, runCli, startTestPlatform,
  type Answer, type CreatedKey, type RequestOptions, type TestPlatform,
} from '../support/platform.ts';

const BLOCK_TTL_MS = 1500;

/** Logs each call, so the function's logs list every request that reached it. */
const recorder = `
export const handler = async () => {
  console.log('served');
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
};
`;

let tp: TestPlatform;
let invoker: CreatedKey;

before(async () => {
  tp = await startTestPlatform({
    overrides: { ipBlock: { allowlist: ['127.0.0.1', '127.0.0.9'], blockTtlMs: BLOCK_TTL_MS, maxBlockTtlMs: 8 * BLOCK_TTL_MS } },
  });
  const deployed = await tp.deployFiles({ 'bulwark.yaml': manifest('recorder', ['{ method: POST, path: / }']), 'index.mjs': recorder });
  assert.equal(deployed.status, 201, deployed.text);
  invoker = await tp.createKey({ role: 'invoker', functions: ['recorder'] });
});
after(() => tp.close());

const from = (address: string, method: string, path: string, opts?: RequestOptions): Promise<Answer> => requestFrom(address, tp.url, method, path, opts);
const invokeFrom = (address: string, opts: RequestOptions = {}): Promise<Answer> => from(address, 'POST', '/fn/recorder', { key: invoker.key, body: { name: 'Ada' }, ...opts });
/** A well-formed API key that does not exist: what credential guessing sends. */
const guessedKey = (): string => `bwk_${alphanumeric(12)}_${alphanumeric(43)}`;

function alphanumeric(n: number): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(n), (b) => chars[b % chars.length]).join('');
}

async function until<T>(ms: number, probe: () => T | undefined): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
}

const eventsFor = (type: SecurityEvent['type'], address: string): SecurityEvent[] => tp.events.filter((e) => e.type === type && e.sourceIp === address);

/** Request ids that reached the recorder (it logs once per call). */
async function served(): Promise<Set<string>> {
  const answer = await tp.request('GET', '/admin/v1/functions/recorder/logs?limit=1000', { key: tp.adminKey });
  assert.equal(answer.status, 200, answer.text);
  return new Set((answer.json.logs as Array<{ requestId: string }>).map((l) => l.requestId));
}

/** Waits until `requestId` shows up in the function's logs (it was served), then returns every served id. */
async function servedIncluding(requestId: string): Promise<Set<string>> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const ids = await served();
    if (ids.has(requestId) || Date.now() > deadline) return ids;
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('credential guessing gets an address blocked: 403 everywhere for the TTL, served again after it, and the block carries its evidence', async () => {
  const attacker = '127.0.0.2';
  assert.equal((await invokeFrom(attacker)).status, 200, 'served before it attacks');

  const guesses: Answer[] = [];
  for (let i = 0; i < 7; i++) guesses.push(await invokeFrom(attacker, { key: guessedKey() }));
  for (const g of guesses) assertError(g, 401, 'BWK_E_GUARD_AUTH_INVALID', tp.secrets);

  // Blocked now, even with a valid key, on every route: function, admin API, health, unknown paths.
  const refused = await invokeFrom(attacker);
  assertError(refused, 403, 'BWK_E_GUARD_IP_BLOCKED', tp.secrets);
  assert.equal(refused.json.error.message, 'Access denied', 'the caller is not told why');
  assert.equal(refused.headers.get('retry-after'), null, 'nor for how long');
  assertError(await from(attacker, 'GET', '/admin/v1/functions', { key: tp.adminKey }), 403, 'BWK_E_GUARD_IP_BLOCKED', tp.secrets);
  assertError(await from(attacker, 'GET', '/healthz'), 403, 'BWK_E_GUARD_IP_BLOCKED', tp.secrets);
  assertError(await from(attacker, 'GET', '/wp-login.php'), 403, 'BWK_E_GUARD_IP_BLOCKED', tp.secrets);
  assert.equal((await invokeFrom('127.0.0.3')).status, 200, 'another address is not affected');

  // The block event names the address, its TTL and the evidence: the seven guesses, by request id.
  const [blocked] = eventsFor('ip.blocked', attacker);
  assert.ok(blocked, 'ip.blocked was published');
  assert.equal(blocked.actor, 'abuse-scorer');
  assert.equal(blocked.detail?.kind, 'automatic');
  assert.equal(blocked.detail?.ttlMs, BLOCK_TTL_MS);
  assert.equal(blocked.detail?.offence, 1);
  const evidence = blocked.detail?.evidence as Array<{ type: string; requestId: string; reason: string }>;
  assert.deepEqual(evidence.map((e) => e.requestId), guesses.map((g) => g.requestId));
  assert.ok(evidence.every((e) => e.type === 'auth.failed' && e.reason === 'key-unknown'), JSON.stringify(evidence[0]));
  // The refusals of the blocked address are recorded as guard.rejected by ip-block, and score nothing.
  const ipBlockRefusals = tp.events.filter((e) => e.type === 'guard.rejected' && e.detail?.guard === 'ip-block' && e.sourceIp === attacker);
  assert.equal(ipBlockRefusals.length, 4);
  assert.ok(ipBlockRefusals.some((e) => e.requestId === refused.requestId && e.function === 'recorder'));

  // Listed by the admin API while in force.
  const listed = await tp.request('GET', '/admin/v1/blocks', { key: tp.adminKey });
  assert.equal(listed.status, 200, listed.text);
  assert.deepEqual((listed.json.blocks as Array<{ address: string }>).map((b) => b.address), [attacker]);

  // Served again once the TTL has run out, and the lift is published and recorded.
  const expiresAt = Date.parse(blocked.detail?.expiresAt as string);
  await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 50));
  const again = await invokeFrom(attacker);
  assert.equal(again.status, 200, again.text);
  const unblocked = await until(3000, () => eventsFor('ip.unblocked', attacker)[0]);
  assert.equal(unblocked?.detail?.kind, 'expired');
  const history = await tp.request('GET', `/admin/v1/blocks/history?address=${attacker}`, { key: tp.adminKey });
  assert.deepEqual((history.json.history as Array<{ action: string; kind: string }>).map((h) => [h.action, h.kind]), [['unblocked', 'expired'], ['blocked', 'automatic']]);
  assert.equal(history.json.history[1].evidence.length, 7);

  // None of the refused requests reached the handler; the ones before and after the block did.
  const ids = await servedIncluding(again.requestId);
  assert.ok(ids.has(again.requestId));
  for (const r of [...guesses, refused]) assert.ok(!ids.has(r.requestId), `request ${r.requestId} reached the function`);

  // A repeat offence is blocked for twice as long.
  for (let i = 0; i < 7; i++) await invokeFrom(attacker, { key: guessedKey() });
  const second = await until(3000, () => eventsFor('ip.blocked', attacker)[1]);
  assert.equal(second?.detail?.offence, 2);
  assert.equal(second?.detail?.ttlMs, 2 * BLOCK_TTL_MS);
});

test('five injection attempts get an address blocked', async () => {
  const attacker = '127.0.0.4';
  const attempts: Answer[] = [];
  for (const name of ["' OR 1=1 --", "x' UNION SELECT password FROM users --", "'; DROP TABLE users; --", "1' OR '1'='1", "admin'--"]) {
    attempts.push(await invokeFrom(attacker, { body: { name } }));
  }
  for (const a of attempts) assert.equal(a.status, 400, a.text);
  assertError(await invokeFrom(attacker), 403, 'BWK_E_GUARD_IP_BLOCKED', tp.secrets);
  const [blocked] = eventsFor('ip.blocked', attacker);
  const evidence = blocked?.detail?.evidence as Array<{ guard: string; requestId: string }>;
  assert.deepEqual(evidence.map((e) => e.requestId), attempts.map((a) => a.requestId));
  assert.ok(evidence.every((e) => e.guard === 'injection'));
  const ids = await served();
  for (const a of attempts) assert.ok(!ids.has(a.requestId), 'an injection attempt reached the function');
});

test('scanning for routes that do not exist gets an address blocked', async () => {
  const scanner = '127.0.0.10';
  const probes = ['/.env', '/wp-login.php', '/.git/config', '/fn/admin', '/fn/backup', '/phpmyadmin/', '/fn/recorder/../../etc/passwd',
    '/server-status', '/fn/debug', '/actuator/health', '/fn/graphql', '/config.json', '/fn/internal', '/admin.php'];
  const answers: Answer[] = [];
  for (const path of probes) answers.push(await from(scanner, 'GET', path));
  assert.ok(answers.slice(0, 12).every((a) => a.status === 404 || a.status === 400), answers.map((a) => a.status).join(','));
  const [blocked] = eventsFor('ip.blocked', scanner);
  assert.ok(blocked, 'blocked');
  assert.ok((blocked.detail?.evidence as Array<{ type: string }>).every((e) => e.type === 'route.unknown'));
  assertError(await from(scanner, 'GET', '/healthz'), 403, 'BWK_E_GUARD_IP_BLOCKED', tp.secrets);
});

test('an allowlisted address is never blocked, automatically or by hand', async () => {
  const friend = '127.0.0.9';
  for (let i = 0; i < 20; i++) assertError(await invokeFrom(friend, { key: guessedKey() }), 401, 'BWK_E_GUARD_AUTH_INVALID', tp.secrets);
  assert.equal((await invokeFrom(friend)).status, 200);
  assert.deepEqual(eventsFor('ip.blocked', friend), []);
  const manual = await tp.request('POST', '/admin/v1/blocks', { key: tp.adminKey, body: { address: friend, reason: 'test' } });
  assertError(manual, 409, 'BWK_E_REGISTRY_BLOCK_REFUSED', tp.secrets);
});

test('a spoofed X-Forwarded-For from an untrusted peer neither frames another address nor dodges a block', async () => {
  const attacker = '127.0.0.5';
  const victim = '127.0.0.6';
  for (let i = 0; i < 7; i++) {
    await invokeFrom(attacker, { key: guessedKey(), headers: { 'x-forwarded-for': victim } });
  }
  assert.equal((await invokeFrom(victim)).status, 200, 'the victim named in X-Forwarded-For is not blocked');
  assert.deepEqual(eventsFor('ip.blocked', victim), []);
  assert.equal(eventsFor('ip.blocked', attacker).length, 1, 'the real peer is');
  assert.ok(tp.events.filter((e) => e.type === 'auth.failed' && e.sourceIp === victim).length === 0, 'no event was attributed to the victim');
  for (const spoof of ['127.0.0.7', '203.0.113.1, 127.0.0.8', victim]) {
    assertError(await invokeFrom(attacker, { headers: { 'x-forwarded-for': spoof } }), 403, 'BWK_E_GUARD_IP_BLOCKED', tp.secrets);
  }
});

test('blocks by hand: the admin API and `bulwark blocks add|list|rm`, recorded with the admin as actor', async () => {
  const env = { BULWARK_URL: tp.url, BULWARK_API_KEY: tp.adminKey, BULWARK_HOME: tp.home };
  const add = await runCli(['blocks', 'add', '127.0.0.30', '--reason', 'port scan seen upstream', '--ttl', '10m'], env);
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /^blocked 127\.0\.0\.30 until \d{4}-/);
  assertError(await invokeFrom('127.0.0.30'), 403, 'BWK_E_GUARD_IP_BLOCKED', tp.secrets);
  const list = await runCli(['blocks', 'list'], env);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /127\.0\.0\.30\s+manual\s.*port scan seen upstream/);
  const rm = await runCli(['blocks', 'rm', '127.0.0.30', '--reason', 'scan was ours'], env);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal((await invokeFrom('127.0.0.30')).status, 200);
  const history = await runCli(['blocks', 'list', '--history', '--address', '127.0.0.30', '--json'], env);
  const entries = JSON.parse(history.stdout).history as Array<{ action: string; kind: string; reason: string; actor: string }>;
  assert.deepEqual(entries.map((h) => [h.action, h.kind, h.reason]), [['unblocked', 'manual', 'scan was ours'], ['blocked', 'manual', 'port scan seen upstream']]);
  assert.ok(entries.every((h) => h.actor.startsWith('key:')), 'the admin key is the actor');
  assert.deepEqual(tp.events.filter((e) => e.sourceIp === '127.0.0.30' && e.type.startsWith('ip.')).map((e) => [e.type, e.detail?.kind]), [['ip.blocked', 'manual'], ['ip.unblocked', 'manual']]);

  const rmAgain = await runCli(['blocks', 'rm', '127.0.0.30'], env);
  assert.equal(rmAgain.code, 1);
  assert.match(rmAgain.stderr, /^error BWK_E_REGISTRY_BLOCK_NOT_FOUND: /);
  // An admin cannot block the address it is calling from: it would lock itself out of this API.
  const self = await from('127.0.0.31', 'POST', '/admin/v1/blocks', { key: tp.adminKey, body: { address: '::ffff:127.0.0.31', reason: 'oops' } });
  assertError(self, 409, 'BWK_E_REGISTRY_BLOCK_REFUSED', tp.secrets);
  assert.equal((await from('127.0.0.31', 'GET', '/admin/v1/blocks', { key: tp.adminKey })).status, 200);
  const bad = await tp.request('POST', '/admin/v1/blocks', { key: tp.adminKey, body: { address: '127.1', reason: 'legacy form' } });
  assertError(bad, 400, 'BWK_E_GATEWAY_BAD_REQUEST', tp.secrets);
  const viewer = await tp.createKey({ role: 'viewer', functions: ['*'] });
  assertError(await tp.request('POST', '/admin/v1/blocks', { key: viewer.key, body: { address: '127.0.0.31', reason: 'x' } }), 403, 'BWK_E_GUARD_FORBIDDEN', tp.secrets);
  assert.equal((await tp.request('GET', '/admin/v1/blocks', { key: viewer.key })).status, 200, 'viewers may look');
  const scoped = await tp.createKey({ role: 'admin', functions: ['recorder'] });
  assertError(await tp.request('GET', '/admin/v1/blocks', { key: scoped.key }), 403, 'BWK_E_GUARD_FORBIDDEN', tp.secrets);
});

test('the chain order and its rejection counts: GET /admin/v1/guards and `bulwark guards`', async () => {
  const guardsNow = async (): Promise<{ order: string[]; rejections: Record<string, number> }> => {
    const answer = await tp.request('GET', '/admin/v1/guards', { key: tp.adminKey });
    assert.equal(answer.status, 200, answer.text);
    return answer.json;
  };
  const before = await guardsNow();
  assert.deepEqual(before.order.slice(0, 2), ['ip-block', 'rate-limit']);
  assert.ok(before.order.indexOf('caller-rate-limit') > before.order.indexOf('authz'), 'per-caller limits run after authentication');
  assert.equal(before.order.at(-1), 'concurrency');

  // Two failed credentials (from an allowlisted address, so it stays unblocked), and two refusals of a
  // manually blocked address: one on a function route (the chain), one on the admin API (admit).
  for (let i = 0; i < 2; i++) assertError(await invokeFrom('127.0.0.9', { key: guessedKey() }), 401, 'BWK_E_GUARD_AUTH_INVALID', tp.secrets);
  assert.equal((await tp.request('POST', '/admin/v1/blocks', { key: tp.adminKey, body: { address: '127.0.0.32', reason: 'count me' } })).status, 201);
  assertError(await invokeFrom('127.0.0.32'), 403, 'BWK_E_GUARD_IP_BLOCKED', tp.secrets);
  assertError(await from('127.0.0.32', 'GET', '/admin/v1/guards', { key: tp.adminKey }), 403, 'BWK_E_GUARD_IP_BLOCKED', tp.secrets);
  assert.equal((await tp.request('DELETE', '/admin/v1/blocks/127.0.0.32', { key: tp.adminKey })).status, 200);
  const after = await guardsNow();
  const delta = (key: string): number => (after.rejections[key] ?? 0) - (before.rejections[key] ?? 0);
  assert.equal(delta('authn/-'), 2);
  assert.equal(delta('ip-block/manual'), 2);

  const cli = await runCli(['guards'], { BULWARK_URL: tp.url, BULWARK_API_KEY: tp.adminKey, BULWARK_HOME: tp.home });
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, /^#\s+GUARD\s+REFUSED\s+BY RULE$/m);
  assert.match(cli.stdout, /^1\s+ip-block\s+\d+\s+.*manual \d+/m);
  assert.match(cli.stdout, new RegExp(`^\\d+\\s+authn\\s+${after.rejections['authn/-']}\\s*$`, 'm'));
});

test('rate limits: 429 with Retry-After per address, per caller and per function; a wrong secret cannot drain a key', async (t) => {
  const rl = await startTestPlatform({
    overrides: {
      rateLimit: { perAddress: { rate: '1/min', burst: 3 }, perCaller: { rate: '1/min', burst: 4 }, perFunction: null, maxTracked: 1000 },
    },
  });
  t.after(() => rl.close());
  for (const files of [
    { 'bulwark.yaml': manifest('echo', ['{ method: POST, path: / }']), 'index.mjs': echoHandler },
    { 'bulwark.yaml': manifest('scarce', ['{ method: POST, path: / }'], ['limits: { rate: 2/h }']), 'index.mjs': echoHandler },
  ]) assert.equal((await rl.deployFiles(files)).status, 201);
  const victim = await rl.createKey({ role: 'invoker', functions: ['echo', 'scarce'] });
  const call = (address: string, fn: string, key: string | undefined = victim.key) => requestFrom(address, rl.url, 'POST', `/fn/${fn}`, { ...(key ? { key } : {}), body: {} });

  // Per address: three back to back, then 429 with Retry-After; the next address has its own bucket.
  for (let i = 0; i < 3; i++) assert.equal((await call('127.0.0.20', 'echo')).status, 200);
  const limited = await call('127.0.0.20', 'echo');
  assertError(limited, 429, 'BWK_E_GUARD_RATE_LIMITED', rl.secrets);
  const retryAfter = Number(limited.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${limited.headers.get('retry-after')}`);
  const event = await rl.expectEvent('guard.rejected', limited.requestId);
  assert.deepEqual([event.detail?.guard, event.detail?.rule], ['rate-limit', 'per-address']);
  assert.doesNotMatch(limited.text, /per-address|bucket/, 'which limit is not the caller\'s business');

  // Per caller: the key already made 3 calls; one more from a fresh address, then 429 per-caller.
  assert.equal((await call('127.0.0.21', 'echo')).status, 200);
  const keyLimited = await call('127.0.0.22', 'echo');
  assertError(keyLimited, 429, 'BWK_E_GUARD_RATE_LIMITED', rl.secrets);
  assert.equal((await rl.expectEvent('guard.rejected', keyLimited.requestId)).detail?.rule, 'per-caller');

  // A wrong secret with a key's id is refused by authn before any caller bucket: it cannot drain one.
  const other = await rl.createKey({ role: 'invoker', functions: ['echo', 'scarce'] });
  const forged = other.key.slice(0, -6) + (other.key.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA');
  for (let i = 0; i < 2; i++) {
    for (const address of ['127.0.0.23', '127.0.0.24']) assertError(await call(address, 'echo', forged), 401, 'BWK_E_GUARD_AUTH_INVALID', rl.secrets);
  }
  for (const address of ['127.0.0.25', '127.0.0.26']) assert.equal((await call(address, 'echo', other.key)).status, 200, 'the key\'s bucket is intact');

  // Per function (limits.rate: 2/h): two calls by anyone, then 429 for everyone.
  const third = await rl.createKey({ role: 'invoker', functions: ['scarce'] });
  assert.equal((await call('127.0.0.27', 'scarce', other.key)).status, 200);
  assert.equal((await call('127.0.0.28', 'scarce', third.key)).status, 200);
  const fnLimited = await call('127.0.0.29', 'scarce', third.key);
  assertError(fnLimited, 429, 'BWK_E_GUARD_RATE_LIMITED', rl.secrets);
  assert.equal((await rl.expectEvent('guard.rejected', fnLimited.requestId)).detail?.rule, 'per-function');
  assert.ok(Number(fnLimited.headers.get('retry-after')) > 60, 'a token every 30 minutes');
});

test('X-Forwarded-Host is believed from a trusted proxy only (its last entry, checked like Host); from anyone else the function sees the Host sent', async (t) => {
  const proxied = await startTestPlatform({ overrides: { gateway: { trustedProxies: ['127.0.0.40'] } } });
  t.after(() => proxied.close());
  assert.equal((await proxied.deployFiles({ 'bulwark.yaml': manifest('echo', ['{ method: POST, path: / }']), 'index.mjs': echoHandler })).status, 201);
  const key = (await proxied.createKey({ role: 'invoker', functions: ['echo'] })).key;
  const send = (address: string, forwardedHost: string) =>
    requestFrom(address, proxied.url, 'POST', '/fn/echo', { key, body: {}, headers: { 'x-forwarded-host': forwardedHost } });
  const sentHost = new URL(proxied.url).hostname;
  // The domain a function builds absolute URLs from (password-reset links, redirects): an attacker's
  // X-Forwarded-Host sent straight to the gateway must not become it.
  const direct = await send('127.0.0.41', 'evil.example');
  assert.equal(direct.status, 200, direct.text);
  assert.equal(direct.json.requestContext.domainName, sentHost);
  const viaProxy = await send('127.0.0.40', 'evil.example, shop.example');
  assert.equal(viaProxy.status, 200, viaProxy.text);
  assert.equal(viaProxy.json.requestContext.domainName, 'shop.example', 'the entry the trusted proxy appended, not the client\'s');
  const garbage = await send('127.0.0.40', 'shop.example/admin?');
  assertError(garbage, 400, 'BWK_E_GATEWAY_BAD_REQUEST', proxied.secrets);
  assert.match(garbage.json.error.message, /the Host header must be one hostname\[:port\]/);
});

test('behind a trusted proxy the client is the right-most untrusted X-Forwarded-For hop; from anyone else the header is ignored', async (t) => {
  const proxied = await startTestPlatform({
    overrides: { gateway: { trustedProxies: ['127.0.0.40', '10.0.0.0/8'] }, ipBlock: { allowlist: ['127.0.0.1'], blockTtlMs: 60_000 } },
  });
  t.after(() => proxied.close());
  assert.equal((await proxied.deployFiles({ 'bulwark.yaml': manifest('echo', ['{ method: POST, path: / }']), 'index.mjs': echoHandler })).status, 201);
  const key = (await proxied.createKey({ role: 'invoker', functions: ['echo'] })).key;
  const sourceIpSeen = async (address: string, xff?: string): Promise<string> => {
    const answer = await requestFrom(address, proxied.url, 'POST', '/fn/echo', { key, body: {}, ...(xff ? { headers: { 'x-forwarded-for': xff } } : {}) });
    assert.equal(answer.status, 200, answer.text);
    return answer.json.requestContext.http.sourceIp as string;
  };
  assert.equal(await sourceIpSeen('127.0.0.40', '203.0.113.5'), '203.0.113.5', 'the trusted proxy names the client');
  assert.equal(await sourceIpSeen('127.0.0.40', '1.2.3.4, 203.0.113.5'), '203.0.113.5', 'what the client itself wrote (left) is not believed');
  assert.equal(await sourceIpSeen('127.0.0.40', '203.0.113.5, 10.1.2.3'), '203.0.113.5', 'trusted hops are skipped from the right');
  assert.equal(await sourceIpSeen('127.0.0.40', '203.0.113.5:51234'), '203.0.113.5', 'a proxy writing ip:port names the client, not itself');
  assert.equal(await sourceIpSeen('127.0.0.40', '[2001:db8::5]:443, 10.1.2.3:80'), '2001:db8::5', 'and [ipv6]:port');
  // Garbage from a trusted proxy is never a client identity, not even the proxy's: the request is refused.
  const unnamed = await requestFrom('127.0.0.40', proxied.url, 'POST', '/fn/echo', { key, body: {}, headers: { 'x-forwarded-for': 'not-an-ip, 10.1.2.3' } });
  assertError(unnamed, 400, 'BWK_E_GATEWAY_BAD_REQUEST', proxied.secrets);
  assert.match(unnamed.json.error.message, /X-Forwarded-For from a trusted proxy has an entry that is not an IP address/);
  assert.ok(!proxied.events.some((e) => e.requestId === unnamed.requestId), 'refused before any guard: nothing is scored against anyone');
  assert.equal(await sourceIpSeen('127.0.0.40'), '127.0.0.40', 'no header: the proxy itself');
  assert.equal(await sourceIpSeen('127.0.0.41', '203.0.113.5'), '127.0.0.41', 'an untrusted peer\'s header is ignored');

  // Blocks fall on the client behind the proxy, not on the proxy (which would block everyone behind it).
  for (let i = 0; i < 7; i++) {
    await requestFrom('127.0.0.40', proxied.url, 'POST', '/fn/echo', { key: guessedKey(), body: {}, headers: { 'x-forwarded-for': '198.51.100.66' } });
  }
  const blocked = await requestFrom('127.0.0.40', proxied.url, 'POST', '/fn/echo', { key, body: {}, headers: { 'x-forwarded-for': '198.51.100.66' } });
  assertError(blocked, 403, 'BWK_E_GUARD_IP_BLOCKED', proxied.secrets);
  assert.equal(await sourceIpSeen('127.0.0.40', '198.51.100.67'), '198.51.100.67', 'another client behind the proxy is served');
  assert.equal(await sourceIpSeen('127.0.0.40'), '127.0.0.40', 'the proxy itself is not blocked');
  assert.ok(proxied.events.some((e) => e.type === 'ip.blocked' && e.sourceIp === '198.51.100.66'));
});
