import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BulwarkError } from './errors.ts';
import { loadConfig, type ConfigOverrides } from './config.ts';

function withConfig(yaml: string, overrides: ConfigOverrides = {}) {
  const home = mkdtempSync(join(tmpdir(), 'bwk-config-'));
  try {
    writeFileSync(join(home, 'config.yaml'), yaml);
    return loadConfig(home, overrides, {});
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function invalid(yaml: string, message: RegExp, overrides: ConfigOverrides = {}): void {
  assert.throws(() => withConfig(yaml, overrides), (err: unknown) => {
    assert.ok(err instanceof BulwarkError && err.code === 'BWK_E_CONFIG_INVALID', String(err));
    assert.match(err.message, message);
    return true;
  });
}

test('abuse protection is on by default: connection limits, rate limits, scoring; nothing trusted or allowlisted', () => {
  const c = withConfig('');
  assert.deepEqual(c.gateway.trustedProxies, []);
  assert.deepEqual(c.ipBlock.allowlist, [], 'loopback is not allowlisted by default');
  assert.ok(c.gateway.headersTimeoutMs <= c.gateway.requestTimeoutMs);
  assert.equal(c.rateLimit.perAddress?.rate, '100/s');
  assert.equal(c.rateLimit.perFunction, null);
  assert.equal(c.ipBlock.threshold, 100);
});

test('trusted proxies and the allowlist take IPs and CIDRs; anything else fails naming the key and entry', () => {
  const c = withConfig('gateway:\n  trustedProxies: [10.0.0.0/8, "2001:db8::1"]\nipBlock:\n  allowlist: [192.0.2.0/24]\n');
  assert.deepEqual(c.gateway.trustedProxies, ['10.0.0.0/8', '2001:db8::1']);
  invalid('gateway:\n  trustedProxies: [10.0.0.1, lb.internal]\n', /gateway\.trustedProxies\[1\] "lb\.internal" is not an IP address or CIDR/);
  invalid('ipBlock:\n  allowlist: [10.0.0.0/40]\n', /ipBlock\.allowlist\[0\] "10\.0\.0\.0\/40" has an invalid prefix length/);
  invalid('', /ipBlock\.allowlist\[0\]/, { ipBlock: { allowlist: ['127.1'] } });
  invalid('gateway:\n  trustProxy: [10.0.0.1]\n', /unknown key "trustProxy"/);
});

test('rate limits: "<n>/s|min|h" with a burst, or null for off; other spellings fail naming the key', () => {
  const c = withConfig('rateLimit:\n  perAddress: { rate: 600/min, burst: 50 }\n  perCaller: null\n  perFunction: { rate: 10/s, burst: 10 }\n');
  assert.deepEqual(c.rateLimit.perAddress, { rate: '600/min', burst: 50 });
  assert.equal(c.rateLimit.perCaller, null);
  assert.deepEqual(c.rateLimit.perFunction, { rate: '10/s', burst: 10 });
  invalid('rateLimit:\n  perAddress: { rate: 10/day, burst: 5 }\n', /rateLimit\.perAddress/);
  invalid('rateLimit:\n  perAddress: { rate: 10/s, burst: 0 }\n', /rateLimit\.perAddress/);
});

test('ipBlock: weights per guard merge over the defaults; the TTL cap may not be below the first TTL', () => {
  const c = withConfig('ipBlock:\n  weights:\n    guards: { schema: 10 }\n');
  assert.equal(c.ipBlock.weights.guards.schema, 10);
  assert.equal(c.ipBlock.weights.guards.injection, 24, 'unlisted weights keep their defaults');
  invalid('ipBlock:\n  weights:\n    guards: { schema: -1 }\n', /ipBlock\.weights\.guards\.schema/);
  invalid('ipBlock:\n  blockTtlMs: 60000\n  maxBlockTtlMs: 1000\n', /ipBlock\.maxBlockTtlMs must be at least ipBlock\.blockTtlMs/);
});

test('triggers: bounded attempts, delays and message size; defaults 256 KB, 3 attempts, 200 ms', () => {
  assert.deepEqual(withConfig('').triggers, { maxMessageBytes: 256 * 1024, maxAttempts: 3, retryDelayMs: 200 });
  assert.equal(withConfig('triggers:\n  maxAttempts: 5\n').triggers.maxAttempts, 5);
  invalid('triggers:\n  maxAttempts: 0\n', /triggers\.maxAttempts must be >= 1/);
  invalid('triggers:\n  maxMessageBytes: 100000000\n', /triggers\.maxMessageBytes must be <= 6291456/);
  invalid('triggers:\n  retry: 1\n', /triggers .*unknown key "retry"/);
});

test('signing: warn by default; off, warn or enforce; anything else fails naming the key', () => {
  assert.equal(withConfig('').signing, 'warn');
  assert.equal(withConfig('signing: enforce\n').signing, 'enforce');
  assert.equal(withConfig('signing: off\n').signing, 'off');
  invalid('signing: strict\n', /signing/);
  invalid('signing: true\n', /signing/);
});
