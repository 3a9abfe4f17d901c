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

test('lifecycle: hourly sweep, 90 days to stale, kv kept by default; bounds fail naming the key', () => {
  assert.deepEqual(withConfig('').lifecycle, { sweepIntervalMs: 3_600_000, staleAfterDays: 90, purgeKvOnOffboard: false, lastSeenFlushMs: 60_000 });
  assert.equal(withConfig('lifecycle:\n  purgeKvOnOffboard: true\n').lifecycle.purgeKvOnOffboard, true);
  invalid('lifecycle:\n  sweepIntervalMs: 10\n', /lifecycle\.sweepIntervalMs must be >= 1000/);
  invalid('lifecycle:\n  staleAfterDays: 0\n', /lifecycle\.staleAfterDays must be >= 1/);
  invalid('lifecycle:\n  purgeKvOnOffboard: yes please\n', /lifecycle\.purgeKvOnOffboard must be boolean/);
  invalid('lifecycle:\n  sweep: 1\n', /lifecycle .*unknown key "sweep"/);
});

test('signing: warn by default; off, warn or enforce; anything else fails naming the key', () => {
  assert.equal(withConfig('').signing, 'warn');
  assert.equal(withConfig('signing: enforce\n').signing, 'enforce');
  assert.equal(withConfig('signing: off\n').signing, 'off');
  invalid('signing: strict\n', /signing/);
  invalid('signing: true\n', /signing/);
});

test('metrics are on with a generated token and tracing is off by default; bad values fail naming the key', () => {
  const c = withConfig('');
  assert.deepEqual(c.metrics, { enabled: true, tokenFile: null });
  assert.deepEqual(c.tracing, { enabled: false, otlpEndpoint: 'http://127.0.0.1:4318/v1/traces', serviceName: 'bulwark', sampleRatio: 1 });
  const on = withConfig('tracing: { enabled: true, otlpEndpoint: "https://otel.example:4318/v1/traces", sampleRatio: 0.1 }\nmetrics: { tokenFile: scrape.token }\n');
  assert.equal(on.tracing.sampleRatio, 0.1);
  assert.equal(on.tracing.serviceName, 'bulwark');
  assert.equal(on.metrics.tokenFile, 'scrape.token');
  invalid('tracing: { sampleRatio: 2 }\n', /tracing\.sampleRatio must be <= 1/);
  invalid('tracing: { otlpEndpoint: "grpc://collector:4317" }\n', /tracing\.otlpEndpoint must match pattern/);
  invalid('metrics: { token: abc }\n', /metrics .*unknown key "token"/);
  invalid('metrics: { enabled: "yes" }\n', /metrics\.enabled must be boolean/);
});

test('incidents: on by default with the shipped rules; a webhook secret is a file or vault reference, never inline', () => {
  const c = withConfig('');
  assert.deepEqual(c.incidents, { enabled: true, rulesFile: null, maxTracked: 10_000, webhook: null });
  const hooked = withConfig('incidents:\n  rulesFile: rules.yaml\n  webhook: { url: "https://alerts.example.com/h", secretFile: hook-secret }\n');
  assert.equal(hooked.incidents.rulesFile, join(hooked.home, 'rules.yaml'));
  assert.deepEqual(hooked.incidents.webhook, { timeoutMs: 5000, maxAttempts: 4, backoffMs: 500, url: 'https://alerts.example.com/h', secretFile: join(hooked.home, 'hook-secret') });
  invalid('incidents:\n  webhook: { url: "https://a.example/h", secret: hunter2hunter2hunter2 }\n', /incidents\.webhook must NOT have additional properties \(unknown key "secret"\)/);
  invalid('incidents:\n  webhook: { url: "https://a.example/h" }\n', /incidents\.webhook needs exactly one of secretFile .* or secretName/);
  invalid('incidents:\n  webhook: { url: "https://a.example/h", secretFile: f, secretName: HOOK }\n', /needs exactly one of/);
  invalid('incidents:\n  webhook: { url: "ftp://a.example/h", secretName: HOOK }\n', /incidents\.webhook\.url must match pattern/);
});
