// Metrics over real HTTP: a known sequence of calls to a deployed function (3 served, 2 without a key,
// 1 schema violation, 1 injection) shows up in GET /metrics exactly, read with an independent parser
// (parse-prometheus-text-format). /metrics answers only to its own token: without one, with a wrong
// one or with an API key (admin or invoker) it is 401 in the one error shape, recorded as auth.failed,
// and none of that runs the guard chain or shows up as an invocation. The exposition names functions,
// never a key, a key id or a client address.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertError, assertNoLeak, manifest, startTestPlatform, type CreatedKey, type TestPlatform } from '../support/platform.ts';
import { parseMetrics, type Scrape } from '../support/prometheus.ts';

const handler = `
export const handler = async (event) => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' });
`;
const schema = { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', maxLength: 200 } } };

let tp: TestPlatform;
let key: CreatedKey;
let token: string;

before(async () => {
  tp = await startTestPlatform();
  const deployed = await tp.deployFiles({
    'bulwark.yaml': manifest('metered', ['{ method: POST, path: / }'], ['input: schema.json']),
    'schema.json': JSON.stringify(schema),
    'index.mjs': handler,
  });
  assert.equal(deployed.status, 201, deployed.text);
  key = await tp.createKey({ role: 'invoker', functions: ['metered'] });
  token = (await readFile(join(tp.home, 'metrics-token'), 'utf8')).trim();
  tp.secrets.push(token, key.id);
});

after(() => tp?.close());

async function scrape(): Promise<{ text: string; m: Scrape }> {
  const answer = await tp.request('GET', '/metrics', { headers: { authorization: `Bearer ${token}` } });
  assert.equal(answer.status, 200, answer.text.slice(0, 500));
  assert.match(answer.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  assert.equal(answer.headers.get('cache-control'), 'no-store');
  return { text: answer.text, m: parseMetrics(answer.text) };
}

test('the token is generated on first start, readable by the owner only', async () => {
  assert.equal((await stat(join(tp.home, 'metrics-token'))).mode & 0o777, 0o600);
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
});

test('a known sequence of calls is counted exactly: outcomes, error codes, guard rules, latency, workers, spend', async () => {
  const fn = 'metered';
  for (let i = 0; i < 3; i++) assert.equal((await tp.request('POST', `/fn/${fn}`, { key: key.key, body: { name: 'Ada' } })).status, 200);
  for (let i = 0; i < 2; i++) assertError(await tp.request('POST', `/fn/${fn}`, { body: { name: 'Ada' } }), 401, 'BWK_E_GUARD_AUTH_REQUIRED', tp.secrets);
  assertError(await tp.request('POST', `/fn/${fn}`, { key: key.key, body: { name: 42 } }), 400, 'BWK_E_GUARD_INPUT_INVALID', tp.secrets);
  assertError(await tp.request('POST', `/fn/${fn}`, { key: key.key, body: { name: "1' UNION SELECT password FROM users--" } }), 400, 'BWK_E_GUARD_INJECTION', tp.secrets);

  const { text, m } = await scrape();
  const inv = (labels: Record<string, string>) => m.value('bulwark_invocations_total', { function: fn, ...labels });
  assert.equal(inv({ source: 'http', outcome: 'ok', status_class: '2xx' }), 3);
  assert.equal(inv({ source: 'http', outcome: 'rejected', status_class: '4xx' }), 4);
  assert.equal(inv({}), 7, 'nothing else was counted');
  assert.equal(m.value('bulwark_errors_total', { function: fn, code: 'BWK_E_GUARD_AUTH_REQUIRED' }), 2);
  assert.equal(m.value('bulwark_errors_total', { function: fn, code: 'BWK_E_GUARD_INPUT_INVALID' }), 1);
  assert.equal(m.value('bulwark_errors_total', { function: fn, code: 'BWK_E_GUARD_INJECTION' }), 1);
  assert.equal(m.value('bulwark_errors_total'), 4);
  assert.equal(m.value('bulwark_guard_rejections_total', { guard: 'authn', code: 'BWK_E_GUARD_AUTH_REQUIRED' }), 2);
  assert.equal(m.value('bulwark_guard_rejections_total', { guard: 'schema', rule: 'body', code: 'BWK_E_GUARD_INPUT_INVALID' }), 1);
  assert.equal(m.value('bulwark_guard_rejections_total', { guard: 'injection', rule: 'sql', code: 'BWK_E_GUARD_INJECTION' }), 1);
  assert.equal(m.value('bulwark_guard_rejections_total'), 4);
  assert.equal(m.value('bulwark_security_events_total', { type: 'guard.rejected' }), 4);
  // Only the served calls reached the sandbox, so only they have a latency.
  assert.equal(m.count('bulwark_invocation_duration_seconds', { function: fn }), 3);
  assert.ok(m.sum('bulwark_invocation_duration_seconds', { function: fn }) > 0);
  // The deploy proved the bundle in a warm worker, which is kept and served all three calls.
  assert.equal(m.value('bulwark_sandbox_workers', { function: fn, state: 'busy' }), 0);
  assert.ok(m.value('bulwark_sandbox_workers', { function: fn, state: 'idle' }) >= 1);
  const spawned = m.value('bulwark_sandbox_worker_spawns_total', { function: fn, result: 'ready' });
  assert.ok(spawned >= 1);
  assert.equal(m.count('bulwark_sandbox_worker_start_seconds', { function: fn }), spawned);
  assert.equal(m.value('bulwark_sandbox_queued', { function: fn }), 0);
  assert.ok(m.value('bulwark_function_spend', { function: fn, currency: 'USD' }) > 0, 'three metered invocations cost something');

  // Nothing a caller sent or holds: no key, key id, token, home path or client address.
  assertNoLeak(text, tp.secrets, 'metrics');
  assert.doesNotMatch(text, /127\.0\.0\.1|UNION|Ada/);
});

test('/metrics refuses a missing or wrong token and API keys, in the one error shape, outside the guard chain', async () => {
  const before = (await scrape()).m;
  const refused = [
    await tp.request('GET', '/metrics'),
    await tp.request('GET', '/metrics', { headers: { authorization: `Bearer ${token.slice(0, -1)}x` } }),
    await tp.request('GET', '/metrics', { headers: { authorization: token } }),
    await tp.request('GET', '/metrics', { key: tp.adminKey }),
    await tp.request('GET', '/metrics', { key: key.key }),
  ];
  for (const answer of refused) {
    assertError(answer, 401, 'BWK_E_METRICS_UNAUTHORIZED', tp.secrets);
    assert.equal(answer.json.error.message, 'A valid metrics token is required');
    const event = await tp.expectEvent('auth.failed', answer.requestId);
    assert.equal(event.detail?.surface, 'metrics');
    assert.equal(event.detail?.reason, answer === refused[0] ? 'missing' : 'invalid');
  }
  const after = (await scrape()).m;
  assert.equal(after.value('bulwark_invocations_total'), before.value('bulwark_invocations_total'), 'no invocation counted');
  assert.equal(after.value('bulwark_guard_rejections_total'), before.value('bulwark_guard_rejections_total'), 'no guard ran');
  assert.equal(
    after.value('bulwark_security_events_total', { type: 'auth.failed' }) - before.value('bulwark_security_events_total', { type: 'auth.failed' }),
    refused.length,
  );
});

test('with metrics disabled there is no /metrics route and no token file', async () => {
  const off = await startTestPlatform({ overrides: { metrics: { enabled: false } } });
  try {
    const answer = await off.request('GET', '/metrics', { headers: { authorization: `Bearer ${token}` } });
    assertError(answer, 404, 'BWK_E_GATEWAY_NOT_FOUND', off.secrets);
    await assert.rejects(stat(join(off.home, 'metrics-token')), { code: 'ENOENT' });
  } finally {
    await off.close();
  }
});

test('a configured token file that is readable by others stops the start', async () => {
  await assert.rejects(
    startTestPlatform({
      overrides: { metrics: { enabled: true, tokenFile: 'scrape.token' } },
      prepareHome: (home) => writeFile(join(home, 'scrape.token'), 'k'.repeat(40), { mode: 0o644 }),
    }),
    (err: Error & { code?: string }) => err.code === 'BWK_E_METRICS_TOKEN_UNUSABLE' && /readable by others/.test(err.message),
  );
});
