// Function routes (/fn/<name>…) are served straight from node:http, not through fastify: they are one
// handler taking the body as raw bytes, and the framework's routing, hooks and reply path took 20–30 %
// of invocations/s under the issue 2 load (docs/benchmarks.md). What fastify did for these routes is
// done here, in the same order and with the same answers:
//   1. the request id, client address and security headers are set up; then the refusals, in order:
//      the URL as its router read it (a path that is not validly percent-encoded, or a function name
//      longer than the router's 1024 characters, decoded: 400), 503 once the server has begun to
//      close, then the client address and the path and Host checks (server.ts's, shared with every
//      other route);
//   2. the body, read only when fastify would read one (by method, Content-Type, Content-Length and
//      Transfer-Encoding; a Content-Type that is not type/subtype is 415), as bytes, at most
//      gateway.maxBodyBytes (413, from the Content-Length alone when it says more), its length checked
//      against Content-Length; a body refused closes the connection after the answer, as the client
//      may still be sending;
//   3. the handler (invoke.ts), its errors in the one shape (error-reply.ts), and the access-log line
//      once the response has been sent (none for a caller that went away first, as before);
//   4. the response framed as fastify framed it: a Content-Length, and for 204 neither a body nor
//      Content-Type or Content-Length (RFC 9110 §8.6: a proxy could read a next response as the body).
// Any failure past that (an error thrown while answering one) is logged and the connection destroyed,
// rather than left to the process's unhandled-rejection path.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BulwarkError } from '../errors.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { FunctionRequest, FunctionUrl, GatewayReply } from './exchange.ts';
import { queryValues } from './events/request.ts';
import { echo, FRAMING_PROBLEMS, sendError } from './error-reply.ts';
import { applySecurityHeaders } from './security-headers.ts';

export const FUNCTION_ROUTE_PREFIX = '/fn/';
/** The router's maxParamLength (server.ts), which it applied to a function route's decoded function name. */
export const MAX_PARAM_LENGTH = 1024;
/**
 * The methods whose body fastify never read (its handleRequest); the others (of its supportedMethods,
 * the only ones server.ts sends here) it read when one was announced.
 */
const BODYLESS_METHODS = new Set(['GET', 'HEAD', 'TRACE']);
/** A media type's type and subtype, as fastify's ContentType accepts them (parameters are not judged). */
const TYPE_NAME = /^[\w!#$%&'*+.^`|~-]+$/;
const SUBTYPE_NAME = /^[\w!#$%&'*+.^`|~-]+\s*$/;

export interface RequestChecks {
  /** The client address for the request, or the refusal when it cannot be named (client-address.ts). */
  client(raw: IncomingMessage): { ok: true; address: string } | { ok: false; proxy: string; problem: string };
  /** The Host the request names (a trusted proxy's X-Forwarded-Host), port included; '' for none. */
  host(raw: IncomingMessage): string;
  /** Why the request target or the Host is refused, or undefined (server.ts). */
  problem(raw: IncomingMessage, host: string): string | undefined;
}

export interface FunctionRouteDeps {
  maxBodyBytes: number;
  logger: Logger;
  checks: RequestChecks;
  /** True once the server has begun to close. */
  closing(): boolean;
  handle(request: FunctionRequest, reply: GatewayReply): Promise<void>;
  /** Writes the access-log line of a request whose response was sent (server.ts). */
  logAccess(request: FunctionRequest, status: number, ms: number): void;
}

/** The reply of a function route: headers kept until send, then one writeHead and one end. */
class FunctionReply implements GatewayReply {
  readonly request: FunctionRequest;
  readonly raw: ServerResponse;
  // No prototype: a function may name a response header `__proto__` (it is a valid token).
  readonly #headers: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  #status = 200;
  #sent = false;

  constructor(request: FunctionRequest, raw: ServerResponse) {
    this.request = request;
    this.raw = raw;
  }

  get sent(): boolean {
    return this.#sent;
  }

  get statusCode(): number {
    return this.#status;
  }

  header(name: string, value: string | string[]): void {
    this.#headers[name.toLowerCase()] = value;
  }

  headers(values: Record<string, string>): void {
    for (const [name, value] of Object.entries(values)) this.header(name, value);
  }

  removeHeader(name: string): void {
    delete this.#headers[name.toLowerCase()];
  }

  hasHeader(name: string): boolean {
    return name.toLowerCase() in this.#headers;
  }

  type(contentType: string): void {
    this.header('content-type', contentType);
  }

  code(statusCode: number): void {
    this.#status = statusCode;
  }

  send(payload: Buffer | string): void {
    if (this.#sent) return;
    const bodiless = this.#status < 200 || this.#status === 204;
    if (bodiless) {
      delete this.#headers['content-type'];
      delete this.#headers['content-length'];
    } else {
      // A HEAD request's body is dropped by Node; the length stays, as for the GET.
      this.#headers['content-length'] = String(typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length);
    }
    // Sent only once Node took the head: a head it refused can still be answered with an error.
    this.raw.writeHead(this.#status, this.#headers);
    this.#sent = true;
    if (bodiless) this.raw.end();
    else this.raw.end(payload);
  }
}

function validMediaType(value: string): boolean {
  const semicolon = value.indexOf(';');
  const media = semicolon < 0 ? value : value.slice(0, semicolon);
  const slash = media.indexOf('/');
  return slash >= 0 && TYPE_NAME.test(media.slice(0, slash).trimStart()) && SUBTYPE_NAME.test(media.slice(slash + 1).trimEnd());
}

/** Whether the body is read, as fastify decided it; throws its refusals of the request's framing. */
function announcesBody(method: string, headers: IncomingMessage['headers']): boolean {
  if (BODYLESS_METHODS.has(method)) return false;
  const type = headers['content-type'];
  if (type === undefined) {
    // RFC 10008: a QUERY request's content is meaningless without its type.
    if (method === 'QUERY') throw new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', ['a QUERY request needs a Content-Type']);
    const length = headers['content-length'];
    return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  }
  if (!validMediaType(type)) throw new BulwarkError('BWK_E_GATEWAY_UNSUPPORTED_MEDIA_TYPE', [echo(type)]);
  return true;
}

/** Reads the body as bytes, at most `limit`; throws the BulwarkError fastify's errors mapped to. */
function readBody(raw: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(raw.headers['content-length']);
  if (declared > limit) return Promise.reject(new BulwarkError('BWK_E_GUARD_BODY_TOO_LARGE', [limit]));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limit) {
        stop();
        reject(new BulwarkError('BWK_E_GUARD_BODY_TOO_LARGE', [limit]));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      stop();
      if (!Number.isNaN(declared) && received !== declared) reject(new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', [FRAMING_PROBLEMS.contentLength]));
      // Always a copy: a chunk can be a view of a read buffer the socket reuses, and the body is judged
      // by the guards before the function gets it.
      else resolve(Buffer.concat(chunks, received));
    };
    const onError = (): void => {
      stop();
      reject(new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', ['the request could not be processed']));
    };
    const stop = (): void => {
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('error', onError);
    };
    raw.on('data', onData);
    raw.on('end', onEnd);
    raw.on('error', onError);
  });
}

/** "/fn/<name>/rest?query" → its parts; server.ts only sends /fn/... here. */
function splitFunctionUrl(url: string): FunctionUrl {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const rest = path.slice(FUNCTION_ROUTE_PREFIX.length);
  const slash = rest.indexOf('/');
  return {
    path,
    name: slash < 0 ? rest : rest.slice(0, slash),
    subPath: slash < 0 ? '/' : rest.slice(slash),
    query: q < 0 ? '' : url.slice(q + 1),
  };
}

/** A FunctionRequest whose body is filled in once it has been read. */
type UnreadRequest = { -readonly [K in keyof FunctionRequest]: FunctionRequest[K] };

/** The request as the router read it: the query decoded as the function's event has it; no body yet. */
function functionRequest(raw: IncomingMessage, id: string, clientIp: string, host: string): UnreadRequest {
  const url = raw.url!;
  const functionUrl = splitFunctionUrl(url);
  return {
    id, url, method: raw.method!, raw, headers: raw.headers, clientIp, body: undefined, functionUrl, queryValues: queryValues(functionUrl.query), bulwark: null,
    hostname: host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':', 1)[0]!,
  };
}

/** The router's reading of the path: valid percent-encoding, a function name within its length. */
function routerProblem({ path, name }: FunctionUrl): string | undefined {
  let decodedName: string;
  try {
    decodeURI(path);
    decodedName = decodeURIComponent(name);
  } catch {
    return FRAMING_PROBLEMS.badUrl;
  }
  return decodedName.length > MAX_PARAM_LENGTH ? FRAMING_PROBLEMS.longSegment : undefined;
}

export function createFunctionRoute(deps: FunctionRouteDeps): (raw: IncomingMessage, res: ServerResponse) => void {
  async function serve(raw: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const id = randomUUID();
    const client = deps.checks.client(raw);
    const host = deps.checks.host(raw);
    const request = functionRequest(raw, id, client.ok ? client.address : client.proxy, host);
    const reply = new FunctionReply(request, res);
    res.once('finish', () => deps.logAccess(request, reply.statusCode, performance.now() - started));
    applySecurityHeaders(reply, id);
    try {
      const urlProblem = routerProblem(request.functionUrl);
      if (urlProblem) throw new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', [urlProblem]);
      if (deps.closing()) {
        reply.header('connection', 'close');
        throw new BulwarkError('BWK_E_GATEWAY_STOPPING');
      }
      if (!client.ok) throw new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', [client.problem]);
      const problem = deps.checks.problem(raw, host);
      if (problem) throw new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', [problem]);
      if (announcesBody(request.method, raw.headers)) {
        try {
          request.body = await readBody(raw, deps.maxBodyBytes);
        } catch (err) {
          // The client may still be sending: the connection closes after the answer (as fastify does).
          reply.header('connection', 'close');
          throw err;
        }
      }
      await deps.handle(request, reply);
    } catch (err) {
      sendError(reply, err, deps.logger);
    }
  }
  return (raw, res) => {
    serve(raw, res).catch((err: unknown) => {
      deps.logger.error({ err, path: echo(raw.url!.split('?', 1)[0]!, 200) }, 'function route failed while answering');
      res.destroy();
    });
  };
}
