// The request path for function routes, top to bottom, once function-route.ts has checked the request
// and read its body:
//   1. resolve   /fn/<name><path> → active version + trigger       404 BWK_E_GATEWAY_NOT_FOUND, 410 _FUNCTION_EXPIRED,
//                (src/lifecycle/admission.ts)                        403 _FUNCTION_DISABLED
//   2-4.         dispatch.ts, the path every event source shares:
//      guards    src/guards/chain.ts, in its declared order          413 / 401 / 403 / 400 / 429
//      event     API Gateway 2.0 (default) or 1.0 payload, without credentials the gateway would accept
//      invoke    sandbox.invoke                                      502 / 503 / 504 BWK_E_SANDBOX_*, 499 BWK_E_GATEWAY_CLIENT_CLOSED
//   5. scan      src/dlp/: a response carrying a credential is withheld or redacted  502 BWK_E_DLP_RESPONSE_BLOCKED
//   6. respond   the function's HttpResult, framing headers stripped
// Every early exit throws or returns a BulwarkError; error-reply.ts turns it into the one error shape.
// With tracing on (src/telemetry/tracing.ts) the whole path is one `request` span, continuing the
// caller's traceparent, with the response filter as a child; dispatch.ts adds the chain and sandbox spans.
// docs/lifecycle.md draws this same path and changes with this file.

import type { IncomingMessage } from 'node:http';
import { BulwarkError } from '../errors.ts';
import { assertInvocable, type DisabledLookup } from '../lifecycle/admission.ts';
import { publishSecurityEvent, type EventBus } from '../bus/bus.ts';
import type { FunctionTarget } from '../runtime/sandbox/sandbox.ts';
import type { Logger } from '../telemetry/logger.ts';
import { lazyJson, type GuardRequest } from '../guards/types.ts';
import type { Dispatcher } from './dispatch.ts';
import type { RouteTable } from './routes.ts';
import type { RequestFacts } from './events/request.ts';
import { buildV1Event } from './events/apigw-v1.ts';
import { buildV2Event } from './events/apigw-v2.ts';
import { echo, sendError } from './error-reply.ts';
import { arrivalHost } from './request-target.ts';
import { writeResult } from './function-reply.ts';
import type { FunctionRequest, GatewayReply } from './exchange.ts';
import { inspectResponse, type ResponseMode } from '../dlp/response.ts';
import type { Scanner } from '../dlp/scanner.ts';
import type { TraceSpan, Tracing } from '../telemetry/tracing.ts';

export interface InvokeDeps {
  routes: RouteTable;
  dispatcher: Dispatcher;
  bus: EventBus;
  logger: Logger;
  /** auth.jwt.issuer, when JWTs are configured (see forwardedHeaders). */
  jwtIssuer: string | undefined;
  /** Leak prevention for responses: the scanner and config.dlp.responses. */
  dlp: { scanner: Scanner; responses: ResponseMode };
  /** Present only when tracing is on: otherwise the handler runs no tracing code at all. */
  tracing?: Tracing;
  /** Disabled functions (src/lifecycle/disable.ts), refused before the guards run. */
  lifecycle: DisabledLookup;
}

/**
 * The headers the guards judge: every value of a repeated header, as the function's event gets them
 * (events/: 2.0 joins them with ',', 1.0 lists each). Node's `request.headers` keeps only the first of
 * several User-Agent, Referer, Authorization, … headers, so judging it would let a second one reach the
 * handler unseen (Shellshock in the second User-Agent). Repeated credentials are then ambiguous to authn.
 */
function headersAsForwarded(raw: IncomingMessage): GuardRequest['headers'] {
  const out: GuardRequest['headers'] = {};
  for (const [name, values] of Object.entries(raw.headersDistinct)) out[name] = values!.length === 1 ? values![0] : values;
  return out;
}

/**
 * Aborted when the connection closes before the response was sent: the caller is gone. The response's
 * 'close' is the one to watch; the request's fires as soon as its body has been read.
 */
function callerGone(reply: GatewayReply): AbortSignal {
  const controller = new AbortController();
  const res = reply.raw;
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

export function createInvokeHandler(deps: InvokeDeps) {
  async function invoke(request: FunctionRequest, reply: GatewayReply, span?: TraceSpan): Promise<void> {
    const requestId = request.id;

    // 1. resolve
    const url = request.functionUrl;
    const match = await deps.routes.resolve(url.name, request.method, url.subPath);
    if (!match) {
      await publishSecurityEvent(deps.bus, deps.logger, {
        type: 'route.unknown', requestId, sourceIp: request.clientIp, detail: { method: request.method, path: echo(url.path, 200) },
      });
      throw new BulwarkError('BWK_E_GATEWAY_NOT_FOUND', [`${request.method} ${echo(url.path, 200)}`]);
    }
    const fn: FunctionTarget = { name: match.fn.name, version: match.fn.version, sha256: match.fn.sha256, manifest: match.fn.manifest };
    await assertInvocable(deps.lifecycle, fn);

    // 2-4. guards, event, invoke
    const body = request.body;
    const guardRequest: GuardRequest = {
      requestId,
      fn,
      source: 'http',
      trigger: match.trigger,
      method: request.method,
      headers: headersAsForwarded(request.raw),
      query: guardQuery(request.queryValues),
      params: match.params,
      body,
      json: lazyJson(body),
      sourceIp: request.clientIp,
      principal: undefined,
      signal: callerGone(reply),
    };
    span?.set({ 'faas.name': fn.name, 'faas.version': fn.version });
    const outcome = await deps.dispatcher.dispatch(guardRequest, (principal) => {
      request.bulwark = { function: fn.name, version: fn.version, actor: principal.actor };
      const facts: RequestFacts = {
        requestId,
        method: request.method,
        rawPath: url.subPath,
        rawQueryString: url.query,
        query: request.queryValues,
        headers: request.raw.headersDistinct as Record<string, string[]>,
        body,
        sourceIp: request.clientIp,
        protocol: `HTTP/${request.raw.httpVersion}`,
        domainName: request.hostname || arrivalHost(request.raw.socket.localAddress),
        timeEpoch: Date.now(),
        trigger: match.trigger,
        pathParameters: match.params,
        principal,
        functionName: fn.name,
        jwtIssuer: deps.jwtIssuer,
      };
      return fn.manifest.runtime.payloadFormat === '1.0' ? buildV1Event(facts) : buildV2Event(facts);
    }, span);
    if (!outcome.admitted) {
      sendError(reply, outcome.rejection.error, deps.logger, outcome.rejection.headers);
      return;
    }

    // 5. scan
    const filterSpan = span?.child('response filter');
    const inspection = inspectResponse(outcome.result, deps.dlp.scanner, deps.dlp.responses);
    filterSpan?.set({ 'bulwark.dlp.leaks': inspection.leaks.length, 'bulwark.dlp.withheld': inspection.withheld });
    filterSpan?.end();
    for (const leak of inspection.leaks) {
      await publishSecurityEvent(deps.bus, deps.logger, {
        type: 'dlp.leak', requestId, function: fn.name, version: fn.version, actor: request.bulwark?.actor, sourceIp: request.clientIp,
        detail: { ...leak, where: 'response', action: inspection.withheld ? 'blocked' : 'redacted' },
      });
    }
    if (inspection.withheld) throw new BulwarkError('BWK_E_DLP_RESPONSE_BLOCKED', [fn.name], { kinds: inspection.leaks.map((l) => l.kind) });

    // 6. respond
    const { dropped } = writeResult(reply, inspection.result, fn.name);
    if (dropped.length > 0) deps.logger.warn({ requestId, function: fn.name, dropped }, 'function response headers dropped');
  }

  const tracing = deps.tracing;
  if (!tracing) return invoke;
  return async function invokeTraced(request: FunctionRequest, reply: GatewayReply): Promise<void> {
    const span = tracing.start('request', 'server', { 'http.request.method': request.method }, request.headers.traceparent);
    try {
      await invoke(request, reply, span);
      span.set({ 'http.response.status_code': reply.statusCode });
      span.end();
    } catch (err) {
      span.end(err);
      throw err;
    }
  };
}

/** The query as the guards judge it: a repeated name gives an array. */
function guardQuery(values: ReadonlyMap<string, string[]>): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const [name, list] of values) query[name] = list.length === 1 ? list[0]! : list;
  return query;
}
