// One request at a time over a keep-alive agent, timed from send to the last byte: the drivers that
// measure service time (overhead, secrets, invoke) use it, so queueing never enters their numbers.

import { request, type Agent } from 'node:http';

export interface Timed { status: number; text: string; micros: number }

export function timedRequest(agent: Agent, url: URL, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const headers = { ...opts.headers, ...(opts.body !== undefined ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}) };
    const req = request(url, { method: opts.method ?? 'GET', agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, micros: Number(process.hrtime.bigint() - t0) / 1000 }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
