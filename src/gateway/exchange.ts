// What the gateway's request handling uses of one HTTP exchange. Fastify's request and reply have all
// of it (admin API, health, metrics, the error and not-found handlers); so do the function route's own
// (function-route.ts), which serves /fn/ without the framework. error-reply.ts, function-reply.ts,
// security-headers.ts and invoke.ts take these, so one implementation of each serves both.

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

export interface GatewayRequest {
  readonly id: string;
  readonly url: string;
  readonly method: string;
  readonly raw: IncomingMessage;
  readonly headers: IncomingHttpHeaders;
  /** The Host (a trusted proxy's X-Forwarded-Host) without its port; '' when there is none. */
  readonly hostname: string;
  /** The client's canonical address (client-address.ts): what every per-client decision and record uses. */
  clientIp: string;
  /** Set once a function route has admitted the request: what the access log records. */
  bulwark: { function: string; version: number; actor: string } | null;
  /** Fastify's route options; error-reply.ts reads the body limit a framework error refers to. */
  readonly routeOptions?: { readonly bodyLimit?: number };
}

export interface GatewayReply {
  readonly request: GatewayRequest;
  readonly raw: ServerResponse;
  /** The response has been handed to Node (send called). */
  readonly sent: boolean;
  readonly statusCode: number;
  header(name: string, value: string | string[]): unknown;
  headers(values: Record<string, string>): unknown;
  removeHeader(name: string): unknown;
  hasHeader(name: string): boolean;
  type(contentType: string): unknown;
  code(statusCode: number): unknown;
  send(payload: Buffer | string): unknown;
}

/** "/fn/<name>/rest?query" in its parts (function-route.ts reads it once). */
export interface FunctionUrl {
  /** The URL without its query, as received. */
  readonly path: string;
  /** The function's name, as received (percent-encoded). */
  readonly name: string;
  /** The path under /fn/<name>, "/" at least. */
  readonly subPath: string;
  /** The raw query string, without its "?". */
  readonly query: string;
}

/** A request on a function route, its body read as bytes (function-route.ts). */
export interface FunctionRequest extends GatewayRequest {
  readonly functionUrl: FunctionUrl;
  /** The query string's parameters, decoded, every value of a repeated name kept (events/request.ts queryValues). */
  readonly queryValues: ReadonlyMap<string, string[]>;
  /** undefined when the request had no body to read (GET, HEAD, no Content-Type and no length, …). */
  readonly body: Buffer | undefined;
}
