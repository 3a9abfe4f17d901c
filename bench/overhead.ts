// What the guard chain adds to one request: the same function (bench/functions/guarded: input schema,
// injection detection, budget, rate limits, IP blocking all active) behind two gateways, one with the
// chain on and one with it off (the bench-only switch), called one request at a time over a keep-alive
// connection so latency is service time, not queueing. Requests alternate between the two gateways one
// by one, so drift on this shared machine hits both alike. The added cost is the difference of
// the medians.
//
//   node bench/overhead.ts [--requests 4000] [--write]

import { Agent } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { quantile, repo, startChild, stopChild, writeBenchSection } from './internal/child.ts';
import { timedRequest } from './internal/sequential.ts';

const { values } = parseArgs({
  options: { requests: { type: 'string', default: '4000' }, write: { type: 'boolean', default: false } },
});
const total = Number(values.requests);
const fn = join(repo, 'bench/functions/guarded');
const config = join(repo, 'bench/functions/guarded.config.yaml');
const body = JSON.stringify({ name: "Ada O'Brien", padding: 'Select the best option from our menu, and drop by anytime. '.repeat(12) });

const on = await startChild('bench/internal/gateway-server.ts', ['--function', fn, '--config', config]);
const off = await startChild('bench/internal/gateway-server.ts', ['--function', fn, '--config', config, '--no-guards']);
try {
  const targets = [
    { name: 'on', url: new URL(`${on.info.url}/fn/guarded/`), key: String(on.info.key), agent: new Agent({ keepAlive: true, maxSockets: 1 }), micros: [] as number[] },
    { name: 'off', url: new URL(`${off.info.url}/fn/guarded/`), key: undefined, agent: new Agent({ keepAlive: true, maxSockets: 1 }), micros: [] as number[] },
  ];
  // Alternating request by request, so a slow moment of this shared machine lands on both sides alike.
  const warmup = 500;
  for (let done = 0; done < total + warmup; done++) {
    for (const t of targets) {
      const r = await timedRequest(t.agent, t.url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...(t.key ? { authorization: `Bearer ${t.key}` } : {}) } });
      if (r.status !== 200) throw new Error(`guards ${t.name}: HTTP ${r.status} — not a valid run`);
      if (done >= warmup) t.micros.push(r.micros);
    }
  }
  for (const t of targets) t.micros.sort((a, b) => a - b);
  const [gOn, gOff] = targets as [typeof targets[0], typeof targets[0]];
  const added = quantile(gOn.micros, 0.5) - quantile(gOff.micros, 0.5);
  const report = [
    `${total} sequential POSTs (~1 KB JSON) per gateway, alternating request by request, after ${warmup} of warm-up; function bench/functions/guarded, config bench/functions/guarded.config.yaml.`,
    '',
    '| guard chain | median µs | p99 µs |',
    '|---|---:|---:|',
    `| on | ${quantile(gOn.micros, 0.5).toFixed(0)} | ${quantile(gOn.micros, 0.99).toFixed(0)} |`,
    `| off | ${quantile(gOff.micros, 0.5).toFixed(0)} | ${quantile(gOff.micros, 0.99).toFixed(0)} |`,
    '',
    `- added by the chain, median: **${added.toFixed(0)} µs** per request (target ≤ 100 µs)`,
  ].join('\n');
  console.log(report);
  if (values.write) writeBenchSection('overhead', 'node bench/overhead.ts --write', report);
} finally {
  await stopChild(on);
  await stopChild(off);
}
