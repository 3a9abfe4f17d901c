// Tracing over real HTTP, with a real OTLP/HTTP receiver in the test: with tracing on, a served call
// that carries a W3C traceparent is exported as request → guard chain, sandbox invocation, response
// filter in the caller's trace; a refused call as request → guard chain with the refusal's code; a queue
// delivery as its own trace. Spans carry no key, key id, client address or body. With tracing off (the
// default) nothing is sent, though the receiver listens at the configured endpoint.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertNoLeak, manifest, startTestPlatform, until, type TestPlatform } from '../support/platform.ts';
import { parseMetrics } from '../support/prometheus.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const handler = `export const handler = async () => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' });\n`;
const consumer = [
  'name: traced-queue', 'handler: index.mjs#handler', 'owner: tests@example.com', 'expires: 2099-12-31',
  'triggers:', '  - queue: { subject: traced.events }',
].join('\n') + '\n';

let receiver: OtlpReceiver;
before(async () => {
  receiver = await startOtlpReceiver();
});
after(() => receiver?.close());

async function deployBoth(tp: TestPlatform): Promise<string> {
  for (const files of [
    { 'bulwark.yaml': manifest('traced', ['{ method: ANY, path: / }']), 'index.mjs': handler },
    { 'bulwark.yaml': consumer, 'index.mjs': 'export const handler = async () => {};\n' },
  ]) {
    const deployed = await tp.deployFiles(files);
    assert.equal(deployed.status, 201, deployed.text);
  }
  const key = await tp.createKey({ role: 'invoker', functions: ['traced'] });
  return key.key;
}

/** Waits until the queue consumer has been dispatched once (read from /metrics). */
async function queueDelivered(tp: TestPlatform): Promise<void> {
  const token = (await readFile(join(tp.home, 'metrics-token'), 'utf8')).trim();
  const done = await until(5000, async () => {
    const text = (await tp.request('GET', '/metrics', { headers: { authorization: `Bearer ${token}` } })).text;
    return parseMetrics(text).value('bulwark_invocations_total', { function: 'traced-queue', source: 'queue' }) === 1 ? true : undefined;
  });
  assert.ok(done, 'the queue message was delivered');
}

test('tracing on: the request path is exported over OTLP/HTTP in the caller trace, nested, without secrets', async () => {
  const tp = await startTestPlatform({ overrides: { tracing: { enabled: true, otlpEndpoint: receiver.url, serviceName: 'bulwark-acceptance', sampleRatio: 1 } } });
  let key = '';
  try {
    key = await deployBoth(tp);
    const ok = await tp.request('POST', '/fn/traced', { key, body: { hello: 'world' }, headers: { traceparent: `00-${TRACE}-${PARENT}-01` } });
    assert.equal(ok.status, 200, ok.text);
    const denied = await tp.request('POST', '/fn/traced', { body: { hello: 'world' } });
    assert.equal(denied.status, 401);
    assert.equal((await tp.publish('traced.events', { n: 1 })).status, 202);
    await queueDelivered(tp);
  } finally {
    // Closing flushes the batch exporter.
    await tp.close();
  }
  assert.ok(receiver.requests.length > 0, 'spans were sent');
  for (const r of receiver.requests) {
    assert.equal(r.method, 'POST');
    assert.equal(r.path, '/v1/traces');
    assert.match(r.contentType, /^application\/json/);
    assertNoLeak(r.body.toString('utf8'), [key, ...tp.secrets, 'world'], 'OTLP export');
    assert.doesNotMatch(r.body.toString('utf8'), /127\.0\.0\.1|bwk_/);
  }
  const spans = receiver.spans();
  assert.ok(spans.every((s) => s.service === 'bulwark-acceptance'));

  // The served call: in the caller's trace, its root's parent is the caller's span.
  const inTrace = spans.filter((s) => s.traceId === TRACE);
  const root = inTrace.find((s) => s.name === 'request')!;
  assert.ok(root, `no request span in the caller trace: ${spans.map((s) => s.name).join(', ')}`);
  assert.equal(root.parentSpanId, PARENT);
  assert.equal(root.attributes['faas.name'], 'traced');
  assert.equal(root.attributes['http.response.status_code'], 200);
  const children = inTrace.filter((s) => s.parentSpanId === root.spanId).map((s) => s.name).sort();
  assert.deepEqual(children, ['guard chain', 'response filter', 'sandbox invocation']);
  assert.equal(inTrace.length, 4);

  // The refused call: a trace of its own, the chain marked with the refusal, no sandbox span.
  const other = spans.filter((s) => s.traceId !== TRACE);
  const refusedRoot = other.find((s) => s.name === 'request' && s.attributes['http.response.status_code'] === 401)!;
  assert.ok(refusedRoot, 'refused request span');
  assert.equal(refusedRoot.parentSpanId, undefined);
  const refusedChildren = other.filter((s) => s.traceId === refusedRoot.traceId && s.spanId !== refusedRoot.spanId);
  assert.deepEqual(refusedChildren.map((s) => s.name), ['guard chain']);
  assert.equal(refusedChildren[0]!.attributes['bulwark.error.code'], 'BWK_E_GUARD_AUTH_REQUIRED');

  // The queue delivery: dispatch's own root span.
  const queueRoot = other.find((s) => s.name === 'queue traced-queue')!;
  assert.ok(queueRoot, 'queue span');
  assert.deepEqual(other.filter((s) => s.parentSpanId === queueRoot.spanId).map((s) => s.name).sort(), ['guard chain', 'sandbox invocation']);
});

test('tracing off (the default): nothing is sent, even with an endpoint configured', async () => {
  const quiet = await startOtlpReceiver();
  const tp = await startTestPlatform({ overrides: { tracing: { otlpEndpoint: quiet.url } } });
  try {
    const key = await deployBoth(tp);
    assert.equal((await tp.request('POST', '/fn/traced', { key, body: {}, headers: { traceparent: `00-${TRACE}-${PARENT}-01` } })).status, 200);
    assert.equal((await tp.request('POST', '/fn/traced', { body: {} })).status, 401);
    assert.equal((await tp.publish('traced.events', { n: 1 })).status, 202);
    await queueDelivered(tp);
  } finally {
    await tp.close();
    await quiet.close();
  }
  assert.equal(quiet.requests.length, 0);
});
