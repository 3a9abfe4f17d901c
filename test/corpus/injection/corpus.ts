// The injection corpora as GuardRequests, the way the gateway would hand them to the guard: real
// manifests parsed by parseManifest, a query string parsed like the gateway's parser (fast-querystring:
// `+` is a space, a name or value that does not decode stays as sent), path parameters decoded once
// like the route table, and the headers a browser or an SDK sends. Used by the corpus test
// (src/guards/injection/corpus.test.ts) and the benchmark (bench/injection.ts).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requestTargetProblem } from '../../../src/gateway/request-target.ts';
import { request, target } from '../../../src/guards/testing.ts';
import type { GuardRequest } from '../../../src/guards/types.ts';
import type { FunctionTarget } from '../../../src/runtime/sandbox/sandbox.ts';
import type { Where } from './attacks.ts';

export interface AttackCase {
  class: string;
  where: Where;
  field?: string;
  payload: string;
  /** How the payload was encoded from its hand-written form: none, url, double-url, html, js-escape, iis, fullwidth, mixed-case, base64. */
  encoding: string;
  /** The corpus function it is sent to (default `api`). */
  fn?: string;
  /** 2: the batch written after the detectors (see secondBatch in attacks.ts). */
  batch?: number;
}

export interface BenignCase {
  /** The kind of request: signup, comment, search, checkout, … */
  kind: string;
  fn?: string;
  method?: string;
  /** Path parameters as they are on the wire (percent-encoded). */
  params?: Record<string, string>;
  /** The raw query string. */
  query?: string;
  headers?: Record<string, string>;
  /** A JSON body. */
  body?: unknown;
  /** A non-JSON body, sent with `contentType`. */
  text?: string;
  contentType?: string;
  /** 2: the batch written after the detectors (see secondBatch in benign.ts). */
  batch?: number;
}

const here = import.meta.dirname;

const manifest = (name: string, extra: string[] = []) => [
  `name: ${name}`,
  'handler: index.mjs#handler',
  'owner: corpus@example.com',
  'expires: 2099-12-31',
  'triggers:',
  '  - http: { method: ANY, path: / }',
  '  - http: { method: GET, path: "/items/{id}" }',
  '  - http: { method: ANY, path: "/files/{name}" }',
  ...extra,
].join('\n');

/** The functions the corpora are sent to: plain, with exempt code fields, with a base64 field. */
export const corpusFunctions: Record<string, FunctionTarget> = {
  api: target(manifest('api')),
  snippets: target(manifest('snippets', ['injection:', '  exempt: [body.snippet, query.q]'])),
  uploads: target(manifest('uploads', ['injection:', '  base64: [body.attachment]'])),
};

export function readCorpus<T>(file: 'attacks.jsonl' | 'benign.jsonl'): T[] {
  return readFileSync(join(here, file), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T);
}

function decodeOrKeep(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** A query string as fast-querystring (the gateway's parser) reads it. */
export function parseQuery(raw: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const [k, v] = (eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)]).map((s) => decodeOrKeep(s.replace(/\+/g, ' '))) as [string, string];
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** Path parameters from their wire form, refusing what the gateway refuses before routing. */
function pathParams(fn: string, wire: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(wire)) {
    const problem = requestTargetProblem(`/fn/${fn}/files/${value}`);
    if (problem) throw new Error(`corpus: path parameter ${JSON.stringify(value)} would be refused by the gateway (${problem})`);
    out[name] = decodeURIComponent(value);
  }
  return out;
}

const baseHeaders = {
  host: 'api.example.com',
  'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  accept: 'application/json, text/plain, */*',
  'accept-language': 'en-GB,en;q=0.9,fr;q=0.8',
  'accept-encoding': 'gzip, deflate, br',
  authorization: 'Bearer bwk_0123456789ab_cdefghijklmnopqrstuvwxyz0123',
};

function build(fnName: string, method: string, parts: { params?: Record<string, string>; query?: Record<string, string | string[]>; headers?: Record<string, string>; body?: string; contentType?: string }): GuardRequest {
  const fn = corpusFunctions[fnName];
  if (!fn) throw new Error(`corpus: no function ${fnName}`);
  const triggers = fn.manifest.triggers.http;
  const trigger = parts.params?.id !== undefined ? triggers[1]! : parts.params?.name !== undefined ? triggers[2]! : triggers[0]!;
  const headers: Record<string, string> = { ...baseHeaders, ...parts.headers };
  if (parts.body !== undefined) {
    headers['content-type'] = parts.contentType ?? 'application/json';
    headers['content-length'] = String(Buffer.byteLength(parts.body));
  }
  return request(fn, {
    method,
    trigger: { kind: 'http', ...trigger },
    params: parts.params ?? {},
    query: parts.query ?? {},
    headers,
    body: parts.body === undefined ? undefined : Buffer.from(parts.body),
  });
}

export function attackRequest(c: AttackCase): GuardRequest {
  const fn = c.fn ?? 'api';
  const field = c.field ?? 'value';
  switch (c.where) {
    case 'body': return build(fn, 'POST', { body: JSON.stringify({ [field]: c.payload, lang: 'en' }) });
    case 'json': return build(fn, 'POST', { body: c.payload });
    case 'query': return build(fn, 'GET', { query: { [field]: c.payload, page: '1' } });
    case 'querystring': return build(fn, 'GET', { query: parseQuery(c.payload) });
    case 'header': return build(fn, 'GET', { headers: { [field]: c.payload } });
    case 'path': return build(fn, 'GET', { params: pathParams(fn, { [field]: c.payload }) });
    case 'form': {
      const body = c.field === undefined ? c.payload : `${encodeURIComponent(field)}=${encodeURIComponent(c.payload)}&submit=Send`;
      return build(fn, 'POST', { body, contentType: 'application/x-www-form-urlencoded' });
    }
    case 'text': return build(fn, 'POST', { body: c.payload, contentType: 'text/plain; charset=utf-8' });
    case 'xml': return build(fn, 'POST', { body: c.payload, contentType: 'application/xml' });
  }
}

export function benignRequest(c: BenignCase): GuardRequest {
  const fn = c.fn ?? 'api';
  const body = c.body !== undefined ? JSON.stringify(c.body) : c.text;
  return build(fn, c.method ?? (body === undefined ? 'GET' : 'POST'), {
    params: c.params ? pathParams(fn, c.params) : {},
    query: c.query ? parseQuery(c.query) : {},
    headers: c.headers,
    body,
    contentType: c.body !== undefined ? 'application/json' : c.contentType,
  });
}

export interface CorpusRates {
  /** Per class: [refused, total]. */
  byClass: Record<string, [number, number]>;
  detected: number;
  attacks: number;
  /** Attacks that passed. */
  missed: AttackCase[];
  falsePositives: Array<{ case: BenignCase; rule: string | undefined; message: string }>;
  benign: number;
}

/** Runs both corpora through `guard` once: an attack counts as detected when the guard refuses it. */
export async function corpusRates(guard: (req: GuardRequest) => Promise<{ pass: boolean; rule?: string; error?: { message: string } }>): Promise<CorpusRates> {
  const attacks = readCorpus<AttackCase>('attacks.jsonl');
  const benign = readCorpus<BenignCase>('benign.jsonl');
  const byClass: Record<string, [number, number]> = {};
  const missed: AttackCase[] = [];
  for (const c of attacks) {
    const counts = (byClass[c.class] ??= [0, 0]);
    counts[1]++;
    if ((await guard(attackRequest(c))).pass) missed.push(c);
    else counts[0]++;
  }
  const falsePositives: CorpusRates['falsePositives'] = [];
  for (const c of benign) {
    const v = await guard(benignRequest(c));
    if (!v.pass) falsePositives.push({ case: c, rule: v.rule, message: v.error?.message ?? '' });
  }
  return { byClass, detected: attacks.length - missed.length, attacks: attacks.length, missed, falsePositives, benign: benign.length };
}
