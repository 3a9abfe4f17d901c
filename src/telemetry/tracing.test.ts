import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BulwarkError } from '../errors.ts';
import { startOtlpReceiver } from '../../test/support/otlp.ts';
import { createTracing, parseTraceparent } from './tracing.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

test('traceparent: valid W3C headers are continued, anything else starts a new trace', () => {
  assert.deepEqual(parseTraceparent(`00-${TRACE}-${PARENT}-01`), { traceId: TRACE, spanId: PARENT, traceFlags: 1 });
  assert.deepEqual(parseTraceparent(`00-${TRACE}-${PARENT}-00`), { traceId: TRACE, spanId: PARENT, traceFlags: 0 });
  // A later version may append fields; version 00 may not.
  assert.deepEqual(parseTraceparent(`01-${TRACE}-${PARENT}-03-extra`), { traceId: TRACE, spanId: PARENT, traceFlags: 1 });
  for (const bad of [
    undefined, '', `00-${TRACE}-${PARENT}-01-extra`, `ff-${TRACE}-${PARENT}-01`, `00-${'0'.repeat(32)}-${PARENT}-01`,
    `00-${TRACE}-${'0'.repeat(16)}-01`, `00-${TRACE.toUpperCase()}-${PARENT}-01`, `00-${TRACE.slice(1)}-${PARENT}-01`,
  ]) {
    assert.equal(parseTraceparent(bad), undefined, String(bad));
  }
  assert.equal(parseTraceparent([`00-${TRACE}-${PARENT}-01`, `00-${TRACE}-${PARENT}-01`]), undefined, 'repeated header');
});

test('spans are exported as OTLP JSON to the endpoint, nested, continuing the caller trace, failures marked', async (t) => {
  const receiver = await startOtlpReceiver();
  t.after(() => receiver.close());
  const tracing = createTracing({ enabled: true, otlpEndpoint: receiver.url, serviceName: 'bulwark-test', sampleRatio: 1 });
  const root = tracing.start('request', 'server', { 'http.request.method': 'GET' }, `00-${TRACE}-${PARENT}-01`);
  const chain = root.child('guard chain');
  chain.end(new BulwarkError('BWK_E_GUARD_AUTH_REQUIRED'));
  root.end();
  const fresh = tracing.start('queue hello', 'consumer', {});
  fresh.end();
  await tracing.close();

  assert.ok(receiver.requests.length > 0, 'something was sent');
  for (const r of receiver.requests) {
    assert.equal(r.method, 'POST');
    assert.equal(r.path, '/v1/traces');
    assert.match(r.contentType, /^application\/json/);
  }
  const spans = receiver.spans();
  const byName = new Map(spans.map((s) => [s.name, s]));
  const request = byName.get('request')!;
  const guard = byName.get('guard chain')!;
  assert.equal(request.traceId, TRACE);
  assert.equal(request.parentSpanId, PARENT);
  assert.equal(request.service, 'bulwark-test');
  assert.equal(guard.traceId, TRACE);
  assert.equal(guard.parentSpanId, request.spanId);
  assert.equal(guard.attributes['bulwark.error.code'], 'BWK_E_GUARD_AUTH_REQUIRED');
  assert.equal(guard.attributes['http.response.status_code'], 401);
  assert.equal(guard.status.code, 2, 'status ERROR');
  const queue = byName.get('queue hello')!;
  assert.notEqual(queue.traceId, TRACE, 'no traceparent: a new trace');
  assert.equal(queue.parentSpanId, undefined);
});

test('sampleRatio 0 records nothing, not even a caller trace flagged sampled; at 1 a sampled caller trace is followed', async (t) => {
  const receiver = await startOtlpReceiver();
  t.after(() => receiver.close());
  const off = createTracing({ enabled: true, otlpEndpoint: receiver.url, serviceName: 'bulwark', sampleRatio: 0 });
  off.start('unsampled', 'server', {}).end();
  off.start('caller asked', 'server', {}, `00-${TRACE}-${PARENT}-01`).end();
  off.start('caller said no', 'server', {}, `00-${TRACE}-${PARENT}-00`).end();
  await off.close();
  assert.deepEqual(receiver.spans().map((s) => s.name), []);
  const on = createTracing({ enabled: true, otlpEndpoint: receiver.url, serviceName: 'bulwark', sampleRatio: 1 });
  on.start('followed', 'server', {}, `00-${TRACE}-${PARENT}-01`).end();
  on.start('caller said no', 'server', {}, `00-${TRACE}-${PARENT}-00`).end();
  await on.close();
  assert.deepEqual(receiver.spans().map((s) => s.name), ['followed']);
});
