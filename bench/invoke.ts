// What a function→function call costs: (1) each `context.invoke` round trip timed inside the calling
// sandbox (broker, call token signed and verified, the callee's whole guard chain, its sandbox, back),
// and (2) an HTTP invocation of bench/functions/caller (which makes one call to the callee) against a
// direct HTTP invocation of bench/functions/callee, sequential, alternating in batches in one run.
//
//   node bench/invoke.ts [--invocations 1000] [--write]

import { Agent } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { quantile, repo, startChild, stopChild, writeBenchSection } from './internal/child.ts';
import { timedRequest } from './internal/sequential.ts';

const { values } = parseArgs({ options: { invocations: { type: 'string', default: '1000' }, write: { type: 'boolean', default: false } } });
const total = Number(values.invocations);

const gw = await startChild('bench/internal/gateway-server.ts', [
  '--function', join(repo, 'bench/functions/callee'),
  '--function', join(repo, 'bench/functions/caller'),
  '--config', join(repo, 'bench/functions/guarded.config.yaml'),
]);
try {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const call = (fn: string, query = '') => timedRequest(agent, new URL(`${gw.info.url}/fn/${fn}/${query}`), {
    method: 'POST', body: '{}', headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.info.key}` },
  });

  // (1) round trips inside the caller: 11 calls per invocation, the first of each dropped (warm-up).
  const inside: number[] = [];
  for (let i = 0; i < Math.ceil(total / 10); i++) {
    const r = await call('caller', '?n=11');
    if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.text}`);
    inside.push(...(JSON.parse(r.text) as number[]).slice(1));
  }
  inside.sort((a, b) => a - b);

  // (2) through the caller (one call) vs the callee directly, alternating batches of 20 after a warm-up.
  const viaCaller: number[] = [];
  const direct: number[] = [];
  for (let done = -200; done < total; done += 20) {
    for (const [fn, into] of [['caller', viaCaller], ['callee', direct]] as const) {
      for (let i = 0; i < 20; i++) {
        const r = await call(fn);
        if (r.status !== 200) throw new Error(`${fn}: HTTP ${r.status}: ${r.text}`);
        if (done >= 0) into.push(r.micros);
      }
    }
  }
  agent.destroy();
  viaCaller.sort((a, b) => a - b);
  direct.sort((a, b) => a - b);
  const report = [
    `context.invoke inside the calling sandbox (${inside.length} calls): p50 **${quantile(inside, 0.5).toFixed(0)} µs**, p99 ${quantile(inside, 0.99).toFixed(0)} µs.`,
    '',
    `Over HTTP, sequential (${total} each): the callee directly p50 ${quantile(direct, 0.5).toFixed(0)} µs / p99 ${quantile(direct, 0.99).toFixed(0)} µs; through the caller (HTTP → caller → context.invoke → callee) p50 ${quantile(viaCaller, 0.5).toFixed(0)} µs / p99 ${quantile(viaCaller, 0.99).toFixed(0)} µs; ratio **${(quantile(viaCaller, 0.5) / quantile(direct, 0.5)).toFixed(2)}×** (median).`,
  ].join('\n');
  console.log(report);
  if (values.write) writeBenchSection('invoke', 'node bench/invoke.ts --write', report);
} finally {
  await stopChild(gw);
}
