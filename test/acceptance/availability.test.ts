// Acceptance: hostile callers cannot take the gateway's time. The gateway is a separate `bulwark serve`
// process, started exactly as an operator starts it (no extra node flags), so nothing in this test shares
// its event loop and a frozen gateway shows as a /healthz that does not answer.
//   - ReDoS: an input schema whose pattern backtracks catastrophically (`^(a|a)+$`, thirty a's and a `!`
//     take ~10 s per request on the backtracking engine) is answered 400 while /healthz stays live.
//   - Callers who disconnect while queued behind a function's concurrency limit leave the queue: their
//     requests never run (counted through the function's own log lines, read back over the admin API).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { deployBody, request, tempDir, writeFunction } from '../support/platform.ts';
import { startGatewayProcess, stopGatewayProcess, type GatewayProcess } from '../support/gateway-process.ts';

let home: string;
let gw: GatewayProcess;
let adminKey: string;
const dirs: string[] = [];

function fnFiles(name: string, extra: string[], handler: string, more: Record<string, string> = {}): Record<string, string> {
  return {
    'bulwark.yaml': [
      `name: ${name}`, 'handler: index.mjs#handler', 'owner: tests@example.com', 'expires: 2099-12-31',
      'triggers:', '  - http: { method: ANY, path: / }', ...extra, '',
    ].join('\n'),
    'index.mjs': handler,
    ...more,
  };
}

async function deploy(files: Record<string, string>): Promise<void> {
  const dir = await writeFunction(files);
  dirs.push(dir);
  const answer = await request(gw.url, 'POST', '/admin/v1/functions', { key: adminKey, body: (await deployBody(dir)).body, headers: { 'content-type': 'application/json' } });
  assert.equal(answer.status, 201, answer.text);
}

before(async () => {
  home = await tempDir('avail-home');
  gw = await startGatewayProcess(home);
  adminKey = (JSON.parse(await readFile(join(home, 'credentials.json'), 'utf8')) as { apiKey: string }).apiKey;
});

after(async () => {
  if (gw) await stopGatewayProcess(gw);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  if (home) await rm(home, { recursive: true, force: true });
});

test('a catastrophic-backtracking schema pattern is answered 400 while /healthz stays live', async () => {
  const schema = { type: 'object', required: ['s'], properties: { s: { type: 'string', pattern: '^(a|a)+$' } } };
  await deploy(fnFiles('regex', ['input: schema.json'], 'export const handler = async () => ({ statusCode: 200, body: "ok" });\n',
    { 'schema.json': JSON.stringify(schema) }));
  assert.equal((await request(gw.url, 'POST', '/fn/regex', { key: adminKey, body: { s: 'aaaa' } })).status, 200, 'a matching input passes');

  const evil = { s: 'a'.repeat(30) + '!' };
  const attacks = [1, 2].map(() => request(gw.url, 'POST', '/fn/regex', { key: adminKey, body: evil }));
  // Liveness, not speed: on the backtracking engine the gateway answers nobody for ~20 s here.
  const health = await fetch(`${gw.url}/healthz`, { signal: AbortSignal.timeout(2000) }).catch((err: Error) => err);
  assert.ok(!(health instanceof Error), `/healthz did not answer within 2 s while the attack was in flight (${String(health)})`);
  assert.equal(health.status, 200);
  for (const answer of await Promise.all(attacks)) {
    assert.equal(answer.status, 400, answer.text);
    assert.equal(answer.json.error.code, 'BWK_E_GUARD_INPUT_INVALID');
  }
});

test('the deploy-time message names the schema file, the pattern and why, for a pattern the linear engine cannot run', async () => {
  const dir = await writeFunction(fnFiles('backref', ['input: schemas/in.json'], 'export const handler = async () => ({ statusCode: 200 });\n',
    { 'schemas/in.json': JSON.stringify({ type: 'string', pattern: '^(a+)\\1$' }) }));
  dirs.push(dir);
  // The server parses the manifest itself (never trusting the client's parse): send the files as the CLI does.
  const source = await readFile(join(dir, 'bulwark.yaml'), 'utf8');
  const body = { manifest: source, files: { 'schemas/in.json': await readFile(join(dir, 'schemas/in.json'), 'utf8') }, bundle: 'AA==', sha256: '0'.repeat(64) };
  const answer = await request(gw.url, 'POST', '/admin/v1/functions', { key: adminKey, body });
  assert.equal(answer.status, 400, answer.text);
  assert.equal(answer.json.error.code, 'BWK_E_MANIFEST_INVALID');
  assert.match(answer.json.error.message, /bulwark\.yaml:7:8: input schema file 'schemas\/in\.json': pattern "\^\(a\+\)\\\\1\$" uses a backreference, which cannot run in linear time/);
});

/** Opens a request and leaves it waiting; the caller destroys it to disconnect. */
function openRequest(path: string, key: string): ClientRequest {
  const req = httpRequest(new URL(path, gw.url), { method: 'GET', headers: { authorization: `Bearer ${key}` } });
  req.on('error', () => { /* we hang up ourselves */ });
  req.end();
  return req;
}

async function ranCount(): Promise<{ total: number; requestIds: string[] }> {
  const answer = await request(gw.url, 'GET', '/admin/v1/functions/queued/logs?limit=1000', { key: adminKey });
  assert.equal(answer.status, 200, answer.text);
  const ran = (answer.json.logs as Array<{ message: string; requestId: string }>).filter((l) => l.message === 'ran');
  return { total: ran.length, requestIds: ran.map((l) => l.requestId) };
}

async function until<T>(ms: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('queued requests whose callers disconnected never run, and give their queue slots back', async () => {
  await deploy(fnFiles('queued', ['limits: { concurrency: 1, queue: 3, timeout: 20s }'], `
export const handler = async (event, context) => {
  context.log.info('ran');
  const ms = Number(event.queryStringParameters?.sleep ?? 0);
  await new Promise((r) => setTimeout(r, ms));
  return { statusCode: 200, body: 'done' };
};
`));
  // The holder takes the only permit; wait until it is really running.
  const holder = request(gw.url, 'GET', '/fn/queued?sleep=4000', { key: adminKey });
  assert.ok(await until(5000, async () => ((await ranCount()).total === 1 ? true : undefined)), 'the holder started');

  const abandoned = [1, 2, 3].map(() => openRequest('/fn/queued', adminKey));
  // The queue (3) is full once all three wait: a further caller is refused at once, which proves it.
  const full = await until(2000, async () => {
    await new Promise((r) => setTimeout(r, 100));
    const probe = await request(gw.url, 'GET', '/fn/queued', { key: adminKey, headers: { 'x-probe': '1' } });
    return probe.status === 429 ? probe : undefined;
  });
  assert.ok(full, 'the three abandoned requests were queued');
  for (const req of abandoned) req.destroy();

  // Their slots come back while the holder still runs: a new caller is queued rather than refused.
  let control: Promise<Awaited<ReturnType<typeof request>>> | undefined;
  const queuedAgain = await until(2500, async () => {
    const attempt = request(gw.url, 'GET', '/fn/queued', { key: adminKey });
    const settled = await Promise.race([attempt, new Promise<undefined>((r) => setTimeout(r, 300))]);
    if (settled === undefined) {
      control = attempt; // still waiting: it is in the queue
      return true;
    }
    return settled.status === 429 ? undefined : true;
  });
  assert.ok(queuedAgain && control, 'a queue slot was free again before the holder finished');

  assert.equal((await holder).status, 200);
  const last = await control!;
  assert.equal(last.status, 200, last.text);
  // Function logs are written asynchronously: wait for the control call's line, then count.
  assert.ok(await until(5000, async () => ((await ranCount()).requestIds.includes(last.requestId) ? true : undefined)), 'the control call was logged');
  const { total } = await ranCount();
  assert.equal(total, 2, `only the holder and the control call ran (the abandoned three did not): ${total} runs`);
});
