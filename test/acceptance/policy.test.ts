// Least-privilege analysis on the real platform: a function granted 3 secrets and 2 egress hosts (local
// HTTP servers, listed explicitly) that uses 1 of each is invoked for real; `bulwark policy suggest`
// proposes only the used secret and host, `bulwark policy check` flags the rest and exits 1. A function
// using every grant — one host only through a URL computed at run time, which the static side cannot
// see — fails the check before it runs and passes it (exit 0) once its use was observed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'yaml';
import { manifest, runCli, startTestPlatform, until } from '../support/platform.ts';
import type { PolicyReport } from '../../src/policy/analyze.ts';

async function upstream(hits: string[], name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    hits.push(`${name} ${req.method} ${req.url}`);
    res.end(`hello from ${name}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

test('policy suggest keeps only the used secret and host; policy check flags unused grants (exit 1) and passes a function using all (exit 0)', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  const hits: string[] = [];
  const a = await upstream(hits, 'a');
  const b = await upstream(hits, 'b');
  t.after(() => {
    a.server.close();
    b.server.close();
  });
  const cliEnv = { BULWARK_URL: p.url, BULWARK_API_KEY: p.adminKey };
  for (const name of ['REPORT_TOKEN', 'SPARE_ONE', 'SPARE_TWO']) {
    assert.equal((await p.request('PUT', `/admin/v1/secrets/${name}`, { key: p.adminKey, body: { value: `value-of-${name}` } })).status, 201);
  }
  const hosts = `127.0.0.1:${a.port}, 127.0.0.1:${b.port}`;

  // Granted 3 secrets and 2 hosts; uses REPORT_TOKEN and host a.
  const lean = `
export const handler = async (event, context) => {
  const token = await context.secrets.get('REPORT_TOKEN');
  const res = await context.fetch('http://127.0.0.1:${a.port}/report');
  return { statusCode: 200, body: JSON.stringify({ length: token.length, upstream: await res.text() }) };
};
`;
  assert.equal((await p.deployFiles({
    'bulwark.yaml': manifest('lean', ['{ method: GET, path: /go }'], ['permissions:', `  egress: [${hosts}]`, '  secrets: [REPORT_TOKEN, SPARE_ONE, SPARE_TWO]']),
    'index.mjs': lean,
  })).status, 201);
  const ran = await p.request('GET', '/fn/lean/go', { key: p.adminKey });
  assert.equal(ran.status, 200, ran.text);
  assert.deepEqual(JSON.parse(ran.text), { length: 'value-of-REPORT_TOKEN'.length, upstream: 'hello from a' });
  assert.deepEqual(hits, ['a GET /report']);
  // The broker recorded both uses as capability events, the fetch by host:port.
  const fetchUse = await p.expectEvent('capability.used', ran.requestId!);
  assert.ok(p.events.some((e) => e.type === 'capability.used' && e.requestId === ran.requestId && e.detail?.capability === 'fetch' && e.detail.target === `127.0.0.1:${a.port}`), JSON.stringify(fetchUse));

  const suggest = await runCli(['policy', 'suggest', 'lean'], cliEnv);
  assert.equal(suggest.code, 0, suggest.stderr);
  assert.deepEqual(parse(suggest.stdout), { permissions: { egress: [`127.0.0.1:${a.port}`], secrets: ['REPORT_TOKEN'] } });
  assert.match(suggest.stdout, /# suggested for lean v1: 1\/3 secret\(s\), 1\/2 egress host\(s\) kept/);

  const check = await runCli(['policy', 'check', 'lean'], cliEnv);
  assert.equal(check.code, 1, check.stdout + check.stderr);
  assert.match(check.stderr, /^error BWK_E_POLICY_OVER_PRIVILEGED: Over-privileged: 3 unused grant\(s\) in lean/);
  const checkJson = await runCli(['policy', 'check', 'lean', '--json'], cliEnv);
  assert.equal(checkJson.code, 1);
  const [report] = JSON.parse(checkJson.stdout) as PolicyReport[];
  assert.deepEqual(report!.findings.map((f) => [f.kind, f.grant, f.overPrivileged]), [
    ['unused-secret', 'SPARE_ONE', true], ['unused-secret', 'SPARE_TWO', true], ['unused-egress', `127.0.0.1:${b.port}`, true],
  ]);
  for (const grant of ['SPARE_ONE', 'SPARE_TWO', `127.0.0.1:${b.port}`]) assert.match(check.stdout, new RegExp(grant.replace(/\./g, '\\.')));
  assert.doesNotMatch(check.stdout, /REPORT_TOKEN|value-of/);
  assert.deepEqual(report!.observed.map((o) => [o.capability, o.target, o.outcome, o.count]), [['fetch', `127.0.0.1:${a.port}`, 'used', 1], ['secrets', 'REPORT_TOKEN', 'used', 1]]);

  // Uses its one secret and both hosts, host b through a URL the static side cannot read.
  const full = `
export const handler = async (event, context) => {
  const token = await context.secrets.get('REPORT_TOKEN');
  const port = event.queryStringParameters?.port;
  await context.fetch('http://127.0.0.1:${a.port}/full');
  const res = await fetch('http://127.0.0.1:' + port + '/full');
  return { statusCode: 200, body: JSON.stringify({ length: token.length, status: res.status }) };
};
`;
  assert.equal((await p.deployFiles({
    'bulwark.yaml': manifest('full', ['{ method: GET, path: /go }'], ['permissions:', `  egress: [${hosts}]`, '  secrets: [REPORT_TOKEN]']),
    'index.mjs': full,
  })).status, 201);
  const before = await runCli(['policy', 'check', 'full', '--json'], cliEnv);
  assert.equal(before.code, 1, 'before it runs, host b is granted but neither referenced nor contacted');
  assert.deepEqual((JSON.parse(before.stdout) as PolicyReport[])[0]!.findings, [
    { kind: 'egress-never-contacted', grant: `127.0.0.1:${a.port}`, overPrivileged: false },
    { kind: 'unused-egress', grant: `127.0.0.1:${b.port}`, overPrivileged: true, note: 'the code has 1 fetch call(s) with a computed URL' },
  ]);
  const fullRun = await p.request('GET', `/fn/full/go?port=${b.port}`, { key: p.adminKey });
  assert.equal(fullRun.status, 200, fullRun.text);
  assert.ok(hits.includes('b GET /full'));
  await until(5000, () => p.events.filter((e) => e.requestId === fullRun.requestId && e.type === 'capability.used').length === 3 || undefined);
  const after = await runCli(['policy', 'check', 'full'], cliEnv);
  assert.equal(after.code, 0, after.stdout + after.stderr);
  assert.match(after.stdout, /No unused grants in 1 function\(s\)\./);

  // Viewers may read reports within their scope; invoker (machine) keys may not.
  const viewer = await p.createKey({ role: 'viewer', functions: ['lean'] });
  const scoped = await p.request('GET', '/admin/v1/policy', { key: viewer.key });
  assert.equal(scoped.status, 200, scoped.text);
  assert.deepEqual((JSON.parse(scoped.text) as { reports: PolicyReport[] }).reports.map((r) => r.function), ['lean']);
  assert.equal((await p.request('GET', '/admin/v1/policy/full', { key: viewer.key })).status, 403);
  const invoker = await p.createKey({ role: 'invoker', functions: ['*'] });
  assert.equal((await p.request('GET', '/admin/v1/policy/lean', { key: invoker.key })).status, 403);
  assert.equal((await runCli(['policy', 'check'], cliEnv)).code, 1, 'all functions: lean is over-privileged');
});
