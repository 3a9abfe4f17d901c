// The HTTP server: limits, request ids, the security headers, the request checks every route shares,
// the access log, and the error/404 handlers that only ever answer in the one error shape. Function
// routes (/fn/…) go to function-route.ts and invoke.ts without passing through fastify; everything else
// (admin/ API, health, metrics, unknown paths) is fastify's. This file wires them, it does not
// implement them.

import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { Config } from '../config.ts';
import { BulwarkError } from '../errors.ts';
import type { Logger } from '../telemetry/logger.ts';
import { applySecurityHeaders } from './security-headers.ts';
import { isValidHost, requestTargetProblem } from './request-target.ts';
import { createClientErrorHandler, echo, sendError } from './error-reply.ts';
import { createClientAddress } from './client-address.ts';
import { createAddressSet } from '../net/address-set.ts';
import type { Admission } from './admission.ts';
import type { FunctionRequest, GatewayReply, GatewayRequest } from './exchange.ts';
import { createFunctionRoute, FUNCTION_ROUTE_PREFIX, MAX_PARAM_LENGTH, type RequestChecks } from './function-route.ts';
import { trackStopDeadlines, type StopDeadlines } from './stop-deadlines.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once a function route has admitted the request: what the access log records. */
    bulwark: { function: string; version: number; actor: string } | null;
    /** The client's canonical address (client-address.ts): what every per-client decision and record uses. */
    clientIp: string;
  }
}

export interface ServerParts {
  config: Config;
  logger: Logger;
  /** Function routes (invoke.ts), called by function-route.ts. */
  invoke: (request: FunctionRequest, reply: GatewayReply) => Promise<void>;
  /** Registers the admin API inside its own encapsulated context. */
  admin: (app: FastifyInstance) => Promise<void>;
  /**
   * Abuse handling for routes that invoke no function (admin API, health, unknown paths): refusing
   * blocked addresses, recording unknown paths. Function routes get both from the chain and invoke.ts.
   */
  admission: Admission;
  /** GET /metrics (metrics-route.ts); absent when config.metrics.enabled is false. */
  metrics?: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;
}

/** The one access-log line of a request, whichever route served it. */
function logAccess(logger: Logger, request: GatewayRequest, status: number, ms: number): void {
  // The line is built only when it will be written (the object, the path split and the spreads cost
  // a few µs on every request, for nothing at level warn).
  if (!logger.isLevelEnabled('info')) return;
  const callerId = request.headers['x-request-id'];
  logger.info({
    requestId: request.id,
    method: request.method,
    // The path only: query strings carry tokens more often than they should.
    path: request.url.split('?', 1)[0],
    status,
    ms: Math.round(ms * 10) / 10,
    ip: request.clientIp,
    ...(request.bulwark ?? {}),
    ...(typeof callerId === 'string' ? { callerRequestId: echo(callerId, 128) } : {}),
  }, 'request');
}

export function buildServer(parts: ServerParts) {
  const { config, logger } = parts;
  const clientAddress = createClientAddress(createAddressSet(config.gateway.trustedProxies));
  const trustsProxies = config.gateway.trustedProxies.length > 0;
  const checks: RequestChecks = {
    client: (raw) => clientAddress.of(raw),
    // As fastify reads it with trustProxy: a trusted peer's last X-Forwarded-Host, else Host.
    host(raw) {
      const header = raw.headers['x-forwarded-host'];
      const forwarded = Array.isArray(header) ? header.join(',') : header;
      const peer = raw.socket.remoteAddress;
      if (forwarded && trustsProxies && peer !== undefined && clientAddress.trusts(peer)) {
        const last = forwarded.lastIndexOf(',');
        return last < 0 ? forwarded.trim() : forwarded.slice(last + 1).trim();
      }
      return raw.headers.host ?? '';
    },
    // Before any route table and before any body is read: see request-target.ts for the attacks.
    problem(raw: IncomingMessage, host: string) {
      const pathProblem = requestTargetProblem(raw.url!);
      if (pathProblem) return pathProblem;
      const hosts = raw.headersDistinct.host;
      // HTTP/1.0 has no Host requirement (RFC 1945) and load-balancer health checks (HAProxy's httpchk)
      // send none; the domain is then the address the request arrived on (invoke.ts). A Host that is
      // sent is checked whatever the version, and a trusted proxy's X-Forwarded-Host with it.
      const hostless = hosts === undefined && raw.httpVersion === '1.0';
      const hostOk = hostless
        ? host === '' || isValidHost(host)
        : hosts !== undefined && hosts.length === 1 && isValidHost(hosts[0]!) && isValidHost(host);
      return hostOk ? undefined : 'the Host header must be one hostname[:port]';
    },
  };
  let closing = false;
  // Set by serverFactory below, which fastify calls before the constructor returns.
  let stopDeadlines!: StopDeadlines;
  const functionRoute = createFunctionRoute({
    maxBodyBytes: config.gateway.maxBodyBytes,
    logger,
    checks,
    closing: () => closing,
    handle: parts.invoke,
    logAccess: (request, status, ms) => logAccess(logger, request, status, ms),
  });
  const app = Fastify({
    // Our own server, so that function routes reach function-route.ts without the framework; the
    // options fastify would have applied to its own are applied here. (app.inject() does not go through
    // this handler: function routes are not reachable through it.)
    serverFactory: (fastifyHandler) => {
      // Node only checks request deadlines every connectionsCheckingInterval (30 s by default), which
      // would let a slow client hold a connection well past its deadline.
      const deadlineCheckMs = Math.min(1000, config.gateway.headersTimeoutMs, config.gateway.requestTimeoutMs);
      const headersTimeoutMs = Math.min(config.gateway.headersTimeoutMs, config.gateway.requestTimeoutMs);
      const server = createServer({
        headersTimeout: headersTimeoutMs,
        // Request line plus headers beyond this: 431 from the parser, before any of it is buffered further.
        maxHeaderSize: config.gateway.maxHeaderBytes,
        connectionsCheckingInterval: deadlineCheckMs,
      }, (req, res) => {
        stopDeadlines.requestStarted(req, res);
        // The methods fastify's app.all() would route (function routes were such routes); another
        // method still gets fastify's 404.
        if (req.url!.startsWith(FUNCTION_ROUTE_PREFIX) && functionMethods.has(req.method!)) functionRoute(req, res);
        else fastifyHandler(req, res);
      });
      // Slow clients (slowloris, slow POST): the request line and headers must arrive within
      // headersTimeoutMs (dripping one header at a time does not reset the clock), the whole request with
      // its body within requestTimeoutMs, else 408 and the connection is closed. A connection that sends
      // nothing at all is closed after headersTimeoutMs too. The response side is bounded by function
      // timeouts, so no idle connection timeout cuts a long-running invocation short. Node's checks end
      // when the stop begins; stop-deadlines.ts keeps the deadlines from there.
      server.requestTimeout = config.gateway.requestTimeoutMs;
      server.keepAliveTimeout = config.gateway.keepAliveTimeoutMs;
      server.setTimeout(0);
      stopDeadlines = trackStopDeadlines(server, {
        headersTimeoutMs,
        requestTimeoutMs: config.gateway.requestTimeoutMs,
        checkEveryMs: deadlineCheckMs,
      });
      return server;
    },
    loggerInstance: logger,
    // One access line per request from our onResponse hook instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    // Our id, always: a caller-chosen id could collide with or impersonate another request's log lines.
    requestIdHeader: false,
    genReqId: () => randomUUID(),
    bodyLimit: config.gateway.maxBodyBytes,
    // X-Forwarded-Host/-Proto from trusted proxies only; the client address itself is client-address.ts's.
    trustProxy: config.gateway.trustedProxies.length > 0 ? clientAddress.trusts : false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    forceCloseConnections: 'idle',
    // Its own 503 has its own body; ours (onRequest below) is in the one error shape.
    return503OnClosing: false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // The reply's type here is generic over the route (unknown before routing): it is the default one.
    frameworkErrors: (err, _request, reply) => {
      sendError(reply as FastifyReply, err, logger);
    },
    clientErrorHandler: createClientErrorHandler(logger),
  });

  const functionMethods: ReadonlySet<string> = new Set(app.supportedMethods);
  app.decorateRequest('bulwark', null);
  app.decorateRequest('clientIp', '');
  // More header fields than this: 431 from the parser (it refuses the request rather than dropping the
  // extra fields, which could hide a header a proxy in front saw).
  app.server.maxHeadersCount = config.gateway.maxHeaderCount;

  // Function routes do the same in function-route.ts, in the same order.
  app.addHook('onRequest', async (request, reply) => {
    const client = checks.client(request.raw);
    request.clientIp = client.ok ? client.address : client.proxy;
    applySecurityHeaders(reply, request.id);
    // A request on a connection still open while the server closes (busy keep-alive, pipelining);
    // fastify has already set Connection: close on it.
    if (closing) throw new BulwarkError('BWK_E_GATEWAY_STOPPING');
    // Before anything is decided about a client we cannot name (client-address.ts says why not the proxy).
    if (!client.ok) throw new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', [client.problem]);
    // Blocked addresses are refused everywhere, first. On function routes the chain's first guard
    // (ip-block) does it, so the refusal is recorded with the function it was aimed at.
    const refused = await parts.admission.admitOtherRoute(request, reply);
    if (refused) return refused;
    const problem = checks.problem(request.raw, checks.host(request.raw));
    if (problem) throw new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', [problem]);
  });

  app.addHook('onResponse', async (request, reply) => logAccess(logger, request, reply.statusCode, reply.elapsedTime));
  app.addHook('preClose', async () => {
    closing = true;
    stopDeadlines.enforce();
  });

  app.setErrorHandler((err, _request, reply) => sendError(reply, err, logger));
  app.setNotFoundHandler(async (request, reply) => {
    await parts.admission.recordUnknownRoute(request);
    return sendError(reply, new BulwarkError('BWK_E_GATEWAY_NOT_FOUND', [`${request.method} ${echo(request.url.split('?', 1)[0]!, 200)}`]), logger);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  if (parts.metrics) app.get('/metrics', parts.metrics);

  app.register(async (adminRoutes) => parts.admin(adminRoutes), { prefix: '/admin/v1' });

  return app;
}
