import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWorkerMessage } from './protocol.ts';

test('result and error frames carry `quiet` only when the worker says exactly true', () => {
  assert.deepEqual(parseWorkerMessage('{"t":"result","id":"a","value":1,"quiet":true}'), { t: 'result', id: 'a', value: 1, quiet: true });
  // Anything else (absent, a string, 1) means "output may follow": the gateway waits for the end marks.
  for (const q of ['', ',"quiet":"true"', ',"quiet":1']) {
    const m = parseWorkerMessage(`{"t":"result","id":"a","value":1${q}}`);
    assert.equal((m as { quiet: boolean }).quiet, false, q);
  }
  const e = parseWorkerMessage('{"t":"error","id":"a","kind":"function","error":{"name":"E","message":"m","stack":""},"quiet":true}');
  assert.equal((e as { quiet: boolean }).quiet, true);
});

test('a result frame with any other extra field is a protocol violation', () => {
  assert.throws(() => parseWorkerMessage('{"t":"result","id":"a","value":1,"quiet":true,"owner":"b"}'), { code: 'BWK_E_BROKER_PROTOCOL' });
});

test('a log notification (call 0) is accepted; a negative call id is not', () => {
  assert.equal((parseWorkerMessage('{"t":"cap","id":"a","call":0,"cap":"log","args":{}}') as { call: number }).call, 0);
  assert.throws(() => parseWorkerMessage('{"t":"cap","id":"a","call":-1,"cap":"log","args":{}}'), { code: 'BWK_E_BROKER_PROTOCOL' });
});
