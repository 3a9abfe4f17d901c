// `bulwark invoke --local`: one invocation of the function in `dir` with no gateway. It goes through the
// same parts the gateway uses — bundle, the deploy gate (which proves the bundle loads), the route table,
// the API Gateway event builders and the process sandbox with its isolation — against a store in a
// temporary home that is deleted afterwards. Guards (auth, schema) are not run: there is no caller.

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { BulwarkError, isBulwarkError } from '../errors.ts';
import { loadConfig } from '../config.ts';
import { loadManifest } from '../manifest/load.ts';
import { bundleFunction } from '../deploy/bundle.ts';
import { deployFunction } from '../deploy/deploy.ts';
import { openStore } from '../store/index.ts';
import { createBus } from '../bus/index.ts';
import { createProcessSandbox } from '../runtime/sandbox/process/index.ts';
import { createRouteTable } from '../gateway/routes.ts';
import { buildV1Event } from '../gateway/events/apigw-v1.ts';
import { buildV2Event } from '../gateway/events/apigw-v2.ts';
import type { RequestFacts } from '../gateway/events/request.ts';
import type { Principal } from '../auth/principal.ts';
import type { FunctionLogEntry } from '../store/store.ts';
import { createLogger } from '../telemetry/logger.ts';
import type { Payload } from './commands/invoke.ts';

export interface LocalRequest {
  method: string;
  /** Path under the function with an optional query, e.g. "/items/1?x=2". */
  path: string;
  payload: Payload;
}

export interface LocalResult {
  function: string;
  version: number;
  /** What the function logged, also when it failed: the error and its stack are only there. */
  logs: FunctionLogEntry[];
  /** Set when the invocation failed (timeout, crash, thrown error); the response fields are absent then. */
  error?: BulwarkError;
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  body: string;
  isBase64Encoded: boolean;
}

const localCaller: Principal = { kind: 'anonymous', actor: 'local', roles: [], functions: [] };

/**
 * `diagnostics`, when given, receives the local gateway parts' own debug log (pino JSON lines), e.g. why a
 * worker died. Without it they stay silent: the function's own log lines are in the result.
 */
export async function invokeLocally(dir: string, req: LocalRequest, diagnostics?: Writable): Promise<LocalResult> {
  const { manifest, source, files } = await loadManifest(dir);
  const bundle = await bundleFunction(dir, manifest);
  const home = await mkdtemp(join(tmpdir(), 'bulwark-local-'));
  // The host's BULWARK_* variables describe another home; the local run uses defaults only.
  const config = loadConfig(home, { logLevel: 'warn' }, {});
  const logger = createLogger({ level: diagnostics ? 'debug' : 'silent', ...(diagnostics ? { destination: diagnostics } : {}) });
  const closers: Array<() => Promise<void>> = [() => rm(home, { recursive: true, force: true })];
  try {
    const store = await openStore(config);
    closers.push(() => store.close());
    const bus = await createBus(config, { logger });
    closers.push(() => bus.close());
    const sandbox = await createProcessSandbox({ config, logger, bus, logs: store.logs, bundleSource: (sha) => store.functions.getBundle(sha) });
    closers.push(() => sandbox.close());

    const { version } = await deployFunction({ store, sandbox, bus, logger },
      { manifest: source, files, bundle: bundle.code, sha256: bundle.sha256 }, 'local', randomUUID());

    const q = req.path.indexOf('?');
    const rawPath = q < 0 ? req.path : req.path.slice(0, q);
    const rawQueryString = q < 0 ? '' : req.path.slice(q + 1);
    const match = await createRouteTable(store.functions).resolve(version.name, req.method, rawPath);
    if (!match) throw new BulwarkError('BWK_E_GATEWAY_NOT_FOUND', [`${req.method} ${rawPath} (triggers: ${manifest.triggers.http.map((t) => `${t.method} ${t.path}`).join(', ')})`]);

    const requestId = randomUUID();
    const body = req.payload.body === undefined ? undefined : Buffer.from(req.payload.body);
    const headers: Record<string, string[]> = { host: ['localhost'], 'user-agent': ['bulwark-cli'] };
    if (req.payload.contentType) headers['content-type'] = [req.payload.contentType];
    if (body) headers['content-length'] = [String(body.length)];
    const facts: RequestFacts = {
      requestId, method: req.method, rawPath, rawQueryString, headers, body, sourceIp: '127.0.0.1',
      protocol: 'HTTP/1.1', domainName: 'localhost', timeEpoch: Date.now(), trigger: match.trigger,
      pathParameters: match.params, principal: localCaller, functionName: version.name,
    };
    const event = manifest.runtime.payloadFormat === '1.0' ? buildV1Event(facts) : buildV2Event(facts);
    const target = { name: version.name, version: version.version, sha256: version.sha256, manifest: version.manifest };
    const base = { function: version.name, version: version.version };
    try {
      const result = await sandbox.invoke(target, { requestId, event, actor: localCaller.actor });
      return { ...base, logs: await store.logs.query({ function: version.name, requestId, limit: 1000 }), ...result };
    } catch (err) {
      if (!isBulwarkError(err)) throw err;
      const logs = await store.logs.query({ function: version.name, requestId, limit: 1000 });
      return { ...base, logs, error: err, statusCode: err.status, headers: {}, cookies: [], body: '', isBase64Encoded: false };
    }
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
}
