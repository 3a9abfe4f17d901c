// `bulwark invoke --local`: one invocation of the function in `dir` through a real gateway — startPlatform
// on a temporary home and a loopback port — driven over HTTP exactly as the other commands drive a
// gateway: deployed with `bulwark deploy`'s deployDirectory, called with `bulwark invoke`'s request by a
// key scoped to the function, its logs read through the logs admin API. So it gets everything the gateway
// does (guards, credential stripping, response-header filtering, isolation). The temporary home is
// deleted afterwards, also on failure and on SIGINT/SIGTERM.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../config.ts';
import { CREDENTIALS_FILE, startPlatform } from '../gateway/platform.ts';
import { createClient, invokeFunction, parseErrorBody, RemoteError, type Payload } from './client.ts';
import type { CliIo } from './io.ts';
import { createProgress } from './progress.ts';
import { deployDirectory } from './commands/deploy.ts';
import type { LogRow } from './commands/logs.ts';

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
  logs: LogRow[];
  /** Set when the gateway answered with its error shape (timeout, crash, thrown error, guard denial). */
  error?: RemoteError;
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** The most log lines the logs admin API returns for one request. */
const LOG_LIMIT = 1000;

/**
 * With BULWARK_DEBUG=1 the local gateway's own debug log (pino JSON lines, e.g. why a worker died) goes to
 * stderr. Without it the gateway stays silent: the function's own log lines are in the result.
 */
export async function invokeLocally(io: CliIo, dir: string, req: LocalRequest): Promise<LocalResult> {
  const home = await mkdtemp(join(tmpdir(), 'bulwark-local-'));
  const debug = io.env.BULWARK_DEBUG === '1';
  // The host's BULWARK_* variables describe another home; the local run uses defaults only.
  const config = loadConfig(home, { listen: { host: '127.0.0.1', port: 0 }, logLevel: debug ? 'debug' : 'silent' }, {});
  const starting = startPlatform(config, { logDestination: debug ? io.stderr : new Writable({ write: (_c, _e, cb) => cb() }) });
  let cleaning: Promise<void> | undefined;
  const cleanUp = () => (cleaning ??= (async () => {
    try {
      await (await starting.catch(() => undefined))?.close();
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  })());
  // Interrupted: the default would exit at once and leave the home and the sandbox processes behind. The
  // sandbox closes first: that ends the running invocation, which closing the gateway would wait for.
  const onSignal = (signal: NodeJS.Signals) => {
    void (async () => {
      await (await starting.catch(() => undefined))?.sandbox.close().catch(() => undefined);
      await cleanUp();
    })().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const platform = await starting;
    const credentialsFile = join(home, CREDENTIALS_FILE);
    const { apiKey } = JSON.parse(await readFile(credentialsFile, 'utf8')) as { apiKey: string };
    const admin = createClient({ url: platform.url, apiKey, credentialsFile });
    const deployed = await deployDirectory(admin, dir, createProgress(io, true));
    const { key } = await admin.admin<{ key: string }>('POST', '/admin/v1/keys', {
      role: 'invoker', functions: [deployed.name], label: 'invoke --local',
    });
    const invoker = createClient({ url: platform.url, apiKey: key, credentialsFile });
    const answer = await invokeFunction(invoker, deployed.name, req.method, req.path, req.payload);

    const requestId = answer.headers.get('x-request-id') ?? '';
    const q = new URLSearchParams({ requestId, limit: String(LOG_LIMIT) });
    const { logs } = await admin.admin<{ logs: LogRow[] }>('GET', `/admin/v1/functions/${encodeURIComponent(deployed.name)}/logs?${q}`);
    const remote = parseErrorBody(answer);
    return {
      function: deployed.name,
      version: deployed.version,
      logs,
      // Without its request id: that names a log in a home deleted when this returns; the logs are above.
      ...(remote ? { error: new RemoteError(remote.status, { code: remote.code, message: remote.message, requestId: '' }) } : {}),
      statusCode: answer.status,
      headers: Object.fromEntries(answer.headers),
      body: answer.text,
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanUp();
  }
}
