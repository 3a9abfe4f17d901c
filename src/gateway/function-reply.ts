// Writes a function's HttpResult to the caller. The function decides status, headers, cookies and body,
// but not how the message is framed: hop-by-hop and framing headers would let it desynchronise the
// connection (request smuggling through a keep-alive, a lying content-length), so they are dropped and
// the gateway frames the body itself. Header values Node would reject (CR/LF injection) are dropped too.

import type { GatewayReply } from './exchange.ts';
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { BulwarkError } from '../errors.ts';
import type { HttpResult } from '../runtime/sandbox/sandbox.ts';
import { NOT_FOR_FUNCTION_RESPONSES, PROTECTED } from './security-headers.ts';

/** RFC 9110 §7.6.1 hop-by-hop headers, plus the framing headers the gateway owns. */
const FORBIDDEN = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'content-length', 'http2-settings',
]);

function valid(name: string, value: string): boolean {
  try {
    validateHeaderName(name);
    validateHeaderValue(name, value);
    return true;
  } catch {
    return false;
  }
}

/** Returns the names it refused, for the log. */
export function writeResult(reply: GatewayReply, result: HttpResult, functionName: string): { dropped: string[] } {
  const status = result.statusCode;
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new BulwarkError('BWK_E_SANDBOX_BAD_RESPONSE', [functionName], { statusCode: status });
  }
  const dropped: string[] = [];
  const setCookies = [...result.cookies];
  for (const name of NOT_FOR_FUNCTION_RESPONSES) reply.removeHeader(name);
  for (const [rawName, raw] of Object.entries(result.headers)) {
    const name = rawName.toLowerCase();
    const value = String(raw);
    if (name === 'set-cookie') setCookies.push(value);
    else if (FORBIDDEN.has(name) || PROTECTED.has(name) || !valid(name, value)) dropped.push(name);
    else reply.header(name, value);
  }
  const cookies = setCookies.filter((c) => valid('set-cookie', c));
  if (cookies.length !== setCookies.length) dropped.push('set-cookie');
  if (cookies.length > 0) reply.header('set-cookie', cookies);
  // Without a declared type the browser must not guess: nosniff is set and this keeps it inert.
  if (!reply.hasHeader('content-type')) reply.type(result.isBase64Encoded ? 'application/octet-stream' : 'text/plain; charset=utf-8');
  const body = Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  reply.code(status);
  reply.send(body);
  return { dropped };
}
