// What context.secrets.get costs a function: (1) each call's round trip timed inside the sandbox (worker
// → broker in the gateway → vault decrypt → back), and (2) an invocation that makes one call against
// the same invocation making none, sequential over HTTP, alternating in batches so drift hits both.
//
//   node bench/secrets.ts [--invocations 1000] [--write]

import { Agent } from 'node:http';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { quantile, repo, startChild, stopChild, writeBenchSection } from './internal/child.ts';
import { timedRequest } from './internal/sequential.ts';

const { values } = parseArgs({ options: { invocations: { type: 'string', default: '1000' }, write: { type: 'boolean', default: false } } });
const total = Number(values.invocations);

const gw = await startChild('bench/internal/gateway-server.ts', ['--function', join(repo, 'bench/functions/secret-reader'), '--config', join(repo, 'bench/functions/guarded.config.yaml')]);
try {
  // A throwaway value made here: no secret is kept in the repository.
  const set = await fetch(`${gw.info.url}/admin/v1/secrets/BENCH_TOKEN`, {
    method: 'PUT', headers: { authorization: `Bearer ${gw.info.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ value: randomBytes(24).toString('base64url') }),
  });
  if (set.status !== 201) throw new Error(`setting the secret: HTTP ${set.status} ${await set.text()}`);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const key = String(gw.info.key);
  const base = `${gw.info.url}/fn/secret-reader`;

  // (1) round trips inside the sandbox: 20 reads per invocation, the first of each dropped (warm-up).
  const inside: number[] = [];
  for (let i = 0; i < Math.ceil(total / 10); i++) {
    const r = await timedRequest(agent, new URL(`${base}/?n=21`), { headers: { authorization: `Bearer ${key}` } });
    if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.text}`);
    inside.push(...(JSON.parse(r.text) as number[]).slice(1));
  }
  inside.sort((a, b) => a - b);

  // (2) one read per invocation vs none, alternating batches of 20 after a warm-up.
  const one: number[] = [];
  const none: number[] = [];
  for (let done = -200; done < total; done += 20) {
    for (const [path, into] of [['/?n=1', one], ['/plain', none]] as const) {
      for (let i = 0; i < 20; i++) {
        const r = await timedRequest(agent, new URL(base + path), { headers: { authorization: `Bearer ${key}` } });
        if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.text}`);
        if (done >= 0) into.push(r.micros);
      }
    }
  }
  agent.destroy();
  one.sort((a, b) => a - b);
  none.sort((a, b) => a - b);
  const report = [
    `context.secrets.get inside the sandbox (${inside.length} calls): p50 **${quantile(inside, 0.5).toFixed(0)} µs**, p99 ${quantile(inside, 0.99).toFixed(0)} µs.`,
    '',
    `Invocations over HTTP, sequential (${total} each): one secrets.get p50 ${quantile(one, 0.5).toFixed(0)} µs / p99 ${quantile(one, 0.99).toFixed(0)} µs; none p50 ${quantile(none, 0.5).toFixed(0)} µs / p99 ${quantile(none, 0.99).toFixed(0)} µs; added per invocation: **${(quantile(one, 0.5) - quantile(none, 0.5)).toFixed(0)} µs** (median).`,
  ].join('\n');
  console.log(report);
  if (values.write) writeBenchSection('secrets', 'node bench/secrets.ts --write', report);
} finally {
  await stopChild(gw);
}
