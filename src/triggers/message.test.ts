import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Principal } from '../auth/principal.ts';
import { decodePublication, encodeMessage } from './message.ts';

const publisher: Principal = {
  kind: 'jwt', actor: 'jwt:ada', roles: ['invoker'], functions: ['resize'], claims: { sub: 'ada', email: 'ada@example.com' }, expiresAt: '2030-01-01T00:00:00.000Z',
};

test('a published message carries its payload as JSON text and its publisher without claims', () => {
  const { message, messageId } = encodeMessage('images.uploaded', { id: 7, note: 'x' }, { publisher, sourceIp: '192.0.2.4', requestId: 'req-1' });
  assert.equal(message.subject, 'images.uploaded');
  assert.equal(Buffer.from(message.data).toString('utf8'), '{"id":7,"note":"x"}');
  assert.doesNotMatch(JSON.stringify(message.headers), /ada@example\.com/, 'claims stay out of the bus');
  const read = decodePublication(message);
  assert.equal(read.messageId, messageId);
  assert.deepEqual(read.publisher, { kind: 'jwt', actor: 'jwt:ada', roles: ['invoker'], functions: ['resize'], expiresAt: '2030-01-01T00:00:00.000Z' }, 'with its expiry, for the check at delivery');
  assert.equal(read.sourceIp, '192.0.2.4');
  assert.equal(read.requestId, 'req-1');
  assert.ok(Math.abs(read.publishedAt - Date.now()) < 60_000);
});

test('headers that do not name a proper publisher give no principal (the authn guard then refuses)', () => {
  const { message } = encodeMessage('a.b', 1, { publisher, sourceIp: '192.0.2.4', requestId: 'r' });
  const forged = (publisherHeader: string | undefined) => {
    const headers: Record<string, string> = { ...message.headers };
    if (publisherHeader === undefined) delete headers['bulwark-publisher'];
    else headers['bulwark-publisher'] = publisherHeader;
    return decodePublication({ ...message, headers }).publisher;
  };
  assert.equal(forged(undefined), undefined);
  assert.equal(forged('not json'), undefined);
  assert.equal(forged(JSON.stringify({ kind: 'scheduler', actor: 'scheduler', roles: [], functions: ['*'] })), undefined, 'no scheduler over the bus');
  assert.equal(forged(JSON.stringify({ kind: 'anonymous', actor: 'anonymous', roles: [], functions: [] })), undefined);
  assert.equal(forged(JSON.stringify({ kind: 'api-key', actor: 'key:x', roles: ['superuser'], functions: ['*'] })), undefined, 'unknown role');
  assert.equal(forged(JSON.stringify({ kind: 'api-key', actor: 'key:x', roles: ['admin'], functions: '*' })), undefined);
  assert.equal(forged(JSON.stringify({ kind: 'jwt', actor: 'jwt:ada', roles: ['invoker'], functions: ['*'] })), undefined, 'a JWT without its expiry cannot be checked again');
  assert.equal(forged(JSON.stringify({ kind: 'jwt', actor: 'jwt:ada', roles: ['invoker'], functions: ['*'], expiresAt: 'soon' })), undefined);
});

test('a message with no headers at all still has an id and a time, and no client address', () => {
  const read = decodePublication({ subject: 'a.b', data: new Uint8Array(), headers: {} });
  assert.match(read.messageId, /^[0-9a-f-]{36}$/);
  assert.equal(read.publisher, undefined);
  assert.equal(read.sourceIp, '0.0.0.0');
});
