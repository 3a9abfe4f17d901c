import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BulwarkError } from '../errors.ts';
import { loadMetricsToken, METRICS_TOKEN_FILE } from './metrics-token.ts';

function home(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'bwk-metrics-token-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function refusal(fn: () => unknown, fragment: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof BulwarkError && err.code === 'BWK_E_METRICS_TOKEN_UNUSABLE' && fragment.test(err.message));
}

test('first start generates a random 0600 token file; later starts keep it', (t) => {
  const dir = home(t);
  const first = loadMetricsToken(dir, null);
  const file = join(dir, METRICS_TOKEN_FILE);
  assert.equal(first.file, file);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const token = readFileSync(file, 'utf8').trim();
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  const second = loadMetricsToken(dir, null);
  assert.equal(readFileSync(file, 'utf8').trim(), token, 'not regenerated');
  assert.ok(second.matches(`Bearer ${token}`));
  const other = home(t);
  loadMetricsToken(other, null);
  assert.notEqual(readFileSync(join(other, METRICS_TOKEN_FILE), 'utf8').trim(), token, 'each home has its own token');
});

test('only the exact bearer token matches', (t) => {
  const dir = home(t);
  const token = loadMetricsToken(dir, null);
  const value = readFileSync(join(dir, METRICS_TOKEN_FILE), 'utf8').trim();
  assert.equal(token.matches(`Bearer ${value}`), true);
  assert.equal(token.matches(`bearer ${value}`), true, 'the scheme is case-insensitive');
  assert.equal(token.matches(undefined), false);
  assert.equal(token.matches(''), false);
  assert.equal(token.matches(value), false, 'no scheme');
  assert.equal(token.matches(`Basic ${value}`), false);
  assert.equal(token.matches(`Bearer ${value.slice(0, -1)}`), false, 'a prefix');
  assert.equal(token.matches(`Bearer ${value}x`), false, 'longer');
  assert.equal(token.matches('Bearer bwk_abcdefghijkl_abcdefghijklmnopqrstuvwxyz'), false, 'an API key');
});

test('a configured token file is read, relative to home, and never generated', (t) => {
  const dir = home(t);
  const value = 'k'.repeat(40);
  writeFileSync(join(dir, 'scrape.token'), `${value}\n`, { mode: 0o600 });
  const token = loadMetricsToken(dir, 'scrape.token');
  assert.equal(token.file, join(dir, 'scrape.token'));
  assert.equal(token.matches(`Bearer ${value}`), true);
  assert.equal(token.matches(`bearer ${value}`), true, 'the scheme is case-insensitive');
  refusal(() => loadMetricsToken(dir, 'missing.token'), /cannot be read/);
});

test('a token file readable by others, too short or with spaces is refused', (t) => {
  const dir = home(t);
  const file = join(dir, 'scrape.token');
  writeFileSync(file, 'k'.repeat(40), { mode: 0o600 });
  chmodSync(file, 0o644);
  refusal(() => loadMetricsToken(dir, 'scrape.token'), /readable by others \(mode 644\)/);
  chmodSync(file, 0o600);
  writeFileSync(file, 'short');
  refusal(() => loadMetricsToken(dir, 'scrape.token'), /at least 32 characters/);
  writeFileSync(file, `${'k'.repeat(20)} ${'k'.repeat(20)}`);
  refusal(() => loadMetricsToken(dir, 'scrape.token'), /without spaces/);
});
