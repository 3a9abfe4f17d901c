// `bulwark doctor` reports the metrics and tracing state from config.yaml (docs/metrics.md): where the
// scrape token lives (never the token), a token file others can read or a configured one that is
// missing as failures, and whether traces are exported and where.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, tempDir } from './support/platform.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function home(files: Record<string, [text: string, mode: number]> = {}): Promise<string> {
  const dir = await tempDir('doctor-home');
  dirs.push(dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const [name, [text, mode]] of Object.entries(files)) await writeFile(join(dir, name), text, { mode });
  return dir;
}

async function doctor(dir: string): Promise<{ code: number | null; checks: Map<string, { status: string; detail: string }>; stdout: string }> {
  // Nothing listens on port 9: the gateway check is only a warning.
  const r = await runCli(['doctor', '--json'], { BULWARK_HOME: dir, BULWARK_URL: 'http://127.0.0.1:9' });
  const report = JSON.parse(r.stdout) as { checks: Array<{ name: string; status: string; detail: string }> };
  return { code: r.code, stdout: r.stdout, checks: new Map(report.checks.map((c) => [c.name, c])) };
}

test('doctor: defaults, metrics on with a token made at first start, tracing off', async () => {
  const dir = await home();
  const r = await doctor(dir);
  assert.equal(r.checks.get('metrics')?.status, 'ok');
  assert.match(r.checks.get('metrics')!.detail, /generated into .*metrics-token on first start/);
  assert.deepEqual(r.checks.get('tracing'), { name: 'tracing', status: 'ok', detail: 'off (tracing.enabled: false)' });
});

test('doctor: a token readable by others fails; the token itself is never printed', async () => {
  const token = 'k'.repeat(43);
  const dir = await home({ 'metrics-token': [token, 0o644] });
  const r = await doctor(dir);
  assert.equal(r.code, 1);
  assert.equal(r.checks.get('metrics')?.status, 'fail');
  assert.match(r.checks.get('metrics')!.detail, /mode 0644: the scrape token is readable by others, run chmod 600/);
  assert.ok(!r.stdout.includes(token));
});

test('doctor: a configured token file that is missing fails; tracing on names its endpoint', async () => {
  const config = 'metrics: { tokenFile: scrape.token }\ntracing: { enabled: true, otlpEndpoint: "http://collector:4318/v1/traces", sampleRatio: 0.25 }\n';
  const dir = await home({ 'config.yaml': [config, 0o600] });
  const r = await doctor(dir);
  assert.equal(r.code, 1);
  assert.equal(r.checks.get('metrics')?.status, 'fail');
  assert.match(r.checks.get('metrics')!.detail, /scrape\.token does not exist: the gateway will not start/);
  assert.equal(r.checks.get('tracing')?.detail, 'on: OTLP/HTTP to http://collector:4318/v1/traces, service bulwark, sampleRatio 0.25');
});
