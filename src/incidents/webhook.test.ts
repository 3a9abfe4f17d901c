import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BulwarkError } from '../errors.ts';
import { createLogger } from '../telemetry/logger.ts';
import type { IncidentWebhookConfig } from '../config.ts';
import { createWebhookNotifier, signPayload } from './webhook.ts';

const logger = createLogger({ level: 'silent' });
const SECRET = 'a-webhook-secret-of-some-length';

/** A real receiver answering with `answers` in turn (the last one repeated); records what it got. */
async function receiver(t: { after: (fn: () => Promise<void>) => void }, answers: Array<number | 'hang' | 'redirect'>) {
  const got: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
  const server = createServer((req, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = answers[Math.min(got.length - 1, answers.length - 1)]!;
      if (answer === 'hang') return;
      if (answer === 'redirect') return void res.writeHead(307, { location: 'http://127.0.0.1:1/elsewhere' }).end();
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return { got, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` };
}

async function secretFile(t: { after: (fn: () => Promise<void>) => void }, value = SECRET): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bwk-webhook-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'secret'), `${value}\n`, { mode: 0o600 });
  return join(dir, 'secret');
}

const config = (url: string, over: Partial<IncidentWebhookConfig>): IncidentWebhookConfig => ({ url, timeoutMs: 1000, maxAttempts: 3, backoffMs: 1, ...over });
const noVault = async () => undefined;

test('the signature is HMAC-SHA256 over "<t>.<body>" (a fixed vector) and verifies on the receiving side', async (t) => {
  assert.equal(signPayload('secret', 1700000000, '{"a":1}'), `t=1700000000,v1=${createHmac('sha256', 'secret').update('1700000000.{"a":1}').digest('hex')}`);
  const r = await receiver(t, [204]);
  const hook = createWebhookNotifier(config(r.url, { secretFile: await secretFile(t) }), { logger, readSecret: noVault });
  const outcome = await hook.deliver('incident.opened', { incident: { id: 'inc_1' } });
  assert.deepEqual(outcome, { ok: true, attempts: 1, status: 204 });
  const { headers, body } = r.got[0]!;
  const [, ts, sig] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(headers['x-bulwark-signature']))!;
  assert.equal(sig, createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex'));
  assert.equal(headers['x-bulwark-event'], 'incident.opened');
  assert.equal(JSON.parse(body).delivery, headers['x-bulwark-delivery']);
  assert.ok(!body.includes(SECRET));
});

test('retries network failures, timeouts, 429 and 5xx with backoff; other answers and redirects are final', async (t) => {
  const flaky = await receiver(t, [503, 429, 200]);
  const ok = await createWebhookNotifier(config(flaky.url, { secretFile: await secretFile(t) }), { logger, readSecret: noVault }).deliver('e', {});
  assert.deepEqual([ok.ok, ok.attempts, flaky.got.length], [true, 3, 3]);

  const refused = await receiver(t, [400]);
  const no = await createWebhookNotifier(config(refused.url, { secretFile: await secretFile(t) }), { logger, readSecret: noVault }).deliver('e', {});
  assert.deepEqual([no.ok, no.attempts, no.reason], [false, 1, 'HTTP 400']);

  const moved = await receiver(t, ['redirect']);
  const redirect = await createWebhookNotifier(config(moved.url, { secretFile: await secretFile(t) }), { logger, readSecret: noVault }).deliver('e', {});
  assert.deepEqual([redirect.ok, redirect.status, moved.got.length], [false, 307, 1]);

  const slow = await receiver(t, ['hang']);
  const timeout = await createWebhookNotifier(config(slow.url, { secretFile: await secretFile(t), timeoutMs: 100, maxAttempts: 2 }), { logger, readSecret: noVault }).deliver('e', {});
  assert.deepEqual([timeout.ok, timeout.attempts, timeout.reason], [false, 2, 'no answer within 100 ms']);

  const down = await createWebhookNotifier(config('http://127.0.0.1:1/hook', { secretFile: await secretFile(t), maxAttempts: 2 }), { logger, readSecret: noVault }).deliver('e', {});
  assert.deepEqual([down.ok, down.attempts], [false, 2]);
  assert.match(down.reason!, /^request failed/);
});

test('a vault secret is read at each delivery; a missing secret or secret file is refused clearly', async (t) => {
  const r = await receiver(t, [200]);
  let value: string | undefined = 'vault-held-secret-1234567890';
  const hook = createWebhookNotifier(config(r.url, { secretName: 'HOOK' }), { logger, readSecret: async () => (value ? Buffer.from(value) : undefined) });
  assert.equal((await hook.deliver('e', {})).ok, true);
  const [, ts, sig] = /^t=(\d+),v1=(\w+)$/.exec(String(r.got[0]!.headers['x-bulwark-signature']))!;
  assert.equal(sig, createHmac('sha256', value).update(`${ts}.${r.got[0]!.body}`).digest('hex'));
  value = undefined;
  assert.deepEqual(await hook.deliver('e', {}), { ok: false, attempts: 0, reason: 'vault secret HOOK is not set' });

  assert.throws(() => createWebhookNotifier(config(r.url, { secretFile: '/nonexistent/secret' }), { logger, readSecret: noVault }),
    (err) => err instanceof BulwarkError && err.code === 'BWK_E_CONFIG_INVALID' && /secretFile cannot be read \(ENOENT\)/.test(err.message) && !err.message.includes('/nonexistent'));
  const short = await secretFile(t, 'short');
  assert.throws(() => createWebhookNotifier(config(r.url, { secretFile: short }), { logger, readSecret: noVault }), /at least 16 characters/);
});

test('a secret file others can read is refused at start, naming the key and the fix', async (t) => {
  const file = await secretFile(t);
  await chmod(file, 0o644);
  assert.throws(
    () => createWebhookNotifier(config('http://127.0.0.1:1/hook', { secretFile: file }), { logger, readSecret: noVault }),
    (err: unknown) => err instanceof BulwarkError && err.code === 'BWK_E_CONFIG_INVALID' && /secretFile is readable by others \(mode 644\): run chmod 600/.test(err.message),
  );
});
