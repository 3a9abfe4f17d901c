// The one platform test harness (acceptance tests, CLI tests and the gateway's own tests): a real platform
// (gateway, sqlite store, process sandboxes) on a temp home and an ephemeral loopback port, driven only
// over HTTP, the way the CLI and remote callers drive it. Functions are bundled with the real bundler and
// deployed through the real admin API. It records every security event, keeps the gateway's log lines in
// memory as well as in $home/logs/gateway.log, and checks answers for leaks. Nothing here replaces a part
// of the platform.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { SecurityEvent, SecurityEventType } from '../../src/bus/bus.ts';
import { loadConfig, type ConfigOverrides } from '../../src/config.ts';
import { bundleFunction } from '../../src/deploy/bundle.ts';
import { startPlatform, type Platform } from '../../src/gateway/platform.ts';
import { loadManifest } from '../../src/manifest/load.ts';
import type { DeadLetter, Role } from '../../src/store/store.ts';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
export const examplesDir = join(repoRoot, 'examples');
export const cliMain = join(repoRoot, 'src/cli/main.ts');

/** A temp directory under the OS temp dir; removed by the caller (see cleanup in each test file). */
export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `bwk-${prefix}-`));
}

/** Writes a function directory (bulwark.yaml and sources) into a fresh temp dir and returns its path. */
export async function writeFunction(files: Record<string, string>): Promise<string> {
  const dir = await tempDir('fn');
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
  return dir;
}

/** A manifest for test functions (handler index.mjs#handler); `extra` lines are appended as they are. */
export function manifest(name: string, triggers: string[], extra: string[] = []): string {
  return [
    `name: ${name}`,
    'handler: index.mjs#handler',
    'owner: tests@example.com',
    'expires: 2099-12-31',
    'triggers:',
    ...triggers.map((t) => `  - http: ${t}`),
    ...extra,
  ].join('\n') + '\n';
}

/** A handler that answers with the event it received, after ?sleep=ms if asked. */
export const echoHandler = `
export const handler = async (event) => {
  const q = event.queryStringParameters ?? event.multiValueQueryStringParameters ?? {};
  const sleep = Array.isArray(q.sleep) ? q.sleep[0] : q.sleep;
  if (sleep) await new Promise((r) => setTimeout(r, Number(sleep)));
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) };
};
`;

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body when it is JSON, else undefined. */
  json: any;
  /** The gateway's x-request-id for this request. */
  requestId: string;
  ms: number;
}

export interface RequestOptions {
  /** Sent as `Authorization: Bearer <key>`. */
  key?: string;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** Headers and body text for RequestOptions: the key as a bearer token, a non-string body as JSON. */
function encodeRequest(opts: RequestOptions): { headers: Record<string, string>; body: string | undefined } {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  if (opts.body === undefined) return { headers, body: undefined };
  if (typeof opts.body !== 'string') headers['content-type'] ??= 'application/json';
  return { headers, body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) };
}

export async function request(baseUrl: string, method: string, path: string, opts: RequestOptions = {}): Promise<Answer> {
  const { headers, body } = encodeRequest(opts);
  const started = performance.now();
  const res = await fetch(baseUrl + path, { method, headers, body, redirect: 'manual' });
  return answerOf(res, started);
}

/**
 * A request sent from a chosen local address (any of 127.0.0.0/8 on Linux), so the gateway sees a
 * distinct client: blocking and rate limits are per address. Same options and Answer as request().
 */
export function requestFrom(localAddress: string, baseUrl: string, method: string, path: string, opts: RequestOptions = {}): Promise<Answer> {
  const { headers, body } = encodeRequest(opts);
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // agent: false: a fresh connection per request, from localAddress, nothing pooled across tests.
    const req = httpRequest(new URL(path, baseUrl), { method, headers, localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('error', reject);
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) h.append(k, one);
        }
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: h, text, json, requestId: h.get('x-request-id') ?? '', ms: performance.now() - started });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Reads a fetch Response into an Answer; `started` is when the request was sent (for `ms`). */
export async function answerOf(res: Response, started = performance.now()): Promise<Answer> {
  const text = await res.text();
  const ms = performance.now() - started;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json, requestId: res.headers.get('x-request-id') ?? '', ms };
}

/** The deploy request body exactly as `bulwark deploy` builds it: manifest source, files, bundle, sha256. */
export async function deployBody(dir: string): Promise<{ name: string; body: string; sha256: string }> {
  const { manifest, source, files } = await loadManifest(dir);
  const bundle = await bundleFunction(dir, manifest);
  const body = JSON.stringify({ manifest: source, files, bundle: Buffer.from(bundle.code).toString('base64'), sha256: bundle.sha256 });
  return { name: manifest.name, body, sha256: bundle.sha256 };
}

export interface DeployAnswer {
  name: string;
  version: number;
  sha256: string;
  deployedAt: string;
  unchanged: boolean;
}

/** Everything that must never reach a remote caller, beyond the per-test secrets passed in. */
const ALWAYS_FORBIDDEN: Array<[string, RegExp]> = [
  ['a stack frame', /\n\s+at\s|\bat (async )?[\w$.<>]+ \(/],
  ['a stack location', /\bat (?:\S+ \()?(?:file:\/\/|node:|\/)[^\s)]*:\d+:\d+/],
  ['a node internal', /node:internal/],
  ['the repository path', new RegExp(repoRoot.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))],
  ['a /work path', /\/work\//],
  ['an API key', /bwk_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{20,}/],
];

/**
 * Asserts `text` (a response body, or headers joined) reveals none of `secrets` (keys, tokens, host
 * paths, canaries) and nothing that looks like a stack trace or an internal path.
 */
export function assertNoLeak(text: string, secrets: ReadonlyArray<string>, what = 'response'): void {
  for (const [name, re] of ALWAYS_FORBIDDEN) assert.doesNotMatch(text, re, `${what} leaks ${name}: ${text.slice(0, 500)}`);
  for (const s of secrets) {
    if (s.length < 6) continue;
    assert.ok(!text.includes(s), `${what} leaks a secret or host detail (${s.slice(0, 6)}…): ${text.slice(0, 500)}`);
  }
}

export interface ErrorFields {
  code: string;
  message: string;
  requestId: string;
}

/**
 * Asserts the answer is exactly the platform's error shape with this status and code, carrying the
 * request id of the x-request-id header, and leaking nothing.
 */
export function assertError(answer: Answer, status: number, code: string, secrets: ReadonlyArray<string>): void {
  assert.equal(answer.status, status, `expected HTTP ${status} ${code}, got ${answer.status}: ${answer.text.slice(0, 500)}`);
  assert.equal(errorOf(answer, secrets).code, code);
}

/** The error of an error answer (or raw Response), after asserting what assertError does except the status and code. */
export async function errorBody(res: Response | Answer, secrets: ReadonlyArray<string> = []): Promise<ErrorFields> {
  return errorOf(res instanceof Response ? await answerOf(res) : res, secrets);
}

function errorOf(answer: Answer, secrets: ReadonlyArray<string>): ErrorFields {
  assert.ok(answer.json && typeof answer.json === 'object', `error body is not JSON: ${answer.text.slice(0, 200)}`);
  assert.deepEqual(Object.keys(answer.json), ['error'], 'error body has only "error"');
  assert.deepEqual(Object.keys(answer.json.error).sort(), ['code', 'message', 'requestId']);
  assert.equal(typeof answer.json.error.code, 'string');
  assert.equal(typeof answer.json.error.message, 'string');
  assert.match(answer.requestId, /^[0-9a-f-]{36}$/, 'x-request-id header');
  assert.equal(answer.json.error.requestId, answer.requestId, 'body requestId equals x-request-id');
  assertNoLeak(answer.text, secrets);
  assert.doesNotMatch(answer.text, /\/(home|tmp|work|usr|etc|root)\//, `error body leaks a host path: ${answer.text.slice(0, 500)}`);
  assertNoLeak([...answer.headers].map(([k, v]) => `${k}: ${v}`).join('\n'), secrets, 'response headers');
  return answer.json.error as ErrorFields;
}

export interface CreatedKey {
  id: string;
  key: string;
}

export interface TestPlatform {
  readonly platform: Platform;
  readonly url: string;
  readonly port: number;
  readonly home: string;
  readonly adminKey: string;
  /** Every security event published since start. */
  readonly events: SecurityEvent[];
  /** Keys, tokens and host paths no response may contain. Add to it as a test creates more. */
  readonly secrets: string[];
  /** Gateway log lines (pino JSON, every level from debug) written since start. */
  logLines(): string[];
  request(method: string, path: string, opts?: RequestOptions): Promise<Answer>;
  /** A raw fetch of a gateway path (streams, exact headers), with `key` sent as a bearer token. */
  fetch(path: string, init?: RequestInit & { key?: string }): Promise<Response>;
  /** Deploys a function directory through the admin API (raw answer, any status). */
  deployRaw(dir: string, key?: string): Promise<Answer>;
  /** Writes `files` (path → content) to a temp dir removed on close, and deploys it (raw answer, any status). */
  deployFiles(files: Record<string, string>, key?: string): Promise<Answer>;
  /** Deploys and asserts 201. */
  deploy(dir: string, key?: string): Promise<DeployAnswer>;
  createKey(input: { role: Role; functions: string[]; label?: string; expiresInDays?: number }): Promise<CreatedKey>;
  /** Versions of a function as the admin API lists them (empty when the function does not exist). */
  versions(name: string): Promise<{ active: number | undefined; versions: number[] }>;
  /** Waits (up to `ms`) for a security event matching `type` and the request id; fails the test if none. */
  expectEvent(type: SecurityEventType, requestId: string, ms?: number): Promise<SecurityEvent>;
  /** Waits (up to `ms`) until the gateway log file contains all of `needles`; returns the file text. */
  expectLog(needles: string[], ms?: number): Promise<string>;
  /** Function log lines for one request, through the admin logs API. */
  functionLogs(name: string, requestId: string): Promise<Array<{ level: string; message: string }>>;
  /** Publishes `payload` on `subject` through POST /admin/v1/publish (raw answer, any status). */
  publish(subject: string, payload: unknown, key?: string): Promise<Answer>;
  /** Dead letters through GET /admin/v1/dead-letters, newest first (all functions when `name` is omitted). */
  deadLetters(name?: string): Promise<DeadLetter[]>;
  close(): Promise<void>;
}

export interface StartOptions {
  overrides?: ConfigOverrides;
  /** Runs on the fresh home before the platform starts (config files, JWT secrets). */
  prepareHome?: (home: string) => void | Promise<void>;
  /** The platform's environment (BULWARK_MASTER_KEY); empty when absent. */
  env?: NodeJS.ProcessEnv;
  /**
   * Starts on an existing home instead of a fresh one: a restart, keeping its store, keys and
   * credentials (close the platform that used it first). close() then leaves the home to its owner.
   */
  home?: string;
  /** The platform's lifecycle clock (expiry sweep, inventory flags; src/lifecycle/): lets a test move time. */
  now?: () => Date;
}

/** Polls `probe` every 25 ms until it returns something other than undefined, or `ms` have passed. */
export async function until<T>(ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Starts a platform on a temp home and port 0. Call close() in an `after` hook: it removes the home. */
export async function startTestPlatform(opts: StartOptions = {}): Promise<TestPlatform> {
  const home = opts.home ?? await tempDir('home');
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(...String(chunk).split('\n').filter(Boolean)); cb(); } });
  let platform: Platform | undefined;
  try {
    await opts.prepareHome?.(home);
    // An empty env: a BULWARK_PORT in the developer's shell must not move the test gateway. Debug level,
    // so that the leak checks on log lines see everything the gateway can write.
    // 127.0.0.1, where every test request comes from unless it says otherwise (requestFrom), is allowlisted:
    // attack tests would otherwise get the test runner itself blocked. Tests of blocking use other loopback
    // addresses (127.0.0.2 …); a test passing its own `ipBlock` override replaces this allowlist.
    const config = loadConfig(home, { logLevel: 'debug', ipBlock: { allowlist: ['127.0.0.1'] }, ...opts.overrides, listen: { host: '127.0.0.1', port: 0 } }, {});
    platform = await startPlatform(config, { logDestination: sink, env: opts.env ?? {}, ...(opts.now ? { now: opts.now } : {}) });
  } catch (err) {
    await platform?.close();
    if (!opts.home) await rm(home, { recursive: true, force: true });
    throw err;
  }
  const p = platform;
  const events: SecurityEvent[] = [];
  const unsubscribe = p.bus.subscribe('security', (e) => { events.push(e); });
  const credentials = JSON.parse(await readFile(join(home, 'credentials.json'), 'utf8')) as { url: string; apiKey: string };
  assert.equal(credentials.url, p.url, 'credentials.json names the gateway url');
  const adminKey = credentials.apiKey;
  const secrets = [adminKey, home];
  const url = p.url;
  const call = (method: string, path: string, o?: RequestOptions) => request(url, method, path, o);
  const sourceDirs: string[] = [];

  const tp: TestPlatform = {
    platform: p,
    url,
    port: Number(new URL(url).port),
    home,
    adminKey,
    events,
    secrets,
    logLines: () => [...lines],
    request: call,
    fetch(path, init = {}) {
      const { key, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (key) headers.set('authorization', `Bearer ${key}`);
      return fetch(url + path, { ...rest, headers });
    },
    async deployRaw(dir, key = adminKey) {
      const { body } = await deployBody(dir);
      return call('POST', '/admin/v1/functions', { key, body, headers: { 'content-type': 'application/json' } });
    },
    async deployFiles(files, key = adminKey) {
      const dir = await writeFunction(files);
      sourceDirs.push(dir);
      return tp.deployRaw(dir, key);
    },
    async deploy(dir, key = adminKey) {
      const answer = await tp.deployRaw(dir, key);
      assert.equal(answer.status, 201, `deploy of ${dir} failed: ${answer.text.slice(0, 1000)}`);
      return answer.json as DeployAnswer;
    },
    async createKey(input) {
      const answer = await call('POST', '/admin/v1/keys', { key: adminKey, body: input });
      assert.equal(answer.status, 201, `key creation failed: ${answer.text}`);
      const created = { id: answer.json.id as string, key: answer.json.key as string };
      secrets.push(created.key);
      return created;
    },
    async versions(name) {
      const answer = await call('GET', `/admin/v1/functions/${name}`, { key: adminKey });
      if (answer.status === 404) return { active: undefined, versions: [] };
      assert.equal(answer.status, 200, answer.text);
      return {
        active: answer.json.function.activeVersion as number,
        versions: (answer.json.versions as Array<{ version: number }>).map((v) => v.version).sort((a, b) => a - b),
      };
    },
    async expectEvent(type, requestId, ms = 3000) {
      const found = await until(ms, () => events.find((e) => e.type === type && e.requestId === requestId));
      assert.ok(found, `no ${type} security event for request ${requestId}; saw: ${events.map((e) => `${e.type}@${e.requestId ?? '-'}`).join(', ')}`);
      return found;
    },
    async expectLog(needles, ms = 3000) {
      const file = join(home, 'logs', 'gateway.log');
      let text = '';
      const ok = await until(ms, async () => {
        text = await readFile(file, 'utf8').catch(() => '');
        return needles.every((n) => text.includes(n)) ? true : undefined;
      });
      assert.ok(ok, `gateway.log lacks ${needles.filter((n) => !text.includes(n)).join(', ')}`);
      return text;
    },
    async functionLogs(name, requestId) {
      const answer = await call('GET', `/admin/v1/functions/${name}/logs?requestId=${requestId}&limit=1000`, { key: adminKey });
      assert.equal(answer.status, 200, answer.text);
      return answer.json.logs as Array<{ level: string; message: string }>;
    },
    publish(subject, payload, key = adminKey) {
      return call('POST', '/admin/v1/publish', { key, body: { subject, payload } });
    },
    async deadLetters(name) {
      const answer = await call('GET', `/admin/v1/dead-letters?limit=100${name ? `&function=${name}` : ''}`, { key: adminKey });
      assert.equal(answer.status, 200, answer.text);
      return answer.json.deadLetters as DeadLetter[];
    },
    async close() {
      unsubscribe();
      try {
        await p.close();
      } finally {
        for (const dir of [...(opts.home ? [] : [home]), ...sourceDirs]) await rm(dir, { recursive: true, force: true });
      }
    },
  };
  return tp;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real CLI (`node src/cli/main.ts ...`) with only the given environment (plus PATH); `stdin`,
 * when given, is written to its standard input (otherwise it has none).
 */
export function runCli(args: string[], env: Record<string, string>, cwd = repoRoot, stdin?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliMain, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CI: 'true', ...env },
      stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
    child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
