// Builders for guard unit tests: a real parsed manifest (parseManifest, not a hand-written object) and
// a GuardRequest around it, so guard tests exercise the same shapes the gateway hands them.

import { parseManifest } from '../manifest/parse.ts';
import { scheduler, type Principal } from '../auth/principal.ts';
import type { FunctionTarget } from '../runtime/sandbox/sandbox.ts';
import { eventRequest } from '../triggers/delivery.ts';
import { lazyJson, NO_CLIENT_IP, type GuardRequest } from './types.ts';

export function target(manifestYaml: string, files: Record<string, string> = {}, version = 1): FunctionTarget {
  const manifest = parseManifest(manifestYaml, 'bulwark.yaml', (rel) => files[rel]);
  return { name: manifest.name, version, sha256: 'a'.repeat(64), manifest };
}

export function manifestYaml(opts: { name?: string; auth?: string; limits?: string; input?: string; method?: string; path?: string; subject?: string; cron?: string } = {}): string {
  return [
    `name: ${opts.name ?? 'demo'}`,
    'handler: index.js#handler',
    'owner: team@example.com',
    'expires: 2099-01-01',
    'triggers:',
    `  - http: { method: ${opts.method ?? 'POST'}, path: "${opts.path ?? '/'}"${opts.auth ? `, auth: ${opts.auth}` : ''} }`,
    ...(opts.subject ? [`  - queue: { subject: ${opts.subject} }`] : []),
    ...(opts.cron ? [`  - schedule: { cron: "${opts.cron}" }`] : []),
    ...(opts.input ? [`input: ${opts.input}`] : []),
    ...(opts.limits ? [`limits: ${opts.limits}`] : []),
  ].join('\n');
}

export function request(fn: FunctionTarget, over: Partial<GuardRequest> = {}): GuardRequest {
  const body = over.body;
  return {
    requestId: '00000000-0000-4000-8000-000000000000',
    fn,
    source: 'http',
    query: {},
    params: {},
    json: lazyJson(body),
    trigger: { kind: 'http', ...fn.manifest.triggers.http[0]! },
    method: fn.manifest.triggers.http[0]!.method === 'ANY' ? 'POST' : fn.manifest.triggers.http[0]!.method,
    headers: {},
    body: undefined,
    sourceIp: '127.0.0.1',
    principal: undefined,
    signal: new AbortController().signal,
    ...over,
  };
}

/** An API-key publisher, as the publish route hands it on with a message. */
export const publisher: Principal = { kind: 'api-key', actor: 'key:publisher01', roles: ['invoker'], functions: ['*'] };

/**
 * A queue message as the queue consumer hands it to the chain (src/triggers/delivery.ts builds it):
 * `payload` as the JSON body, the publisher as principal, the publisher's address as sourceIp. The
 * function needs a queue trigger (manifestYaml({ subject })).
 */
export function queueRequest(fn: FunctionTarget, payload: unknown, over: { principal?: Principal; sourceIp?: string; body?: Buffer } = {}): GuardRequest {
  return eventRequest({
    requestId: '00000000-0000-4000-8000-000000000001',
    fn,
    trigger: { kind: 'queue', ...fn.manifest.triggers.queue[0]! },
    body: over.body ?? Buffer.from(JSON.stringify(payload)),
    principal: 'principal' in over ? over.principal : publisher,
    sourceIp: over.sourceIp ?? '127.0.0.1',
    signal: new AbortController().signal,
  });
}

/** A scheduled run as the scheduler hands it to the chain; the function needs a schedule trigger (manifestYaml({ cron })). */
export function scheduleRequest(fn: FunctionTarget, over: { principal?: Principal } = {}): GuardRequest {
  const trigger = fn.manifest.triggers.schedule[0]!;
  return eventRequest({
    requestId: '00000000-0000-4000-8000-000000000002',
    fn,
    trigger: { kind: 'schedule', ...trigger },
    body: Buffer.from(JSON.stringify(trigger.payload)),
    principal: 'principal' in over ? over.principal : scheduler,
    sourceIp: NO_CLIENT_IP,
    signal: new AbortController().signal,
  });
}
