// Fastify setup: limits, request ids, the security headers, and the error/404 handlers that only ever
// answer in the one error shape. Routes come from invoke.ts (function routes) and admin/ (admin API);
// this file wires them, it does not implement them.

import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.ts';
import { BulwarkError } from '../errors.ts';
import type { Logger } from '../telemetry/logger.ts';
import { applySecurityHeaders } from './security-headers.ts';
import { isValidHost, requestTargetProblem } from './request-target.ts';
import { createClientErrorHandler, echo, sendError } from './error-reply.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once a function route has admitted the request: what the access log records. */
    bulwark: { function: string; version: number; actor: string } | null;
  }
}

export interface ServerParts {
  config: Config;
  logger: Logger;
  invoke: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;
  /** Registers the admin API inside its own encapsulated context. */
  admin: (app: FastifyInstance) => Promise<void>;
}

export function buildServer(parts: ServerParts) {
  const { config, logger } = parts;
  const app = Fastify({
    loggerInstance: logger,
    // One access line per request from our onResponse hook instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    // Our id, always: a caller-chosen id could collide with or impersonate another request's log lines.
    requestIdHeader: false,
    genReqId: () => randomUUID(),
    bodyLimit: config.gateway.maxBodyBytes,
    // Time to receive the whole request (slowloris). The response side is bounded by function timeouts,
    // so no idle connection timeout cuts a long-running invocation short.
    requestTimeout: config.gateway.requestTimeoutMs,
    // Node only checks request deadlines every connectionsCheckingInterval (30 s by default), which
    // would let a slow client hold a connection well past requestTimeout.
    http: { connectionsCheckingInterval: Math.min(1000, config.gateway.requestTimeoutMs) },
    connectionTimeout: 0,
    keepAliveTimeout: 5_000,
    trustProxy: config.gateway.trustProxy.length > 0 ? config.gateway.trustProxy : false,
    routerOptions: { maxParamLength: 1024 },
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    frameworkErrors: (err, _request, reply) => {
      sendError(reply, err, logger);
    },
    clientErrorHandler: createClientErrorHandler(logger),
  });

  app.decorateRequest('bulwark', null);

  app.addHook('onRequest', async (request, reply) => {
    applySecurityHeaders(reply, request.id);
    // Before the function route table and before any body is read: see request-target.ts for the attacks.
    const pathProblem = requestTargetProblem(request.url);
    if (pathProblem) throw new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', [pathProblem]);
    const hosts = request.raw.headersDistinct.host;
    // HTTP/1.0 has no Host requirement (RFC 1945) and load-balancer health checks (HAProxy's httpchk)
    // send none; the domain is then the address the request arrived on (invoke.ts). A Host that is
    // sent is checked whatever the version, and a trusted proxy's X-Forwarded-Host with it.
    const hostless = hosts === undefined && request.raw.httpVersion === '1.0';
    const hostOk = hostless
      ? request.host === '' || isValidHost(request.host)
      : hosts !== undefined && hosts.length === 1 && isValidHost(hosts[0]!) && isValidHost(request.host);
    if (!hostOk) throw new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', ['the Host header must be one hostname[:port]']);
  });

  app.addHook('onResponse', async (request, reply) => {
    // The line is built only when it will be written (the object, the path split and the spreads cost
    // a few µs on every request, for nothing at level warn).
    if (!logger.isLevelEnabled('info')) return;
    const callerId = request.headers['x-request-id'];
    logger.info({
      requestId: request.id,
      method: request.method,
      // The path only: query strings carry tokens more often than they should.
      path: request.url.split('?', 1)[0],
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      ip: request.ip,
      ...(request.bulwark ?? {}),
      ...(typeof callerId === 'string' ? { callerRequestId: echo(callerId, 128) } : {}),
    }, 'request');
  });

  app.setErrorHandler((err, _request, reply) => sendError(reply, err, logger));
  app.setNotFoundHandler((request, reply) => {
    sendError(reply, new BulwarkError('BWK_E_GATEWAY_NOT_FOUND', [`${request.method} ${echo(request.url.split('?', 1)[0]!, 200)}`]), logger);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  // Function routes see the body as raw bytes, whatever its type: the function decides how to read it
  // and the schema guard parses JSON itself.
  app.register(async (fnRoutes) => {
    fnRoutes.removeAllContentTypeParsers();
    fnRoutes.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: config.gateway.maxBodyBytes }, (_req, body, done) => done(null, body));
    const opts = { bodyLimit: config.gateway.maxBodyBytes };
    fnRoutes.all('/fn/:name', opts, parts.invoke);
    fnRoutes.all('/fn/:name/*', opts, parts.invoke);
  });

  app.register(async (adminRoutes) => parts.admin(adminRoutes), { prefix: '/admin/v1' });

  return app;
}
