// OpenTelemetry traces of the request path (docs/metrics.md#tracing), off by default. One trace per
// request or event:
//   request | queue <fn> | schedule <fn>   root span: invoke.ts for HTTP, dispatch.ts for other sources
//     guard chain                          dispatch.ts
//     sandbox invocation                   dispatch.ts
//     response filter                      invoke.ts (DLP scan of an HTTP answer)
// Spans go to an OTLP/HTTP collector (JSON encoding) in batches. Nothing is registered globally (no
// global tracer provider, context manager or propagator): spans are parented explicitly through the
// TraceSpan handles below, and two gateways in one process keep separate exporters. When tracing is off
// the platform passes no Tracing at all, so the request path runs no OpenTelemetry code.
// Attributes are function names, versions, sources, statuses and BWK_E_* codes, never a key id, a
// principal, an address, a path or a body.

import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, SamplingDecision, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { isBulwarkError } from '../errors.ts';
import type { Config } from '../config.ts';

export interface TraceSpan {
  /** A span under this one. */
  child(name: string, attributes?: Attributes): TraceSpan;
  set(attributes: Attributes): void;
  /** Ends the span; with an error, marks it failed with the error's BWK_E_* code (never its detail). */
  end(error?: unknown): void;
}

export interface Tracing {
  /** A root span for one request or event, continuing a valid W3C `traceparent` when there is one. */
  start(name: string, kind: 'server' | 'consumer' | 'internal', attributes: Attributes, traceparent?: string | string[]): TraceSpan;
  /** Exports what is buffered, then stops. */
  close(): Promise<void>;
}

const KINDS = { server: SpanKind.SERVER, consumer: SpanKind.CONSUMER, internal: SpanKind.INTERNAL } as const;

/**
 * W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header): version,
 * trace id, parent id, flags. Versions after 00 may append fields; ff and all-zero ids are invalid. An
 * invalid or repeated header starts a new trace, as the spec asks.
 */
export function parseTraceparent(header: string | string[] | undefined): { traceId: string; spanId: string; traceFlags: number } | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/.exec(header.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId!) || /^0+$/.test(spanId!)) return undefined;
  return { traceId: traceId!, spanId: spanId!, traceFlags: Number.parseInt(flags!, 16) & TraceFlags.SAMPLED };
}

/**
 * The share of incoming sampled traces recorded. A caller's sampled flag is a request, not an order:
 * anyone can set it on every request, and a trace-id-ratio decision would not help, since the caller
 * chooses the trace id too. So the draw is the gateway's own; with sampleRatio 1 every one is kept.
 */
function randomRatioSampler(ratio: number): Sampler {
  return {
    shouldSample: () => ({ decision: Math.random() < ratio ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD }),
    toString: () => `RandomRatioSampler{${ratio}}`,
  };
}

function errorAttributes(error: unknown): { code: string; status: number } {
  return isBulwarkError(error) ? { code: error.code, status: error.status } : { code: 'BWK_E_GATEWAY_INTERNAL', status: 500 };
}

export function createTracing(config: Config['tracing']): Tracing {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    // New traces are sampled at sampleRatio; a caller's trace is continued at most that often (never
    // when the caller did not sample it), so untrusted callers cannot force every request to be traced.
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio), remoteParentSampled: randomRatioSampler(config.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: config.otlpEndpoint }))],
  });
  const tracer = provider.getTracer('bulwark');

  function handle(span: Span, ctx: Context): TraceSpan {
    return {
      child(name, attributes) {
        const c = tracer.startSpan(name, { kind: SpanKind.INTERNAL, ...(attributes ? { attributes } : {}) }, ctx);
        return handle(c, trace.setSpan(ctx, c));
      },
      set(attributes) {
        span.setAttributes(attributes);
      },
      end(error) {
        if (error !== undefined) {
          const { code, status } = errorAttributes(error);
          span.setAttributes({ 'bulwark.error.code': code, 'http.response.status_code': status });
          span.setStatus({ code: SpanStatusCode.ERROR, message: code });
        }
        span.end();
      },
    };
  }

  return {
    start(name, kind, attributes, traceparent) {
      const remote = parseTraceparent(traceparent);
      const parent = remote ? trace.setSpanContext(ROOT_CONTEXT, { ...remote, isRemote: true }) : ROOT_CONTEXT;
      const span = tracer.startSpan(name, { kind: KINDS[kind], attributes }, parent);
      return handle(span, trace.setSpan(parent, span));
    },
    close: () => provider.shutdown(),
  };
}
