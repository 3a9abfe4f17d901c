// Flood: legitimate clients at a steady rate while 50 attacker addresses send 20× that rate, mixing
// plain flooding (with a valid key: think of a leaked or free-tier key), injection probes and credential
// guessing, against a budgeted function (bench/functions/guarded, config bench/functions/flood.config.yaml).
// Every client has its own loopback source address (127.0.0.x), as the gateway sees distinct clients.
// Open-loop: each client sends on its own schedule whether or not earlier answers came back (a client
// already holding `--inflight` unanswered requests skips its turn, counted as "skipped").
//
// Reports legit success rate, time-to-block per attacker address (first request → first 403
// BWK_E_GUARD_IP_BLOCKED), attacker requests that reached the handler (answered 200), and spend
// against budget from the spend API.
//
//   node bench/flood.ts [--seconds 60] [--legit-rate 2] [--write]

import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { quantile, repo, startChild, stopChild, writeBenchSection } from './internal/child.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    'legit-rate': { type: 'string', default: '2' },
    inflight: { type: 'string', default: '8' },
    write: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const legitRate = Number(values['legit-rate']);
const attackRate = legitRate * 20;
const maxInflight = Number(values.inflight);
const LEGIT = 5;
const ATTACKERS = 50;

type Kind = 'legit' | 'flood' | 'injection' | 'guessing';
interface Client {
  kind: Kind;
  address: string;
  key: string;
  agent: Agent;
  sent: number;
  ok: number;
  failed: number;
  skipped: number;
  blocked: number;
  inflight: number;
  firstAt: number | undefined;
  blockedAt: number | undefined;
  statuses: Map<string, number>;
}

const probes = [
  { name: "x' OR '1'='1' --" },
  { name: 'a; cat /etc/passwd' },
  { name: '../../../../etc/shadow' },
  { name: 'http://169.254.169.254/latest/meta-data/' },
  { name: '{{constructor.constructor("return process")()}}' },
  { name: 'ok', padding: '_$$ND_FUNC$$_function(){require("child_process").exec("id")}()' },
];

function body(c: Client, n: number): string {
  if (c.kind === 'injection') return JSON.stringify(probes[n % probes.length]);
  return JSON.stringify({ name: `client ${c.address}`, padding: 'x'.repeat(200) });
}

function randomKey(): string {
  const b64 = (n: number): string => Buffer.from(crypto.getRandomValues(new Uint8Array(n))).toString('base64url');
  return `bwk_${b64(9)}_${b64(32)}`;
}

const gw = await startChild('bench/internal/gateway-server.ts', [
  '--function', join(repo, 'bench/functions/guarded'),
  '--config', join(repo, 'bench/functions/flood.config.yaml'),
  '--keys', String(LEGIT + 1),
]);
const keys = gw.info.keys as string[];
const url = new URL(`${gw.info.url}/fn/guarded/`);

const clients: Client[] = [];
const make = (kind: Kind, address: string, key: string): Client => ({
  kind, address, key, agent: new Agent({ keepAlive: true, maxSockets: maxInflight, localAddress: address }),
  sent: 0, ok: 0, failed: 0, skipped: 0, blocked: 0, inflight: 0, firstAt: undefined, blockedAt: undefined, statuses: new Map(),
});
for (let i = 0; i < LEGIT; i++) clients.push(make('legit', `127.0.0.${2 + i}`, keys[i]!));
const attackerKey = keys[LEGIT]!;
const kinds: Kind[] = ['flood', 'injection', 'guessing'];
for (let i = 0; i < ATTACKERS; i++) {
  const kind = kinds[i % kinds.length]!;
  clients.push(make(kind, `127.0.1.${1 + i}`, kind === 'guessing' ? '' : attackerKey));
}

const startedAt = new Date();
function fire(c: Client): void {
  if (c.inflight >= maxInflight) {
    c.skipped++;
    return;
  }
  const n = c.sent++;
  c.inflight++;
  c.firstAt ??= performance.now();
  const payload = body(c, n);
  const req = request(url, {
    method: 'POST', agent: c.agent, timeout: 5000,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${c.key || randomKey()}` },
  }, (res) => {
    const chunks: Buffer[] = [];
    res.on('data', (d: Buffer) => chunks.push(d));
    res.on('end', () => {
      c.inflight--;
      const status = res.statusCode ?? 0;
      let code = String(status);
      if (status >= 400) {
        try { code = (JSON.parse(Buffer.concat(chunks).toString()) as { error?: { code?: string } }).error?.code ?? code; } catch { /* not JSON */ }
      }
      c.statuses.set(code, (c.statuses.get(code) ?? 0) + 1);
      if (status === 200) c.ok++;
      else c.failed++;
      if (code === 'BWK_E_GUARD_IP_BLOCKED') {
        c.blocked++;
        c.blockedAt ??= performance.now();
      }
    });
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => {
    c.inflight--;
    c.failed++;
    c.statuses.set('socket error', (c.statuses.get('socket error') ?? 0) + 1);
  });
  req.end(payload);
}

// Each client on its own fixed schedule, phases spread so the load is smooth rather than in bursts.
const timers: NodeJS.Timeout[] = [];
for (const [i, c] of clients.entries()) {
  const period = 1000 / (c.kind === 'legit' ? legitRate : attackRate);
  const start = setTimeout(() => {
    fire(c);
    timers.push(setInterval(() => fire(c), period));
  }, (i * 7) % period);
  timers.push(start);
}
await new Promise((r) => setTimeout(r, seconds * 1000));
for (const t of timers) clearInterval(t);
// Let answers in flight come back (bounded by the 5 s client timeout).
const drainUntil = performance.now() + 6000;
while (clients.some((c) => c.inflight > 0) && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 50));

const spendRes = await fetch(`${gw.info.url}/admin/v1/spend?function=guarded`, { headers: { authorization: `Bearer ${gw.info.adminKey}` } });
interface PeriodSpend { periodStart: string; periodEnd: string; spend: number; limit: number | null; percent: number | null; tier: string; invocations: number }
const spend = ((await spendRes.json()) as { currency: string; functions: PeriodSpend[] });
await stopChild(gw);
for (const c of clients) c.agent.destroy();

const legit = clients.filter((c) => c.kind === 'legit');
const attackers = clients.filter((c) => c.kind !== 'legit');
const sum = (cs: Client[], f: (c: Client) => number): number => cs.reduce((s, c) => s + f(c), 0);
const legitSent = sum(legit, (c) => c.sent);
const legitOk = sum(legit, (c) => c.ok);
// An address never blocked counts as infinitely slow, so it can only raise the median and p99.
const ttb = attackers.map((c) => (c.blockedAt === undefined ? Infinity : (c.blockedAt - c.firstAt!) / 1000)).sort((a, b) => a - b);
const blockedCount = ttb.filter(Number.isFinite).length;
const codes = (cs: Client[]): string => {
  const m = new Map<string, number>();
  for (const c of cs) for (const [k, v] of c.statuses) m.set(k, (m.get(k) ?? 0) + v);
  return [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
};
const byKind = (k: Kind): Client[] => attackers.filter((c) => c.kind === k);
const lines = [
  `${seconds} s; ${LEGIT} legitimate clients at ${legitRate} req/s each; ${ATTACKERS} attacker addresses at ${attackRate} req/s each (flooding with a valid key, injection probes, credential guessing: ${byKind('flood').length}/${byKind('injection').length}/${byKind('guessing').length}); at most ${maxInflight} requests in flight per client. Started ${startedAt.toISOString()}.`,
  '',
  `- legitimate success: **${((100 * legitOk) / Math.max(1, legitSent)).toFixed(2)}%** (${legitOk}/${legitSent}; skipped turns ${sum(legit, (c) => c.skipped)}) — target ≥ 99%`,
  `- legitimate answers: ${codes(legit)}`,
  `- attacker addresses blocked: ${blockedCount}/${ATTACKERS}; time to block (never blocked = ∞) median **${quantile(ttb, 0.5).toFixed(2)} s**, p99 ${quantile(ttb, 0.99).toFixed(2)} s — target median ≤ 2 s`,
  `- attacker requests sent ${sum(attackers, (c) => c.sent)} (skipped turns ${sum(attackers, (c) => c.skipped)}); reached the handler: **${sum(attackers, (c) => c.ok)}** (flooding ${sum(byKind('flood'), (c) => c.ok)}, injection ${sum(byKind('injection'), (c) => c.ok)}, guessing ${sum(byKind('guessing'), (c) => c.ok)})`,
  `- attacker answers: ${codes(attackers)}`,
  ...spend.functions.map((f) => `- spend vs budget (period ${f.periodStart} → ${f.periodEnd}, the one current at the end): **${f.spend.toFixed(6)} of ${f.limit} ${spend.currency}** (${f.percent}%), tier ${f.tier}, ${f.invocations} invocations metered`),
];
const report = lines.join('\n');
console.log(report);
if (values.write) writeBenchSection('flood', 'node bench/flood.ts --write', report);
