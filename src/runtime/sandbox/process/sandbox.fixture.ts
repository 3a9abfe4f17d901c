// Test fixture: a real process sandbox on a temp home with the real SQLite store and in-process bus,
// bundles built by esbuild exactly as the deploy bundler does (ESM, platform node, createRequire banner).
// The bench drivers that measure the sandbox without the gateway use it too.

import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { defaultConfig, type Config, type IsolationMode } from '../../../config.ts';
import type { SecurityEvent } from '../../../bus/bus.ts';
import { createInProcessBus } from '../../../bus/in-process/index.ts';
import { openSqliteStore } from '../../../store/sqlite/index.ts';
import type { Store } from '../../../store/store.ts';
import { createLogger } from '../../../telemetry/logger.ts';
import type { Manifest } from '../../../manifest/types.ts';
import type { FunctionTarget, InvokeRequest, SandboxProvider } from '../sandbox.ts';
import { createProcessSandbox } from './index.ts';

export const BANNER = "import { createRequire as __bwkCreateRequire } from 'node:module'; const require = __bwkCreateRequire(import.meta.url);";

export interface Fixture {
  home: string;
  config: Config;
  sandbox: SandboxProvider;
  store: Store;
  events: SecurityEvent[];
  /** Bundles `source` (file name decides ESM vs CJS) and returns a target for it. */
  target(source: string, opts?: { file?: string; manifest?: Partial<Manifest>; limits?: Partial<Manifest['limits']>; version?: number }): Promise<FunctionTarget>;
  /** Makes a bundle built elsewhere (the deploy bundler, say) available to the sandbox; gives its SHA-256. */
  addBundle(code: Uint8Array): string;
  /** Once; a later call gets the first call's promise. */
  close(): Promise<void>;
}

export async function bundle(source: string, file = 'index.mjs'): Promise<Uint8Array> {
  const out = await build({
    stdin: { contents: source, loader: 'js', sourcefile: file, resolveDir: tmpdir() },
    bundle: true, format: 'esm', platform: 'node', write: false, logLevel: 'silent',
    banner: { js: BANNER },
  });
  return out.outputFiles[0]!.contents;
}

export function manifest(name: string, over: Partial<Manifest> = {}, limits: Partial<Manifest['limits']> = {}): Manifest {
  return {
    name,
    handler: { file: 'index.mjs', export: 'handler' },
    owner: 'test@example.com',
    expires: '2099-01-01',
    runtime: { payloadFormat: '2.0', allowCodeGeneration: false },
    triggers: { http: [{ method: 'ANY', path: '/' }], queue: [], schedule: [] },
    limits: { timeoutMs: 2000, memoryMb: 64, concurrency: 2, queue: 4, bodyBytes: 1024 * 1024, ...limits },
    permissions: { egress: [] },
    ...over,
  };
}

export function event20(body?: unknown, extra: Record<string, unknown> = {}): unknown {
  return {
    version: '2.0', routeKey: '$default', rawPath: '/hello', rawQueryString: 'a=1',
    headers: { host: 'fn.example.test', 'content-type': 'application/json' },
    queryStringParameters: { a: '1' },
    requestContext: { http: { method: 'POST', path: '/hello', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' }, requestId: 'r' },
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false,
    ...extra,
  };
}

let seq = 0;
export function request(event: unknown = event20({ hi: 1 })): InvokeRequest {
  return { requestId: `req-${process.pid}-${++seq}`, event, actor: 'test' };
}

export async function startFixture(isolation: IsolationMode, configure: (c: Config) => void = () => {}): Promise<Fixture> {
  const home = await mkdtemp(join(tmpdir(), 'bwk-sbx-'));
  const config = defaultConfig(home);
  config.isolation = isolation;
  config.logLevel = 'silent';
  configure(config);
  const store = await openSqliteStore(home);
  const bus = createInProcessBus();
  const events: SecurityEvent[] = [];
  bus.subscribe('security', (e) => { events.push(e); });
  const bundles = new Map<string, Uint8Array>();
  const sandbox = await createProcessSandbox({
    config, logger: createLogger({ level: 'silent' }), bus, logs: store.logs,
    bundleSource: async (sha) => bundles.get(sha),
  });
  const addBundle = (code: Uint8Array): string => {
    const sha256 = createHash('sha256').update(code).digest('hex');
    bundles.set(sha256, code);
    return sha256;
  };
  let n = 0;
  let closed: Promise<void> | undefined;
  return {
    home, config, sandbox, store, events, addBundle,
    async target(source, opts = {}) {
      const sha256 = addBundle(await bundle(source, opts.file));
      const name = opts.manifest?.name ?? `fn${++n}`;
      return { name, version: opts.version ?? 1, sha256, manifest: manifest(name, opts.manifest, opts.limits) };
    },
    close: () => (closed ??= (async () => {
      await sandbox.close();
      await bus.close();
      await store.close();
      await rm(home, { recursive: true, force: true });
    })()),
  };
}
