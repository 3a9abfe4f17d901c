import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressEntryProblem, canonicalIp, createAddressSet } from './address-set.ts';

test('canonicalIp: one spelling per address; legacy and garbage forms are not addresses', () => {
  assert.equal(canonicalIp('203.0.113.7'), '203.0.113.7');
  assert.equal(canonicalIp('::ffff:203.0.113.7'), '203.0.113.7', 'IPv4-mapped IPv6 is the IPv4 client');
  assert.equal(canonicalIp('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(canonicalIp('::1'), '::1');
  for (const bad of ['127.1', '0x7f.0.0.1', '2130706433', '127.0.0.1 ', 'unknown', '', '1.2.3.4.5', '203.0.113.7:80']) {
    assert.equal(canonicalIp(bad), undefined, bad);
  }
});

test('address sets match single addresses and CIDRs in either family, whatever the spelling', () => {
  const set = createAddressSet(['10.0.0.0/8', '192.0.2.1', '2001:db8::/32', '::ffff:198.51.100.0/120']);
  for (const yes of ['10.1.2.3', '::ffff:10.9.9.9', '192.0.2.1', '2001:db8:ffff::5', '198.51.100.77']) assert.equal(set.has(yes), true, yes);
  for (const no of ['11.0.0.1', '192.0.2.2', '2001:db9::1', '198.51.101.1', 'garbage', '']) assert.equal(set.has(no), false, no);
  assert.equal(createAddressSet([]).has('127.0.0.1'), false, 'an empty set holds nothing');
  assert.equal(createAddressSet(['0.0.0.0/0']).has('8.8.8.8'), true);
});

test('entries that are not an IP or CIDR are named with what is wrong', () => {
  assert.equal(addressEntryProblem('10.0.0.0/8'), undefined);
  assert.match(addressEntryProblem('10.0.0.0/33')!, /prefix length \(0 to 32\)/);
  assert.match(addressEntryProblem('2001:db8::/129')!, /prefix length \(0 to 128\)/);
  assert.match(addressEntryProblem('proxy.internal')!, /not an IP address or CIDR/);
  assert.match(addressEntryProblem('10.0.0.0/x')!, /invalid prefix length/);
  assert.throws(() => createAddressSet(['nope']), /not an IP address/);
});
