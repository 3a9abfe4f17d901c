// The one place an error becomes a response. Whatever went wrong — a guard denial, a sandbox failure,
// a body fastify could not parse, an unknown route, a bug — the caller gets toErrorBody's shape and
// nothing else; the detail (stack, cause, internal paths) goes to the log under the same request id.

import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { BulwarkError, isBulwarkError, toErrorBody } from '../errors.ts';
import type { Logger } from '../telemetry/logger.ts';
import { applySecurityHeaders, securityHeaders } from './security-headers.ts';
import { redactString } from '../telemetry/redact.ts';
import type { GatewayReply, GatewayRequest } from './exchange.ts';

/** Why a request's framing is refused: the same words from fastify's errors here and from function-route.ts. */
export const FRAMING_PROBLEMS = {
  contentLength: 'content-length does not match the body',
  badUrl: 'the URL is not validly encoded',
  longSegment: 'a path segment is too long',
} as const;

/**
 * Strips caller-supplied text down to something safe to echo in a message or an event. Credentials are
 * redacted before the cut: a cut through one would leave a head too short to be recognised later (the
 * log and the audit ledger redact again, but only what they can still recognise).
 */
export function echo(text: string, max = 80): string {
  return redactString(text).replace(/[^\x20-\x7e]/g, '?').slice(0, max);
}

function fastifyCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Maps anything thrown while handling a request to a BulwarkError a caller may see. */
export function toBulwarkError(err: unknown, request: GatewayRequest): BulwarkError {
  if (isBulwarkError(err)) return err;
  const e = err as { statusCode?: number; validation?: Array<{ instancePath?: string; message?: string }>; validationContext?: string };
  switch (fastifyCode(err)) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new BulwarkError('BWK_E_GUARD_BODY_TOO_LARGE', [request.routeOptions?.bodyLimit ?? '']);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new BulwarkError('BWK_E_GATEWAY_UNSUPPORTED_MEDIA_TYPE', [echo(String(request.headers['content-type'] ?? 'none'))]);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', ['a JSON body is required']);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', [FRAMING_PROBLEMS.contentLength]);
    case 'FST_ERR_BAD_URL':
      return new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', [FRAMING_PROBLEMS.badUrl]);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', [FRAMING_PROBLEMS.longSegment]);
  }
  if (Array.isArray(e.validation)) {
    const first = e.validation[0];
    return new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', [echo(`${e.validationContext ?? 'request'}${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`, 160)]);
  }
  // JSON.parse / secure-json-parse failures (syntax, __proto__ poisoning) arrive as 400 SyntaxErrors.
  if (err instanceof SyntaxError && e.statusCode === 400) {
    return new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', ['body is not valid JSON']);
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', ['the request could not be processed']);
  }
  return new BulwarkError('BWK_E_GATEWAY_INTERNAL');
}

export function sendError<R extends GatewayReply>(reply: R, err: unknown, logger: Logger, extraHeaders?: Record<string, string>): R {
  const request = reply.request;
  const known = toBulwarkError(err, request);
  const { status, body } = toErrorBody(known, request.id);
  const line = {
    requestId: request.id,
    method: request.method,
    path: request.url.split('?', 1)[0],
    code: known.code,
    status,
    detail: known.detail,
    // The original error only when it was not already ours: that is where the stack and cause live.
    err: known === err ? undefined : err,
  };
  if (status >= 500) logger.error(line, 'request failed');
  else logger.info(line, 'request refused');
  if (reply.sent || reply.raw.headersSent) return reply;
  applySecurityHeaders(reply, request.id);
  if (extraHeaders) reply.headers(extraHeaders);
  reply.code(status);
  reply.type('application/json; charset=utf-8');
  reply.send(JSON.stringify(body));
  return reply;
}

/**
 * Errors Node's HTTP parser raises before fastify sees a request (request timeout, oversized headers,
 * malformed HTTP). Written straight to the socket, still in the one error shape.
 */
export function createClientErrorHandler(logger: Logger): (err: Error & { code?: string }, socket: Socket) => void {
  return function clientError(err, socket) {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const requestId = randomUUID();
    const error = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new BulwarkError('BWK_E_GATEWAY_REQUEST_TIMEOUT')
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? new BulwarkError('BWK_E_GATEWAY_HEADERS_TOO_LARGE')
        : new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', ['the request is not valid HTTP']);
    logger.info({ requestId, code: error.code, parserError: err.code, remote: socket.remoteAddress }, 'client error');
    if (!socket.writable) return void socket.destroy();
    const { status, body } = toErrorBody(error, requestId);
    const payload = JSON.stringify(body);
    const headers = { ...securityHeaders(requestId), 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(payload)), connection: 'close' };
    const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n');
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${head}\r\n\r\n${payload}`);
  };
}
