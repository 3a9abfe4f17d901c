// A real OTLP/HTTP traces receiver for tests: accepts POST /v1/traces, keeps every request (content type,
// body) and decodes JSON bodies into spans (name, trace id, span id, parent, attributes).

import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  attributes: Record<string, unknown>;
  status: { code?: number; message?: string };
  service: unknown;
}

export interface OtlpReceiver {
  /** The traces endpoint, http://127.0.0.1:<port>/v1/traces. */
  url: string;
  requests: Array<{ method: string; path: string; contentType: string; body: Buffer }>;
  spans(): ReceivedSpan[];
  close(): Promise<void>;
}

function read(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** OTLP JSON AnyValue → a plain value. */
function valueOf(v: Record<string, unknown>): unknown {
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  return v;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: OtlpReceiver['requests'] = [];
  const server = createServer(async (req, res) => {
    const body = await read(req);
    requests.push({ method: req.method ?? '', path: req.url ?? '', contentType: String(req.headers['content-type'] ?? ''), body });
    res.writeHead(req.method === 'POST' && req.url === '/v1/traces' ? 200 : 404, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    requests,
    spans() {
      const out: ReceivedSpan[] = [];
      for (const r of requests) {
        if (!r.contentType.startsWith('application/json')) continue;
        const doc = JSON.parse(r.body.toString('utf8')) as { resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: Record<string, unknown> }> }; scopeSpans: Array<{ spans: Array<Record<string, any>> }> }> };
        for (const rs of doc.resourceSpans) {
          const service = valueOf(rs.resource.attributes.find((a) => a.key === 'service.name')?.value ?? {});
          for (const ss of rs.scopeSpans) {
            for (const s of ss.spans) {
              const attributes: Record<string, unknown> = {};
              for (const a of s.attributes as Array<{ key: string; value: Record<string, unknown> }>) attributes[a.key] = valueOf(a.value);
              out.push({ name: s.name, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, attributes, status: s.status ?? {}, service });
            }
          }
        }
      }
      return out;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
