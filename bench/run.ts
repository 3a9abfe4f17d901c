// The benchmark: one run, one machine, every number next to its baseline (see docs/benchmarks.md).
//   (a) a raw node:http hello server                        baseline
//   (b) the gateway invoking examples/hello, API-key auth, 1 KB JSON POST
//   (c) the same gateway with the guard chain switched off  (bench-only switch, not reachable from config)
//   (d) cold start: deploy finished -> first response served; sandbox prepare (spawn -> ready)
//   (e) the process-pool floor: node:http handing each request to a pool of plain child processes over
//       pipes, nothing else (internal/process-pool-server.ts); a peer showing what the process hop costs
// Load comes from wrk (a separate process) with 50 connections on loopback. Ratios b/a and b/c are
// what to compare between runs: this machine is shared and noisy, absolute numbers drift.
// Each of (a)-(c) is measured after --warmup seconds of the same load against the same server, so the
// numbers describe the steady state: without it, (b)'s p99 was the first ~0.3 s after the gateway
// started (JIT still cold, the worker pool growing), which (a) does not have. The cold path is what (d)
// measures.
//
//   node bench/run.ts [--duration 10] [--warmup 2] [--cold 15] [--write]

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HELLO_CONNECTIONS, helloLoad, runWrk, type LoadResult } from './wrk.ts';
import { createClient } from '../src/cli/client.ts';
import { deployDirectory } from '../src/cli/commands/deploy.ts';
import { createProgress } from '../src/cli/progress.ts';
import type { CliIo } from '../src/cli/io.ts';
import { measureSandboxReady, type ReadyResult } from './internal/sandbox-ready.ts';
import { quantile, repo, startChild, startFloor, stopChild, writeBenchSection } from './internal/child.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    cold: { type: 'string', default: '15' },
    write: { type: 'boolean', default: false },
  },
});
const durationSec = Number(values.duration);
const warmupSec = Number(values.warmup);
const coldRuns = Number(values.cold);
/** Per-client rate limits raised above what wrk sends from one address: see the file. */
const loadConfigFile = join(repo, 'bench/internal/load.config.yaml');

function check(name: string, r: LoadResult): LoadResult {
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: ${r.non2xx} non-2xx responses and ${r.errors} socket errors — not a valid run`);
  return r;
}

async function coldStart(url: string, adminKey: string, invokerKey: string): Promise<{ p50: number; p99: number; deployP50: number }> {
  const client = createClient({ url, apiKey: adminKey, credentialsFile: '' });
  const silent = createProgress({} as CliIo, true);
  const work = mkdtempSync(join(tmpdir(), 'bwk-cold-'));
  const firstResponse: number[] = [];
  const deployTimes: number[] = [];
  try {
    for (let i = 0; i < coldRuns; i++) {
      // A new bundle each time (new sha256): a new sandbox pool that has never served a request.
      const dir = join(work, `v${i}`);
      cpSync(join(repo, 'examples/hello'), dir, { recursive: true });
      const src = join(dir, 'src/index.ts');
      writeFileSync(src, readFileSync(src, 'utf8') + `\nexport const coldStartNonce = ${JSON.stringify(`${Date.now()}-${i}`)};\n`);
      const t0 = performance.now();
      await deployDirectory(client, dir, silent);
      const deployed = performance.now();
      const res = await fetch(`${url}/fn/hello/`, { headers: { authorization: `Bearer ${invokerKey}` } });
      await res.text();
      const served = performance.now();
      if (res.status !== 200) throw new Error(`cold start run ${i}: HTTP ${res.status}`);
      deployTimes.push(deployed - t0);
      firstResponse.push(served - deployed);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  firstResponse.sort((a, b) => a - b);
  deployTimes.sort((a, b) => a - b);
  return { p50: quantile(firstResponse, 0.5), p99: quantile(firstResponse, 0.99), deployP50: quantile(deployTimes, 0.5) };
}

const fmt = (n: number, d = 2): string => n.toFixed(d);

/** The same load for --warmup seconds (not recorded, but it must be valid too), then the measured run. */
async function measure(name: string, opts: Parameters<typeof runWrk>[0]): Promise<LoadResult> {
  if (warmupSec > 0) check(`${name} warm-up`, await runWrk({ ...opts, durationSec: warmupSec }));
  return check(name, await runWrk(opts));
}

const machine = `${cpus()[0]?.model ?? 'unknown cpu'} × ${cpus().length}, Linux ${release()}, Node.js ${process.version}`;
console.error(`machine: ${machine}`);

console.error('(a) raw node:http …');
const raw = await startChild('bench/internal/raw-http-server.ts');
const a = await measure('a', helloLoad(String(raw.info.url), durationSec));
await stopChild(raw);

console.error('(e) process-pool floor …');
const floor = await startFloor();
const e = await measure('e', helloLoad(String(floor.info.url), durationSec));
await stopChild(floor);

console.error('(b) gateway, API key, guard chain on …');
const gw = await startChild('bench/internal/gateway-server.ts', ['--config', loadConfigFile]);
const b = await measure('b', helloLoad(String(gw.info.url), durationSec, String(gw.info.key)));
console.error('(d) cold start: deploy finished -> first response …');
const cold = await coldStart(String(gw.info.url), String(gw.info.adminKey), String(gw.info.key));
await stopChild(gw);

console.error('(c) gateway, guard chain off …');
const gwOff = await startChild('bench/internal/gateway-server.ts', ['--no-guards', '--config', loadConfigFile]);
const c = await measure('c', helloLoad(String(gwOff.info.url), durationSec));
await stopChild(gwOff);

console.error('(d) sandbox spawn -> ready …');
const ready: ReadyResult[] = await measureSandboxReady(coldRuns);

const rows = [
  ['(a) raw node:http', a],
  ['(b) gateway + API key + guards', b],
  ['(c) gateway, guards off', c],
  ['(e) process-pool floor (no sandbox, no gateway)', e],
] as const;
const lines: string[] = [];
lines.push(`Machine: ${machine}. wrk, ${HELLO_CONNECTIONS} connections, 2 threads, ${durationSec} s each after ${warmupSec} s of warm-up, POST 1 KB JSON.`, '');
lines.push('| scenario | req/s | p50 ms | p99 ms |', '|---|---:|---:|---:|');
for (const [name, r] of rows) lines.push(`| ${name} | ${fmt(r.requestsPerSec, 0)} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} |`);
lines.push('');
lines.push(`- b/a throughput ratio: **${fmt(b.requestsPerSec / a.requestsPerSec)}** (target ≥ 0.20)`);
lines.push(`- e/a throughput ratio: **${fmt(e.requestsPerSec / a.requestsPerSec)}** (the most a process per invocation reaches here, with nothing else in the way)`);
lines.push(`- b/e throughput ratio: **${fmt(b.requestsPerSec / e.requestsPerSec)}** (what the gateway and sandbox cost on top of that hop)`);
lines.push(`- b/c throughput ratio: **${fmt(b.requestsPerSec / c.requestsPerSec)}** (cost of the guard chain)`);
lines.push(`- (b) p99: **${fmt(b.p99Ms)} ms** (target ≤ 5 ms)`);
lines.push(`- cold start, deploy finished → first response (${coldRuns} new versions): p50 **${fmt(cold.p50)} ms**, p99 ${fmt(cold.p99)} ms (target p50 ≤ 50 ms); deploy itself p50 ${fmt(cold.deployP50, 0)} ms`);
for (const r of ready) {
  lines.push(`- sandbox spawn → ready (${r.isolation}, ${r.runs} fresh workers): p50 **${fmt(r.p50)} ms**, p99 ${fmt(r.p99)} ms`);
}
const report = lines.join('\n');
console.log(report);

if (values.write) {
  writeBenchSection('run', 'npm run bench -- --write', report);
  console.error('docs/benchmarks.md updated');
}
