// A real platform for gateway tests: fresh home, real sqlite store, real bus, real process sandbox,
// fastify listening on 127.0.0.1:0. Functions are written to a temp directory, bundled with the real
// bundler and deployed through the real admin API. Log lines are kept in memory as well as in
// $home/logs/gateway.log, and every security event is recorded.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfig, type ConfigOverrides } from '../config.ts';
import { loadManifest } from '../manifest/load.ts';
import { bundleFunction } from '../deploy/bundle.ts';
import type { SecurityEvent } from '../bus/bus.ts';
import { startPlatform, type Platform } from './platform.ts';

export interface TestPlatform {
  platform: Platform;
  url: string;
  home: string;
  adminKey: string;
  events: SecurityEvent[];
  logLines: () => string[];
  /** Writes files (path → content) to a temp dir, bundles and deploys them; returns the admin response. */
  deploy(files: Record<string, string>, key?: string): Promise<Response>;
  /** Creates an API key through the admin API. */
  key(role: string, functions: string[], extra?: Record<string, unknown>): Promise<{ id: string; key: string }>;
  fetch(path: string, init?: RequestInit & { key?: string }): Promise<Response>;
  close(): Promise<void>;
}

export async function startTestPlatform(opts: { config?: ConfigOverrides; beforeStart?: (home: string) => void | Promise<void> } = {}): Promise<TestPlatform> {
  const home = mkdtempSync(join(tmpdir(), 'bwk-gw-'));
  await opts.beforeStart?.(home);
  const config = loadConfig(home, { logLevel: 'debug', ...opts.config, listen: { host: '127.0.0.1', port: 0 } }, {});
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(...String(chunk).split('\n').filter(Boolean)); cb(); } });
  let platform: Platform;
  try {
    platform = await startPlatform(config, { logDestination: sink });
  } catch (err) {
    rmSync(home, { recursive: true, force: true });
    throw err;
  }
  const events: SecurityEvent[] = [];
  platform.bus.subscribe('security', (e) => void events.push(e));
  const adminKey = (JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8')) as { apiKey: string }).apiKey;
  const srcRoot = mkdtempSync(join(tmpdir(), 'bwk-gw-src-'));
  let n = 0;

  const tp: TestPlatform = {
    platform,
    url: platform.url,
    home,
    adminKey,
    events,
    logLines: () => [...lines],
    async fetch(path, init = {}) {
      const { key, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (key) headers.set('authorization', `Bearer ${key}`);
      return fetch(platform.url + path, { ...rest, headers });
    },
    async deploy(files, key = adminKey) {
      const dir = join(srcRoot, String(n++));
      for (const [rel, content] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, rel)), { recursive: true });
        writeFileSync(join(dir, rel), content);
      }
      const loaded = await loadManifest(dir);
      const bundle = await bundleFunction(dir, loaded.manifest);
      return tp.fetch('/admin/v1/functions', {
        method: 'POST',
        key,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ manifest: loaded.source, files: loaded.files, bundle: Buffer.from(bundle.code).toString('base64'), sha256: bundle.sha256 }),
      });
    },
    async key(role, functions, extra = {}) {
      const res = await tp.fetch('/admin/v1/keys', {
        method: 'POST', key: adminKey, headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ role, functions, ...extra }),
      });
      if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${await res.text()}`);
      return (await res.json()) as { id: string; key: string };
    },
    async close() {
      await platform.close();
      rmSync(home, { recursive: true, force: true });
      rmSync(srcRoot, { recursive: true, force: true });
    },
  };
  return tp;
}

/** A manifest for test functions; `extra` lines are appended as they are. */
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

/** Assertions every error response must satisfy: only the error shape, no stack, no host path, no key. */
export async function errorBody(res: Response, secrets: string[] = []): Promise<{ code: string; message: string; requestId: string }> {
  const text = await res.text();
  const body = JSON.parse(text) as { error: { code: string; message: string; requestId: string } };
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== 'error') throw new Error(`not the error shape: ${text}`);
  if (Object.keys(body.error).sort().join(',') !== 'code,message,requestId') throw new Error(`extra error fields: ${text}`);
  if (/\bat (?:\S+ \()?(?:file:\/\/|node:|\/)[^\s)]*:\d+:\d+|\/(home|tmp|work|usr|etc|root)\//.test(text)) throw new Error(`stack or host path leaked: ${text}`);
  for (const s of secrets) if (text.includes(s)) throw new Error('a secret leaked into an error body');
  if (res.headers.get('x-request-id') !== body.error.requestId) throw new Error('x-request-id header does not match the body');
  return body.error;
}
