// Leak prevention over real HTTP (docs/dlp.md): a function whose response carries a credential (an AWS
// access key id, a PEM private key, the caller's own API key) is answered 502 BWK_E_DLP_RESPONSE_BLOCKED
// with no content under the default `dlp.responses: block`, or served with [REDACTED:<kind>] under
// `redact`; either way a dlp.leak event records the kind and a hash prefix, never the value. The value
// appears nowhere: not in the HTTP answer, the gateway log file, the captured log lines or the stored
// function logs (the function also prints it). A JWT a function logs is redacted in `bulwark logs`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SecurityEvent } from '../../src/bus/bus.ts';
import { assertError, assertNoLeak, manifest, runCli, startTestPlatform, until, type TestPlatform } from '../support/platform.ts';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0234567';
const awsKeyId = `AKIA${[...randomBytes(16)].map((b) => ALNUM[b % ALNUM.length]).join('')}`;
const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const pemBody = privateKey.split('\n')[1]!;
const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: 'alice', n: randomBytes(8).toString('hex') })}.${randomBytes(32).toString('base64url')}`;

/** Answers with (and prints) the credential ?leak= names; `echo` is whatever the caller posted. */
const leaky = `
const values = { aws: ${JSON.stringify(awsKeyId)}, pem: ${JSON.stringify(privateKey)}, jwt: ${JSON.stringify(jwt)} };
export const handler = async (event, context) => {
  const what = event.queryStringParameters?.leak;
  const value = what === 'echo' ? JSON.parse(event.body).echo : what === 'header' || what === 'header-name' ? values.aws : values[what] ?? 'nothing';
  console.log('about to answer with', value);
  if (what === 'header-name') {
    context.log.info('answering', { [values.aws]: 'a field named by the key' });
    return { statusCode: 200, headers: { [values.aws]: '1' }, body: 'ok' };
  }
  if (what === 'header') return { statusCode: 200, headers: { 'x-debug': values.aws }, body: 'ok' };
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ what, value }) };
};
`;
const files = { 'bulwark.yaml': manifest('leaky', ['{ method: ANY, path: / }']), 'index.mjs': leaky };

/** The credentials of this file: none may be stored anywhere. (tp.secrets also holds the home path, which logs may name.) */
const leaked = [awsKeyId, pemBody, jwt];

function assertAbsent(text: string, where: string): void {
  for (const value of leaked) assert.ok(!text.includes(value), `${where} holds ${value.slice(0, 8)}…`);
}

let tp: TestPlatform;
before(async () => {
  tp = await startTestPlatform();
  tp.secrets.push(...leaked);
  assert.equal((await tp.deployFiles(files)).status, 201);
});
after(() => tp?.close());

async function leakEvent(t: TestPlatform, requestId: string, where: 'response' | 'log'): Promise<SecurityEvent> {
  const found = await until(3000, () => t.events.find((e) => e.type === 'dlp.leak' && e.requestId === requestId && e.detail?.where === where));
  assert.ok(found, `no dlp.leak (${where}) event for ${requestId}`);
  assertNoLeak(JSON.stringify(found), t.secrets, 'the dlp.leak event');
  return found;
}

/** Nothing of the request's secrets in the gateway log file, the captured log lines or the stored function logs. */
async function assertStoredNowhere(t: TestPlatform, requestId: string): Promise<void> {
  const logs = await t.functionLogs('leaky', requestId);
  assert.ok(logs.some((l) => l.message.startsWith('about to answer with [REDACTED:')), `the function's line was stored, redacted: ${JSON.stringify(logs)}`);
  assertNoLeak(JSON.stringify(logs), t.secrets, 'stored function logs');
  assertAbsent(await t.expectLog([requestId]), 'gateway.log');
  assertAbsent(t.logLines().join('\n'), 'the gateway log lines');
}

const blockedCases: Array<[string, string, string]> = [
  ['an AWS access key id', 'aws', 'aws-access-key-id'],
  ['a PEM private key', 'pem', 'private-key'],
  ['a JWT', 'jwt', 'jwt'],
  ['an AWS key id in a response header', 'header', 'aws-access-key-id'],
  ['an AWS key id as a response header name (and a log field name)', 'header-name', 'aws-access-key-id'],
];
for (const [what, leak, kind] of blockedCases) {
  test(`block (the default): a response carrying ${what} is withheld with 502 and recorded`, async () => {
    const answer = await tp.request('GET', `/fn/leaky/?leak=${leak}`, { key: tp.adminKey });
    assertError(answer, 502, 'BWK_E_DLP_RESPONSE_BLOCKED', tp.secrets);
    const event = await leakEvent(tp, answer.requestId, 'response');
    assert.equal(event.function, 'leaky');
    assert.deepEqual({ kind: event.detail!.kind, action: event.detail!.action }, { kind, action: 'blocked' });
    assert.match(String(event.detail!.evidence), /^[0-9a-f]{12}$/);
    await assertStoredNowhere(tp, answer.requestId);
  });
}

test('block: a function handing back the caller\'s own API key is withheld', async () => {
  const caller = await tp.createKey({ role: 'invoker', functions: ['leaky'], label: 'dlp' });
  leaked.push(caller.key);
  const answer = await tp.request('POST', '/fn/leaky/?leak=echo', { key: caller.key, body: { echo: caller.key } });
  assertError(answer, 502, 'BWK_E_DLP_RESPONSE_BLOCKED', tp.secrets);
  assert.equal((await leakEvent(tp, answer.requestId, 'response')).detail!.kind, 'bulwark-api-key');
  await assertStoredNowhere(tp, answer.requestId);
});

test('a clean response is served as it is', async () => {
  const answer = await tp.request('GET', '/fn/leaky/?leak=none', { key: tp.adminKey });
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.json, { what: 'none', value: 'nothing' });
  assert.ok(!tp.events.some((e) => e.type === 'dlp.leak' && e.requestId === answer.requestId));
});

test('a JWT the function logs is redacted in `bulwark logs` and recorded as a log leak', async () => {
  const answer = await tp.request('GET', '/fn/leaky/?leak=jwt', { key: tp.adminKey });
  const event = await leakEvent(tp, answer.requestId, 'log');
  assert.deepEqual({ kind: event.detail!.kind, action: event.detail!.action }, { kind: 'jwt', action: 'redacted' });
  const env = { BULWARK_URL: tp.url, BULWARK_API_KEY: tp.adminKey, BULWARK_HOME: tp.home };
  const logs = await runCli(['logs', 'leaky', '--request-id', answer.requestId], env);
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /about to answer with \[REDACTED:jwt\]/);
  assertNoLeak(logs.stdout, tp.secrets, '`bulwark logs`');
});

test('redact: the credential is replaced in the body and the header, the rest is served, and it is recorded', async () => {
  const red = await startTestPlatform({ overrides: { dlp: { responses: 'redact' } } });
  try {
    red.secrets.push(...leaked);
    assert.equal((await red.deployFiles(files)).status, 201);
    const body = await red.request('GET', '/fn/leaky/?leak=pem', { key: red.adminKey });
    assert.equal(body.status, 200);
    assert.deepEqual(body.json, { what: 'pem', value: '[REDACTED:private-key]' });
    assertNoLeak(body.text, red.secrets);
    const header = await red.request('GET', '/fn/leaky/?leak=header', { key: red.adminKey });
    assert.equal(header.status, 200);
    assert.equal(header.headers.get('x-debug'), '[REDACTED:aws-access-key-id]');
    for (const a of [body, header]) assert.equal((await leakEvent(red, a.requestId, 'response')).detail!.action, 'redacted');
    assertAbsent(await readFile(join(red.home, 'logs', 'gateway.log'), 'utf8'), 'gateway.log');
  } finally {
    await red.close();
  }
});
