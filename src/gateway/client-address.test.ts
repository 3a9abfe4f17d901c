import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { createAddressSet } from '../net/address-set.ts';
import { createClientAddress, forwardedAddress } from './client-address.ts';

const behind = createClientAddress(createAddressSet(['10.0.0.0/8']));
/** A request from TCP peer `peer` carrying X-Forwarded-For `xff`. */
const from = (peer: string, xff?: string | string[]) =>
  ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;

test('X-Forwarded-For entries with a port are the address: a proxy writing ip:port does not make every client the proxy', () => {
  assert.deepEqual(behind.of(from('10.0.0.1', '203.0.113.7:51234')), { ok: true, address: '203.0.113.7' });
  assert.deepEqual(behind.of(from('10.0.0.1', '203.0.113.8:51234')), { ok: true, address: '203.0.113.8' }, 'two clients, two addresses');
  assert.deepEqual(behind.of(from('10.0.0.1', '[2001:DB8::7]:443')), { ok: true, address: '2001:db8::7' });
  assert.deepEqual(behind.of(from('10.0.0.1', '[2001:db8::7]')), { ok: true, address: '2001:db8::7' });
  assert.deepEqual(behind.of(from('10.0.0.1', '[::ffff:203.0.113.9]:80')), { ok: true, address: '203.0.113.9' }, 'canonical, like a bare entry');
  // Trusted hops with ports are skipped from the right like any others; what the client wrote stays unread.
  assert.deepEqual(behind.of(from('10.0.0.1', '192.0.2.1, 198.51.100.9:1000, 10.0.0.2:80')), { ok: true, address: '198.51.100.9' });
  assert.deepEqual(behind.of(from('10.0.0.1', ['198.51.100.9:1000', '10.0.0.2:80'])), { ok: true, address: '198.51.100.9' }, 'repeated headers are one list');
});

test('an entry from a trusted proxy that is not an address refuses the request rather than naming the proxy as the client', () => {
  for (const entry of ['unknown', 'client.example', '', '203.0.113.7:', '203.0.113.7:65536', '203.0.113.7:80:80', '[203.0.113.7]:80', '2001:db8::7]:443', '[2001:db8::7', '_hidden']) {
    const outcome = behind.of(from('10.0.0.1', `${entry}, 10.0.0.2`));
    assert.equal(outcome.ok, false, JSON.stringify(entry));
    assert.deepEqual(!outcome.ok && [outcome.proxy, outcome.problem], ['10.0.0.2', 'X-Forwarded-For from a trusted proxy has an entry that is not an IP address']);
  }
  // Garbage the client wrote further left is never reached: the first untrusted hop is the client.
  assert.deepEqual(behind.of(from('10.0.0.1', 'unknown, 203.0.113.7:4711')), { ok: true, address: '203.0.113.7' });
});

test('from an untrusted peer, or with no trusted proxies, the header is ignored whatever it holds', () => {
  assert.deepEqual(behind.of(from('192.0.2.50', 'unknown')), { ok: true, address: '192.0.2.50' });
  assert.deepEqual(behind.of(from('192.0.2.50', '203.0.113.7:1')), { ok: true, address: '192.0.2.50' });
  const direct = createClientAddress(createAddressSet([]));
  assert.deepEqual(direct.of(from('::ffff:10.0.0.1', 'unknown')), { ok: true, address: '10.0.0.1' });
  assert.deepEqual(behind.of(from('10.0.0.1')), { ok: true, address: '10.0.0.1' }, 'no header: the proxy itself');
});

test('forwardedAddress: an unbracketed IPv6 entry is an address alone, never address:port', () => {
  assert.equal(forwardedAddress('2001:db8::1:80'), '2001:db8::1:80');
  assert.equal(forwardedAddress('::1'), '::1');
  assert.equal(forwardedAddress('0x7f.1:80'), undefined, 'legacy IPv4 spellings stay refused, port or not');
  assert.equal(forwardedAddress('127.1:80'), undefined);
});
