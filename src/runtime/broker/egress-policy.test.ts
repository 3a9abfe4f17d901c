import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEgress, egressTarget } from './egress-policy.ts';

async function decide(url: string, rules: Array<{ host: string; port: number }>) {
  return checkEgress(egressTarget(url)!, rules);
}

test('only http(s) URLs are egress targets', () => {
  assert.equal(egressTarget('file:///etc/passwd'), undefined);
  assert.equal(egressTarget('ftp://example.com/'), undefined);
  assert.deepEqual({ ...egressTarget('https://Example.COM./x')!, url: undefined }, { url: undefined, host: 'example.com', port: 443 });
});

test('a host:port not listed is refused', async () => {
  assert.equal((await decide('https://api.example.com/', [{ host: 'api.example.com', port: 8443 }])).allowed, false);
  assert.equal((await decide('http://127.0.0.1:81/', [{ host: '127.0.0.1', port: 80 }])).allowed, false);
});

test('non-public addresses are refused unless the IP itself is listed', async () => {
  // "localhost" resolves to loopback: listing the name is not enough.
  const byName = await decide('http://localhost:8080/', [{ host: 'localhost', port: 8080 }]);
  assert.equal(byName.allowed, false);
  assert.match((byName as { reason: string }).reason, /non-public/);
  // Listing the literal address is the explicit opt-in.
  const byIp = await decide('http://127.0.0.1:8080/', [{ host: '127.0.0.1', port: 8080 }]);
  assert.deepEqual(byIp, { allowed: true, addresses: [{ address: '127.0.0.1', family: 4 }] });
  const v6 = await decide('http://[::1]:8080/', [{ host: '[::1]', port: 8080 }]);
  assert.equal(v6.allowed, true);
});

test('cloud metadata names are refused even when listed', async () => {
  assert.equal((await decide('http://metadata.google.internal/', [{ host: 'metadata.google.internal', port: 80 }])).allowed, false);
});

test('an IPv4-mapped IPv6 literal is the same address as its IPv4 form', async () => {
  const d = await decide('http://[::ffff:169.254.169.254]/', [{ host: '169.254.169.254', port: 80 }]);
  assert.equal(d.allowed, true); // listed explicitly as the IPv4 literal
  const refused = await decide('http://[::ffff:169.254.169.254]/', [{ host: '169.254.169.253', port: 80 }]);
  assert.equal(refused.allowed, false);
});

test('unspecified addresses are refused even when listed: Linux delivers them to loopback', async () => {
  for (const [url, host] of [['http://0.0.0.0:80/', '0.0.0.0'], ['http://[::]:80/', '[::]'], ['http://0.1.2.3:80/', '0.1.2.3']] as const) {
    const d = await decide(url, [{ host, port: 80 }]);
    assert.deepEqual(d, { allowed: false, reason: 'unspecified address' }, url);
  }
});
