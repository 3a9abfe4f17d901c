// The sandbox layer alone, for bench/cpu-split.ts --sandbox-only: the real process sandbox (default
// isolation, the real SQLite store for function logs, in-process bus) running examples/hello, bundled by
// the deploy bundler, with as many concurrent callers as its limits.concurrency and the event the
// gateway builds for the (b) request (its own builder). No HTTP, no guards, no response filter: what
// is left of the gateway's per-invocation cost once those are taken away. Prints {"pid"} when the pool is warm, then
// invokes for --warmup + --duration seconds and prints {"invocations", "seconds"} of the measured part.
//
//   node bench/internal/sandbox-driver.ts [--warmup 3] [--duration 10]

import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadManifest } from '../../src/manifest/load.ts';
import { bundleFunction } from '../../src/deploy/bundle.ts';
import { buildV2Event } from '../../src/gateway/events/apigw-v2.ts';
import type { Principal } from '../../src/auth/principal.ts';
import { jsonBody1k } from '../wrk.ts';
import { startFixture } from '../../src/runtime/sandbox/process/sandbox.fixture.ts';
import { repo } from './child.ts';

const { values } = parseArgs({ options: { warmup: { type: 'string', default: '3' }, duration: { type: 'string', default: '10' } } });
const dir = join(repo, 'examples/hello');
const { manifest } = await loadManifest(dir);
const { code } = await bundleFunction(dir, manifest);
const bench = await startFixture('auto');
const { sandbox } = bench;
// The driving bench stops us with SIGTERM once it has our count: the temp home goes with us.
process.once('SIGTERM', () => void bench.close().finally(() => process.exit(0)));
const target = { name: manifest.name, version: 1, sha256: bench.addBundle(code), manifest };
const body = jsonBody1k();
const trigger = { kind: 'http' as const, ...manifest.triggers.http.find((h) => h.method === 'POST')! };
const principal: Principal = { kind: 'api-key', actor: 'key:bench', roles: ['invoker'], functions: [manifest.name], keyId: 'bench', expiresAt: null };
/** The event the gateway builds (events/apigw-v2.ts) for the (b) request: the same builder, the same facts. */
const event = (requestId: string) => buildV2Event({
  requestId, method: 'POST', rawPath: '/', rawQueryString: '', query: new Map(),
  headers: { host: ['127.0.0.1'], 'content-type': ['application/json'], 'content-length': [String(body.length)], 'user-agent': ['wrk'] },
  body: Buffer.from(body), sourceIp: '127.0.0.1', protocol: 'HTTP/1.1', domainName: '127.0.0.1', timeEpoch: Date.now(),
  trigger, pathParameters: {}, principal, functionName: manifest.name, jwtIssuer: undefined,
});

async function invokeFor(ms: number): Promise<number> {
  let n = 0;
  const end = performance.now() + ms;
  await Promise.all(Array.from({ length: manifest.limits.concurrency }, async () => {
    while (performance.now() < end) {
      const requestId = randomUUID();
      const result = await sandbox.invoke(target, { requestId, event: event(requestId), actor: 'key:bench', source: 'http' });
      if (result.statusCode !== 200) throw new Error(`HTTP ${result.statusCode}: ${result.body}`);
      n++;
    }
  }));
  return n;
}

try {
  await sandbox.prepare(target);
  process.stdout.write(JSON.stringify({ pid: process.pid }) + '\n');
  await invokeFor(Number(values.warmup) * 1000);
  const t0 = performance.now();
  const invocations = await invokeFor(Number(values.duration) * 1000);
  process.stdout.write(JSON.stringify({ invocations, seconds: (performance.now() - t0) / 1000 }) + '\n');
} finally {
  await bench.close();
}
