import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from './logger.ts';

test('every gateway log line passes the credential scanner and stays valid JSON', async () => {
  const lines: string[] = [];
  const destination = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  const logger = createLogger({ level: 'info', destination });
  const jwt = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('{"sub":"alice"}').toString('base64url')}.c2lnbmF0dXJlLXNpZ25hdHVyZQ`;
  logger.info({ url: `/fn/x?token=${jwt}`, note: 'quote " and key AKIAIOSFODNN7EXAMPLE' }, 'called with AKIAIOSFODNN7EXAMPLE');
  logger.error({ err: new Error(`upstream refused Bearer ${'t'.repeat(24)}`) }, 'failed');
  await new Promise((r) => setImmediate(r));
  assert.equal(lines.length, 2);
  const text = lines.join('');
  assert.doesNotMatch(text, /AKIAIOSFODNN7EXAMPLE|eyJ|t{24}/);
  const [first, second] = lines.map((l) => JSON.parse(l));
  assert.equal(first.msg, 'called with [REDACTED:aws-access-key-id]');
  assert.equal(first.url, '/fn/x?token=[REDACTED:jwt]');
  assert.equal(first.note, 'quote " and key [REDACTED:aws-access-key-id]');
  assert.match(second.err.message, /^upstream refused Bearer \[REDACTED:bearer-token\]$/);
});
