// Response headers set on every response before anything else writes. Bulwark's own responses (errors,
// admin API, health) are JSON that must never be cached, framed or sniffed. A function's response may
// replace the caching/CSP/framing defaults (it may serve HTML), but never nosniff or the request id.
// Function routes: see NOT_FOR_FUNCTION_RESPONSES.
// HSTS is left to the TLS-terminating proxy: the gateway itself speaks plain HTTP.

import type { GatewayReply } from './exchange.ts';

const OURS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

/**
 * Defaults that describe Bulwark's own JSON and would break what a function legitimately serves
 * (cacheable content, HTML with its own CSP, assets embedded cross-origin): dropped before a function's
 * response is written. x-frame-options and referrer-policy stay unless the function sets its own.
 */
export const NOT_FOR_FUNCTION_RESPONSES = ['cache-control', 'content-security-policy', 'cross-origin-resource-policy'];

/** Headers a function response may never set. */
export const PROTECTED = new Set(['x-content-type-options', 'x-request-id']);

export function securityHeaders(requestId: string): Record<string, string> {
  return { ...OURS, 'x-request-id': requestId };
}

export function applySecurityHeaders(reply: Pick<GatewayReply, 'headers'>, requestId: string): void {
  reply.headers(securityHeaders(requestId));
}
