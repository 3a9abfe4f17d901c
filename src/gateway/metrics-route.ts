// GET /metrics: the Prometheus exposition of src/telemetry/metrics.ts, behind the metrics token
// (src/telemetry/metrics-token.ts), never an API key. No guard chain runs here (no function is
// invoked); blocked addresses are still refused by server.ts's onRequest hook, and a wrong or missing
// token is recorded as auth.failed, so guessing it counts towards a block like guessing a key.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { BulwarkError } from '../errors.ts';
import { publishSecurityEvent, type EventBus } from '../bus/bus.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { GatewayMetrics } from '../telemetry/metrics.ts';
import type { MetricsToken } from '../telemetry/metrics-token.ts';

export interface MetricsRouteDeps {
  metrics: Pick<GatewayMetrics, 'render' | 'contentType'>;
  token: Pick<MetricsToken, 'matches'>;
  bus: EventBus;
  logger: Logger;
}

export function createMetricsRoute(deps: MetricsRouteDeps) {
  return async function metricsRoute(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const header = request.headers.authorization;
    if (!deps.token.matches(header)) {
      await publishSecurityEvent(deps.bus, deps.logger, {
        type: 'auth.failed', requestId: request.id, sourceIp: request.clientIp, actor: 'anonymous',
        detail: { reason: header === undefined ? 'missing' : 'invalid', surface: 'metrics' },
      });
      throw new BulwarkError('BWK_E_METRICS_UNAUTHORIZED');
    }
    const text = await deps.metrics.render();
    return reply.header('cache-control', 'no-store').type(deps.metrics.contentType).send(text);
  };
}
