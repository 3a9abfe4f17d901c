// Builders for guard unit tests: a real parsed manifest (parseManifest, not a hand-written object) and
// a GuardRequest around it, so guard tests exercise the same shapes the gateway hands them.

import { parseManifest } from '../manifest/parse.ts';
import type { FunctionTarget } from '../runtime/sandbox/sandbox.ts';
import { lazyJson, type GuardRequest } from './types.ts';

export function target(manifestYaml: string, files: Record<string, string> = {}, version = 1): FunctionTarget {
  const manifest = parseManifest(manifestYaml, 'bulwark.yaml', (rel) => files[rel]);
  return { name: manifest.name, version, sha256: 'a'.repeat(64), manifest };
}

export function manifestYaml(opts: { name?: string; auth?: string; limits?: string; input?: string; method?: string } = {}): string {
  return [
    `name: ${opts.name ?? 'demo'}`,
    'handler: index.js#handler',
    'owner: team@example.com',
    'expires: 2099-01-01',
    'triggers:',
    `  - http: { method: ${opts.method ?? 'POST'}, path: "/"${opts.auth ? `, auth: ${opts.auth}` : ''} }`,
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
    trigger: fn.manifest.triggers.http[0]!,
    method: fn.manifest.triggers.http[0]!.method === 'ANY' ? 'POST' : fn.manifest.triggers.http[0]!.method,
    headers: {},
    body: undefined,
    sourceIp: '127.0.0.1',
    principal: undefined,
    signal: new AbortController().signal,
    ...over,
  };
}
