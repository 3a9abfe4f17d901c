// Every string of an event, with where it was found: JSON body keys and values (or a form body's
// names and values, or a text/XML body as one string), query names and values, path parameters, and
// headers. The walk hands each to a FieldSink and stops when the sink says so. It knows which fields
// the manifest exempts or declares base64 (a field covers everything inside it) and which headers are
// not inspected, and it stops at `maxDepth` levels of nesting rather than recurse without bound.

import { isUtf8 } from 'node:buffer';
import { isTextType } from '../../gateway/events/request.ts';
import type { FieldPath, InjectionPolicy } from '../../manifest/types.ts';
import type { GuardRequest } from '../types.ts';
import type { InjectionClass, ValueContext } from './detectors/index.ts';

/** Where a string was found: its source and the keys (and array indexes) leading to it. */
export interface FieldAt {
  source: FieldPath['source'];
  /** Shared and mutated as the walk moves on: copy it to keep it. */
  path: ReadonlyArray<string | number>;
}

export interface ValueFacts extends ValueContext {
  /** Inside an exempt field: the content is not inspected. */
  exempt: boolean;
  /** Inside a field declared base64. */
  base64: boolean;
  /** A class not inspected for this field (SSRF in Referer and X-Forwarded-For). */
  skip: InjectionClass | undefined;
}

export interface FieldSink {
  /** An object key (JSON key, query or form name segment, header or cookie name). True stops the walk. */
  key(segment: string, parent: string | undefined, at: FieldAt, exempt: boolean): boolean;
  /** A string value. True stops the walk. */
  value(text: string, at: FieldAt, facts: ValueFacts): boolean;
  /** Nesting went past maxDepth at `at`; the walk stops. */
  tooDeep(at: FieldAt): void;
}

/**
 * Headers not inspected at all. Credentials (authn verifies them, and a hash of them does not belong in
 * an event); what Node and the gateway parse and check themselves (host, content-length, connection,
 * transfer-encoding); content negotiation and caching, whose fixed grammars (`en-US,en;q=0.9`,
 * `W/"etag"`, `bytes=0-99`) are not data a function acts on; and browser-set fetch metadata.
 */
const SKIPPED_HEADERS = new Set([
  'authorization', 'proxy-authorization', 'x-api-key',
  'host', 'content-length', 'content-type', 'content-encoding', 'connection', 'keep-alive', 'transfer-encoding', 'te',
  'trailer', 'upgrade', 'expect',
  'accept', 'accept-encoding', 'accept-language', 'accept-charset', 'cache-control', 'pragma', 'if-match',
  'if-none-match', 'if-modified-since', 'if-unmodified-since', 'if-range', 'range',
  'dnt', 'priority', 'upgrade-insecure-requests',
]);
/** Browser-set fetch metadata and client hints: sec-fetch-*, sec-ch-ua*, sec-websocket-*. */
const SKIPPED_PREFIX = 'sec-';
/**
 * Headers that name where the request came from, not where the function should go: a Referer of
 * http://localhost:3000 is a developer's browser, an X-Forwarded-For of 10.0.0.7 is the proxy's view.
 * Every class but SSRF is inspected in them.
 */
const NO_SSRF_HEADERS = new Set(['referer', 'origin', 'forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-real-ip', 'via', 'true-client-ip', 'cf-connecting-ip']);

const FORM = /^application\/x-www-form-urlencoded\b/;
const MULTIPART = /^multipart\/form-data\b/;
/** The boundary keeps its case (`----WebKitFormBoundaryAbC`); the parameter name has none. */
const BOUNDARY = /;\s*[Bb][Oo][Uu][Nn][Dd][Aa][Rr][Yy]\s*=\s*(?:"([^"]*)"|([^\s;"]*))/g;
const QUOTED = /"(?:[^"\\]|\\.)*"/g;
/** A part's Content-Disposition naming a file, its quoted strings blanked first (`name="a; filename=b"` is no file). */
const FILE_DISPOSITION = /^\s*form-data\s*;(?:.*;)?\s*filename\*?\s*=\s*(?:"x"|[^\s;"]+)/;
const CRLF = '\r\n';
const XML = /[/+]xml\b/;
const KEY_SPLIT = /[[\].]+/;
const COOKIE_SPLIT = /;\s*/;
const PLUS = /\+/g;

/** Patterns this module runs on caller input (for the linear-time test). */
export const fieldPatterns: readonly RegExp[] = [FORM, XML, KEY_SPLIT, COOKIE_SPLIT, PLUS, MULTIPART, BOUNDARY, QUOTED, FILE_DISPOSITION];

/** A query or form name as qs-style parsers read it: `a[b][c]` and `a.b.c` are a → b → c. */
export function splitKey(name: string): string[] {
  const parts = name.split(KEY_SPLIT).filter((s) => s !== '');
  return parts.length > 0 ? parts : [name];
}

/** application/x-www-form-urlencoded as the gateway's query parser reads a query string. */
function parseForm(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const [k, v] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
    out.push([formDecode(k), formDecode(v)]);
  }
  return out;
}

function formDecode(s: string): string {
  const spaced = s.replace(PLUS, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/**
 * The values of a repeated query name or header one by one, and joined with ',' as the 2.0 event hands
 * them to the function (events/apigw-v2.ts): `q=a'&q=sleep(5)&q='` is harmless in every piece and
 * `a',sleep(5),'` together.
 */
function asForwarded(values: string | string[]): string[] {
  if (!Array.isArray(values)) return [values];
  return values.length > 1 ? [...values, values.join(',')] : values;
}

function headerText(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** True when a manifest field path names exactly this list of keys (`*` matching any one). */
function names(field: FieldPath, source: FieldPath['source'], keys: readonly string[]): boolean {
  if (field.source !== source || field.path.length !== keys.length) return false;
  for (let i = 0; i < keys.length; i++) if (field.path[i] !== '*' && field.path[i] !== keys[i]) return false;
  return true;
}

/**
 * A part's header block (between the delimiter line and the blank line) names a file, read the way
 * every multipart parser would: CRLF lines only (a bare LF or CR could end the block earlier for a
 * lenient parser, leaving the Content-Disposition below it in the content), no folded lines, exactly
 * one Content-Disposition, and a non-empty filename in it.
 */
function namesFile(block: string): boolean {
  const lines = block.split(CRLF);
  if (lines.some((l) => l.includes('\r') || l.includes('\n') || l.startsWith(' ') || l.startsWith('\t'))) return false;
  const dispositions = lines.filter((l) => l.slice(0, l.indexOf(':')).trim().toLowerCase() === 'content-disposition');
  if (dispositions.length !== 1) return false;
  const value = dispositions[0]!.slice(dispositions[0]!.indexOf(':') + 1).replace(QUOTED, (q) => (q.length > 2 ? '"x"' : '""'));
  return FILE_DISPOSITION.test(value.toLowerCase());
}

/**
 * The text of a multipart/form-data body that is not UTF-8 as a whole: a file in it is binary, its
 * fields are text the function reads. Everything is returned (decoded as UTF-8, invalid bytes replaced)
 * except the content of the file parts that are not UTF-8 — and a content is cut out only where every
 * parser agrees it is a file's: after a delimiter line `CRLF--boundary CRLF` and a header block that
 * names a file, up to the next `--boundary` wherever it stands. Parsers that split parts more eagerly
 * find no delimiter inside what was cut; stricter ones make the file longer, never a field. With no or
 * several `boundary` parameters the whole body is returned.
 */
export function multipartText(body: Buffer, contentType: string): string[] {
  const params = [...contentType.matchAll(BOUNDARY)];
  const boundary = params.length === 1 ? params[0]![1] ?? params[0]![2]! : '';
  if (boundary === '') return [body.toString('utf8')];
  const delimiter = Buffer.from(`--${boundary}`);
  const texts: string[] = [];
  let from = 0;
  for (let at = body.indexOf(delimiter); at >= 0;) {
    const next = body.indexOf(delimiter, at + delimiter.length);
    const afterLine = at + delimiter.length;
    const ownLine = (at === 0 || body.toString('latin1', at - 2, at) === CRLF) && body.toString('latin1', afterLine, afterLine + 2) === CRLF;
    const blockEnd = ownLine ? body.indexOf(CRLF + CRLF, afterLine + 2) : -1;
    const end = next < 0 ? body.length : next;
    if (blockEnd >= 0 && blockEnd < end) {
      const contentStart = blockEnd + 4;
      const contentEnd = next >= 0 && body.toString('latin1', next - 2, next) === CRLF ? Math.max(contentStart, next - 2) : end;
      if (namesFile(body.toString('utf8', afterLine + 2, blockEnd)) && !isUtf8(body.subarray(contentStart, contentEnd))) {
        texts.push(body.toString('utf8', from, contentStart));
        from = contentEnd;
      }
    }
    at = next;
  }
  texts.push(body.toString('utf8', from));
  return texts.filter((t) => t !== '');
}

/** Walks `req`'s strings into `sink`. */
export function walkRequest(req: GuardRequest, policy: InjectionPolicy, maxDepth: number, sink: FieldSink): void {
  const path: Array<string | number> = [];
  const keys: string[] = [];
  const at: { source: FieldPath['source']; path: typeof path } = { source: 'query', path };
  let stop = false;

  const within = (list: FieldPath[], inherited: boolean): boolean => inherited || (list.length > 0 && list.some((f) => names(f, at.source, keys)));

  /** Enters key `k` under `parent`; returns the exempt/base64 state inside it, or undefined to stop. */
  function enter(k: string, parent: string | undefined, exempt: boolean, base64: boolean): [boolean, boolean] | undefined {
    path.push(k);
    keys.push(k);
    const inExempt = within(policy.exempt, exempt);
    if (sink.key(k, parent, at, inExempt)) return undefined;
    return [inExempt, within(policy.base64, base64)];
  }
  function leave(): void {
    path.pop();
    keys.pop();
  }
  function value(text: string, facts: Partial<ValueFacts> & Pick<ValueFacts, 'exempt' | 'base64'>): void {
    stop ||= sink.value(text, at, { key: keys.at(-1), xmlBody: false, rawBody: false, skip: undefined, ...facts });
  }

  function json(v: unknown, depth: number, exempt: boolean, base64: boolean): void {
    if (stop) return;
    if (typeof v === 'string') return value(v, { exempt, base64 });
    if (v === null || typeof v !== 'object') return;
    if (depth >= maxDepth) {
      sink.tooDeep(at);
      stop = true;
      return;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length && !stop; i++) {
        path.push(i);
        json(v[i], depth + 1, exempt, base64);
        path.pop();
      }
      return;
    }
    const parent = keys.at(-1);
    for (const k of Object.keys(v)) {
      if (stop) return;
      const inside = enter(k, parent, exempt, base64);
      if (!inside) return void (stop = true);
      json((v as Record<string, unknown>)[k], depth + 1, inside[0], inside[1]);
      leave();
    }
  }

  /** A query or form parameter: its name split into keys, then its value(s). */
  function parameter(name: string, values: string | string[]): void {
    const segments = splitKey(name);
    let exempt = within(policy.exempt, false);
    let base64 = within(policy.base64, false);
    let parent: string | undefined;
    let entered = 0;
    for (const segment of segments) {
      const inside = enter(segment, parent, exempt, base64);
      entered++;
      if (!inside) {
        stop = true;
        break;
      }
      [exempt, base64] = inside;
      parent = segment;
    }
    if (!stop) for (const v of asForwarded(values)) if (!stop) value(v, { exempt, base64 });
    for (let i = 0; i < entered; i++) leave();
  }

  for (const name of Object.keys(req.query)) {
    if (stop) return;
    parameter(name, req.query[name]!);
  }

  at.source = 'params';
  for (const name of Object.keys(req.params)) {
    if (stop) return;
    path.push(name);
    keys.push(name);
    value(req.params[name]!, { exempt: within(policy.exempt, false), base64: false });
    leave();
  }

  at.source = 'headers';
  for (const name of Object.keys(req.headers)) {
    if (stop) return;
    if (SKIPPED_HEADERS.has(name) || name.startsWith(SKIPPED_PREFIX)) continue;
    const inside = enter(name, undefined, false, false);
    if (!inside) return;
    const [exempt] = inside;
    const skip = NO_SSRF_HEADERS.has(name) ? 'ssrf' : undefined;
    // Cookies reach the function as a list of pairs (2.0 `cookies`), never joined with ','.
    for (const text of name === 'cookie' ? headerText(req.headers[name]) : asForwarded(req.headers[name] ?? [])) {
      if (stop) break;
      if (name !== 'cookie') {
        value(text, { exempt, base64: false, skip });
        continue;
      }
      for (const pair of text.split(COOKIE_SPLIT)) {
        if (stop || pair === '') continue;
        const eq = pair.indexOf('=');
        const cookie = enter(eq < 0 ? pair : pair.slice(0, eq), 'cookie', exempt, false);
        if (!cookie) return;
        value(eq < 0 ? '' : pair.slice(eq + 1), { exempt: cookie[0], base64: false });
        leave();
      }
    }
    leave();
  }

  at.source = 'body';
  const body = req.body;
  if (stop || !body || body.length === 0) return;
  const exempt = within(policy.exempt, false);
  const base64 = within(policy.base64, false);
  const parsed = req.json();
  if (parsed.ok) return json(parsed.value, 0, exempt, base64);
  const type = (headerText(req.headers['content-type'])[0] ?? '').toLowerCase();
  // A function gets a text-typed body as a UTF-8 string and any other base64; one that is not UTF-8 and
  // not declared text is binary (an image, an archive), where patterns match random bytes by chance —
  // except a multipart form, whose fields stay text next to a binary file (multipartText).
  if (!isTextType(type) && !isUtf8(body)) {
    if (!MULTIPART.test(type)) return;
    // Repeated Content-Types reach a 2.0 function joined: its parser may take its boundary from any of them.
    const types = headerText(req.headers['content-type']).join(',');
    for (const text of multipartText(body, types)) if (!stop) value(text, { exempt, base64, xmlBody: false, rawBody: true });
    return;
  }
  const text = body.toString('utf8');
  if (FORM.test(type)) {
    for (const [name, v] of parseForm(text)) {
      if (stop) return;
      parameter(name, v);
    }
    return;
  }
  value(text, { exempt, base64, xmlBody: XML.test(type), rawBody: true });
}
