// What the gateway knows about an HTTP request once it has been routed and admitted: the input both
// API Gateway payload builders (apigw-v2.ts, apigw-v1.ts) work from.

import { bearsIssuer } from '../../auth/jwt.ts';
import type { Principal } from '../../auth/principal.ts';
import type { HttpTrigger } from '../../manifest/types.ts';

export interface RequestFacts {
  requestId: string;
  method: string;
  /** Path under /fn/<name>, as received (percent-encoded), "/" at least. */
  rawPath: string;
  rawQueryString: string;
  /** rawQueryString's parameters as queryValues() reads them (parsed once, by the function route). */
  query: ReadonlyMap<string, string[]>;
  /** Lower-cased names, every value of repeated headers. */
  headers: Record<string, string[]>;
  body: Buffer | undefined;
  sourceIp: string;
  protocol: string;
  domainName: string;
  timeEpoch: number;
  trigger: HttpTrigger;
  pathParameters: Record<string, string>;
  principal: Principal;
  functionName: string;
  /** auth.jwt.issuer when JWTs are configured: bearer tokens from it never reach the function. */
  jwtIssuer: string | undefined;
}

/**
 * Credential headers. Where the gateway checked the caller's credential it drops them: handing them to
 * function code would let any function replay its callers' keys. On public routes the gateway did not
 * look, and the function may authenticate callers itself, so other credentials (a JWT from the
 * function's own identity provider) pass through. A credential the gateway itself would accept never
 * does, on any route: a Bulwark API key, or a bearer JWT whose (unverified) `iss` is auth.jwt.issuer. A
 * public function, or whoever took one over, would otherwise collect and replay the credentials of
 * callers who send theirs out of habit, admin ones included.
 */
const CREDENTIAL_HEADERS = ['authorization', 'x-api-key'];
const BULWARK_KEY = /bwk_/i;

function gatewayCredential(header: string, value: string, issuer: string | undefined): boolean {
  if (BULWARK_KEY.test(value)) return true;
  return header === 'authorization' && issuer !== undefined && bearsIssuer(value, issuer);
}

function carriesGatewayCredential(headers: Record<string, string[]>, issuer: string | undefined): boolean {
  return CREDENTIAL_HEADERS.some((h) => headers[h]?.some((v) => gatewayCredential(h, v, issuer)));
}

export function forwardedHeaders(facts: RequestFacts): Record<string, string[]> {
  const anonymous = facts.principal.kind === 'anonymous';
  if (anonymous && !carriesGatewayCredential(facts.headers, facts.jwtIssuer)) return facts.headers;
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(facts.headers)) {
    if (!CREDENTIAL_HEADERS.includes(k)) out[k] = v;
    else if (anonymous) {
      const kept = v.filter((value) => !gatewayCredential(k, value, facts.jwtIssuer));
      if (kept.length > 0) out[k] = kept;
    }
  }
  return out;
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded|graphql)\b|[^;]*\+(json|xml)\b)/i;

/** A content type whose body a function receives as a UTF-8 string (anything else arrives base64). */
export function isTextType(type: string): boolean {
  return type !== '' && TEXT_TYPES.test(type);
}

/** API Gateway semantics: text bodies go as UTF-8 strings, anything else base64 with isBase64Encoded. */
export function encodeBody(facts: RequestFacts): { body: string | undefined; isBase64Encoded: boolean } {
  if (!facts.body || facts.body.length === 0) return { body: undefined, isBase64Encoded: false };
  const type = facts.headers['content-type']?.[0] ?? '';
  if (isTextType(type)) return { body: facts.body.toString('utf8'), isBase64Encoded: false };
  return { body: facts.body.toString('base64'), isBase64Encoded: true };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The CLF-style time API Gateway puts in requestContext: "12/Mar/2020:19:03:58 +0000". */
export function clfTime(epochMs: number): string {
  const d = new Date(epochMs);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

export function routeKey(trigger: HttpTrigger): string {
  return `${trigger.method} ${trigger.path}`;
}

/** Query string parsed the way API Gateway does: decoded, every value of a repeated name kept. */
export function queryValues(raw: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (raw === '') return out;
  for (const [k, v] of new URLSearchParams(raw)) {
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  }
  return out;
}
