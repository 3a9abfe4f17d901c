// What the audit ledger costs (docs/audit.md):
//   1. append throughput of the ledger on the real SQLite store (synchronous=FULL): records/s when many
//      appends share a group commit (bursts of 100 per event-loop turn) and when each waits for its own;
//   2. the latency it adds per invocation: two gateways, ledger on and off, called one request at a
//      time and alternating request by request (as bench/overhead.ts does), with an invocation that
//      produces audited events (a wrong key: 401, auth.failed + guard.rejected) and one that produces
//      none (a valid call of examples/hello, which must cost nothing extra);
//   3. how fast `audit verify` walks a ledger of --records records (default 1 million), generated straight
//      through the AuditLog store interface.
//
//   node bench/audit.ts [--appends 50000] [--requests 2000] [--records 1000000] [--write]

import { Agent } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { quantile, startChild, stopChild, writeBenchSection } from './internal/child.ts';
import { timedRequest } from './internal/sequential.ts';
import { openSqliteStore } from '../src/store/sqlite/index.ts';
import { openAuditLedger } from '../src/audit/ledger.ts';
import { loadOrCreateNodeKey, readNodeKey } from '../src/audit/node-key.ts';
import { GENESIS_HASH, recordOf, seal } from '../src/audit/record.ts';
import { verifyLedger } from '../src/audit/verify.ts';
import { openSqliteAuditReader } from '../src/store/sqlite/audit.ts';
import { createLogger } from '../src/telemetry/logger.ts';
import type { SecurityEvent } from '../src/bus/bus.ts';
import type { AuditRecord } from '../src/store/store.ts';

const { values } = parseArgs({
  options: {
    appends: { type: 'string', default: '50000' },
    requests: { type: 'string', default: '2000' },
    records: { type: 'string', default: '1000000' },
    write: { type: 'boolean', default: false },
  },
});
const appends = Number(values.appends);
const requests = Number(values.requests);
const records = Number(values.records);
const scratch = mkdtempSync(join(tmpdir(), 'bwk-bench-audit-'));
const logger = createLogger({ level: 'silent' });

const event = (i: number): SecurityEvent => ({
  type: 'auth.failed', at: new Date().toISOString(), requestId: `req-${i}`, sourceIp: '10.0.0.1', actor: 'anonymous',
  detail: { reason: 'unknown key', surface: 'http', keyId: `key_${i % 1000}` },
});

async function appendThroughput(): Promise<{ burst: number; single: number; singleCount: number }> {
  const home = join(scratch, 'append');
  const store = await openSqliteStore(home);
  const ledger = await openAuditLedger({ checkpointEvery: 1000, checkpointIntervalMs: 60_000, maxBatch: 1000 }, { log: store.audit, key: loadOrCreateNodeKey(home), logger });
  try {
    let t = performance.now();
    for (let done = 0; done < appends; done += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => ledger.append(event(done + i))));
    }
    const burst = appends / ((performance.now() - t) / 1000);
    // One at a time: every record pays its own transaction and fsync. Fewer of them, it is slow.
    const singleCount = Math.max(100, Math.floor(appends / 50));
    t = performance.now();
    for (let i = 0; i < singleCount; i++) await ledger.append(event(i));
    const single = singleCount / ((performance.now() - t) / 1000);
    return { burst, single, singleCount };
  } finally {
    await ledger.close();
    await store.close();
  }
}

async function addedLatency() {
  const base = 'rateLimit:\n  perAddress: null\n  perCaller: null\n  perFunction: null\nipBlock: { allowlist: ["127.0.0.1"] }\n';
  const onConfig = join(scratch, 'on.yaml');
  const offConfig = join(scratch, 'off.yaml');
  writeFileSync(onConfig, base + 'audit: { enabled: true }\n');
  writeFileSync(offConfig, base + 'audit: { enabled: false }\n');
  const on = await startChild('bench/internal/gateway-server.ts', ['--config', onConfig]);
  const off = await startChild('bench/internal/gateway-server.ts', ['--config', offConfig]);
  try {
    const sides = [
      { name: 'on', s: on, agent: new Agent({ keepAlive: true, maxSockets: 1 }), audited: [] as number[], plain: [] as number[] },
      { name: 'off', s: off, agent: new Agent({ keepAlive: true, maxSockets: 1 }), audited: [] as number[], plain: [] as number[] },
    ];
    const warmup = Math.min(200, Math.floor(requests / 5));
    for (let done = 0; done < requests + warmup; done++) {
      for (const side of sides) {
        const url = new URL(`${String(side.s.info.url)}/fn/hello/`);
        const bad = await timedRequest(side.agent, url, { headers: { authorization: 'Bearer bwk_not_a_real_key_0000' } });
        if (bad.status !== 401) throw new Error(`ledger ${side.name}: wrong key got HTTP ${bad.status} — not a valid run`);
        const good = await timedRequest(side.agent, url, { headers: { authorization: `Bearer ${String(side.s.info.key)}` } });
        if (good.status !== 200) throw new Error(`ledger ${side.name}: valid call got HTTP ${good.status} — not a valid run`);
        if (done >= warmup) {
          side.audited.push(bad.micros);
          side.plain.push(good.micros);
        }
      }
    }
    for (const side of sides) {
      side.audited.sort((a, b) => a - b);
      side.plain.sort((a, b) => a - b);
    }
    return sides;
  } finally {
    await stopChild(on);
    await stopChild(off);
  }
}

async function verifySpeed(): Promise<{ generateS: number; verifyS: number; ok: boolean }> {
  const home = join(scratch, 'verify');
  const store = await openSqliteStore(home);
  const key = loadOrCreateNodeKey(home);
  let t = performance.now();
  try {
    let prev = { seq: 0, hash: GENESIS_HASH };
    const template = recordOf(event(0));
    for (let done = 0; done < records; done += 10_000) {
      const batch: AuditRecord[] = [];
      for (let i = done; i < Math.min(records, done + 10_000); i++) {
        const r = seal({ ...template, requestId: `req-${i}` }, prev);
        batch.push(r);
        prev = r;
      }
      await store.audit.append(batch);
    }
  } finally {
    await store.close();
  }
  const generateS = (performance.now() - t) / 1000;
  // As `bulwark audit verify` does it: the file opened read-only, the key read from the home.
  const reader = openSqliteAuditReader(home);
  t = performance.now();
  const result = await verifyLedger(reader.audit, { key: readNodeKey(home) ?? key });
  const verifyS = (performance.now() - t) / 1000;
  reader.close();
  if (result.records !== records) throw new Error(`verify saw ${result.records} of ${records} records — not a valid run`);
  return { generateS, verifyS, ok: result.ok };
}

try {
  const append = await appendThroughput();
  const sides = await addedLatency();
  const verify = await verifySpeed();
  const [on, off] = sides as [typeof sides[0], typeof sides[0]];
  const med = (a: number[]) => quantile(a, 0.5);
  const report = [
    `Ledger on the SQLite store (synchronous=FULL), ${appends} appends in bursts of 100 per event-loop turn, then ${append.singleCount} appended one at a time; ${requests} sequential request pairs per gateway after warm-up, alternating gateways request by request; verify over ${records} generated records.`,
    '',
    '| append | records/s |',
    '|---|---:|',
    `| group commit (bursts of 100) | ${append.burst.toFixed(0)} |`,
    `| one at a time (a commit each) | ${append.single.toFixed(0)} |`,
    '',
    '| invocation | ledger | median µs | p99 µs |',
    '|---|---|---:|---:|',
    `| wrong key (401, 2 audited events) | on | ${med(on.audited).toFixed(0)} | ${quantile(on.audited, 0.99).toFixed(0)} |`,
    `| wrong key (401, 2 audited events) | off | ${med(off.audited).toFixed(0)} | ${quantile(off.audited, 0.99).toFixed(0)} |`,
    `| valid call of hello (no event) | on | ${med(on.plain).toFixed(0)} | ${quantile(on.plain, 0.99).toFixed(0)} |`,
    `| valid call of hello (no event) | off | ${med(off.plain).toFixed(0)} | ${quantile(off.plain, 0.99).toFixed(0)} |`,
    '',
    `- added by the ledger to an audited request, median: **${(med(on.audited) - med(off.audited)).toFixed(0)} µs** (ratio ${(med(on.audited) / med(off.audited)).toFixed(2)})`,
    `- added to a request without security events, median: **${(med(on.plain) - med(off.plain)).toFixed(0)} µs** (ratio ${(med(on.plain) / med(off.plain)).toFixed(2)})`,
    `- \`audit verify\` over ${records} records: **${verify.verifyS.toFixed(2)} s** (${(records / verify.verifyS).toFixed(0)} records/s; ${verify.ok ? 'intact' : 'FAILED'}); generating them took ${verify.generateS.toFixed(1)} s`,
  ].join('\n');
  console.log(report);
  if (values.write) writeBenchSection('audit', 'node bench/audit.ts --write', report);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
