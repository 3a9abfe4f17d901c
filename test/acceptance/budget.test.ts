// Acceptance: denial of wallet, over real HTTP with real sandboxes. A function with a tiny budget and a
// 15 s period is served until its budget cannot pay for one more invocation, then refused with 429 and a
// Retry-After to the period end, and served again in the next period. Alerts at 50% and 80% and every
// tier change reach the bus; in the throttle tier a caller with a good history is still served while a
// new caller is refused; the spend API never shows spend above the limit. Every refused request is
// proved not to have run: the handler logs each run, and refused request ids have no log line.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SecurityEvent } from '../../src/bus/bus.ts';
import { openSqliteStore } from '../../src/store/sqlite/index.ts';
import { assertError, manifest, requestFrom, runCli, startTestPlatform, type Answer, type TestPlatform } from '../support/platform.ts';

const PERIOD_MS = 15_000;
const LIMIT = 10.5;
/** budgets.maxTracked of this platform: per-caller entries, and history entries, kept at most. */
const CROWD_TRACKED = 100;

// 1.00 per request, and a GB-second price making 128 MB × the 1 s timeout worth 0.001: every call costs
// a little over 1.00 and its reserved worst case is 1.001, so 10 calls fit in 10.5 and an 11th does not.
const pricing = { currency: 'EUR', perMillionRequests: 1_000_000, perGbSecond: 0.008, granularityMs: 1 };

const handler = `
export const handler = async () => {
  console.log('ran');
  return { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'served' };
};
`;

interface SpendView {
  spend: number; reserved: number; limit: number | null; percent: number | null; tier: string; invocations: number;
  periodEnd: string; forecast: number; caller?: string; goodStanding?: boolean;
}

describe('budget: denial-of-wallet brakes over real HTTP', () => {
  let p: TestPlatform;
  let good: string;
  let newcomer: string;
  let viewer: string;
  let invokerAll: string;

  before(async () => {
    p = await startTestPlatform({ overrides: { pricing, budgets: { maxTracked: CROWD_TRACKED } } });
    const deployed = await p.deployFiles({
      'bulwark.yaml': manifest('metered', ['{ method: GET, path: / }'], [
        'limits: { timeout: 1s, memory: 128MB }',
        // Throttle at 60%; the reserve keeps the whole band above it for callers in good standing.
        `budget: { limit: ${LIMIT}, period: 15s, throttleAt: 60%, reserve: 100% }`,
      ]),
      'index.mjs': handler,
    });
    assert.equal(deployed.status, 201, deployed.text);
    good = (await p.createKey({ role: 'invoker', functions: ['metered'], label: 'regular' })).key;
    newcomer = (await p.createKey({ role: 'invoker', functions: ['metered'], label: 'newcomer' })).key;
    viewer = (await p.createKey({ role: 'viewer', functions: ['metered'], label: 'finance' })).key;
    invokerAll = (await p.createKey({ role: 'invoker', functions: ['*'] })).key;
  });
  after(() => p.close());

  async function spend(query = '', key = viewer): Promise<{ currency: string; functions?: SpendView[]; callers?: SpendView[] }> {
    const answer = await p.request('GET', `/admin/v1/spend?function=metered${query}`, { key });
    assert.equal(answer.status, 200, answer.text);
    return answer.json;
  }

  async function fn(key: string): Promise<Answer> {
    return p.request('GET', '/fn/metered', { key });
  }

  async function ran(answer: Answer): Promise<boolean> {
    return (await p.functionLogs('metered', answer.requestId)).some((l) => l.message === 'ran');
  }

  function budgetEvents(type: SecurityEvent['type']): SecurityEvent[] {
    return p.events.filter((e) => e.type === type && e.detail?.key === 'metered');
  }

  async function refusedByBudget(answer: Answer, code: string): Promise<void> {
    assertError(answer, 429, code, p.secrets);
    const retryAfter = Number(answer.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= PERIOD_MS / 1000, `Retry-After ${answer.headers.get('retry-after')}`);
    const rejected = await p.expectEvent('guard.rejected', answer.requestId);
    assert.deepEqual(rejected.detail, { guard: 'budget', rule: 'function', code, source: 'http' });
    assert.equal(await ran(answer), false, 'the handler never ran for a refused request');
  }

  test('served until 100%, alerts at 50% and 80%, the throttle tier favours good history, refused with Retry-After, served again next period', async () => {
    // Start at the beginning of a period, so the whole sequence fits in one.
    const first = (await spend()).functions![0]!;
    assert.deepEqual([first.limit, first.tier], [LIMIT, 'open']);
    const left = Date.parse(first.periodEnd) - Date.now();
    if (left < PERIOD_MS - 4000) await sleep(left + 200);

    // The regular caller is served; 7 calls reach the throttle tier (60% of 10.5 = 6.3).
    for (let i = 1; i <= 7; i++) {
      const answer = await fn(good);
      assert.equal(answer.status, 200, `call ${i}: ${answer.text}`);
      assert.equal(answer.text, 'served');
    }
    let view = (await spend()).functions![0]!;
    assert.equal(view.tier, 'throttle');
    const [alert50] = budgetEvents('budget.alert');
    assert.ok(alert50, 'the 50% alert is on the bus');
    assert.equal(alert50.function, 'metered');
    assert.deepEqual({ ...alert50.detail, spend: undefined, periodEnd: undefined }, {
      scope: 'function', key: 'metered', percent: 50, spend: undefined, limit: LIMIT, currency: 'EUR', periodEnd: undefined,
    });
    assert.ok((alert50.detail!.spend as number) >= LIMIT / 2);
    assert.deepEqual(budgetEvents('budget.tier-changed').map((e) => [e.detail?.from, e.detail?.to]), [['open', 'throttle']]);

    // Throttle tier: a new caller is refused, the caller with a good history is still served.
    await refusedByBudget(await fn(newcomer), 'BWK_E_GUARD_BUDGET_THROTTLED');
    const stillServed = await fn(good);
    assert.equal(stillServed.status, 200, stillServed.text);
    assert.equal(await ran(stillServed), true);

    // Two more fit (10 in all); the 11th cannot be paid for: the hard stop.
    for (let i = 9; i <= 10; i++) assert.equal((await fn(good)).status, 200, `call ${i}`);
    const stopped = await fn(good);
    await refusedByBudget(stopped, 'BWK_E_GUARD_BUDGET_EXHAUSTED');
    await refusedByBudget(await fn(newcomer), 'BWK_E_GUARD_BUDGET_EXHAUSTED');
    assert.deepEqual(budgetEvents('budget.alert').map((e) => e.detail?.percent), [50, 80]);
    assert.deepEqual(budgetEvents('budget.tier-changed').map((e) => e.detail?.to), ['throttle', 'exhausted']);

    // Spend never exceeds the limit; every served call, and only those, was metered.
    const answer = await spend('&callers=true');
    view = answer.functions![0]!;
    assert.equal(answer.currency, 'EUR');
    assert.ok(view.spend <= LIMIT, `spend ${view.spend} ≤ limit ${LIMIT}`);
    assert.ok(view.spend > 10, `10 calls and their GB-seconds were billed: ${view.spend}`);
    assert.deepEqual([view.invocations, view.reserved, view.tier], [10, 0, 'exhausted']);
    assert.ok(view.percent! <= 100);
    // Callers are metered one by one only under a per-caller limit, which this budget does not set.
    assert.deepEqual(answer.callers, []);
    const retryAfter = Number(stopped.headers.get('retry-after'));
    const toPeriodEnd = (Date.parse(view.periodEnd) - Date.parse(stopped.headers.get('date')!)) / 1000;
    assert.ok(Math.abs(retryAfter - toPeriodEnd) <= 2, `Retry-After ${retryAfter}s is the time to the period end (${toPeriodEnd}s)`);

    // The CLI shows the same, for a viewer.
    const cli = await runCli(['spend', 'metered', '--json'], { BULWARK_URL: p.url, BULWARK_API_KEY: viewer });
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).functions[0].tier, 'exhausted');
    const table = await runCli(['spend'], { BULWARK_URL: p.url, BULWARK_API_KEY: viewer });
    assert.match(table.stdout, /^FUNCTION\s+SPEND \(EUR\)\s+LIMIT\s+USED\s+TIER/m);
    assert.match(table.stdout, /^metered\s+10\.0\d*\s+10\.5\s+9\d\.\d+%\s+exhausted/m);

    // Next period: served again, the newcomer too (the open tier admits everyone).
    await sleep(Date.parse(view.periodEnd) - Date.now() + 200);
    const again = await fn(good);
    assert.equal(again.status, 200, again.text);
    assert.equal((await fn(newcomer)).status, 200);
    view = (await spend()).functions![0]!;
    assert.deepEqual([view.invocations, view.tier], [2, 'open']);
    assert.ok(view.spend > 2 && view.spend < 2.01);
  });

  test('reading spend: viewers may, invoker keys may not, and the global budget needs a key for every function', async () => {
    assertError(await p.request('GET', '/admin/v1/spend', { key: invokerAll }), 403, 'BWK_E_GUARD_FORBIDDEN', p.secrets);
    assertError(await p.request('GET', '/admin/v1/spend?global=true', { key: viewer }), 403, 'BWK_E_GUARD_FORBIDDEN', p.secrets);
    assertError(await p.request('GET', '/admin/v1/spend?callers=true', { key: viewer }), 400, 'BWK_E_GATEWAY_BAD_REQUEST', p.secrets);
    const all = await p.request('GET', '/admin/v1/spend?global=true&callers=true', { key: p.adminKey });
    assert.equal(all.status, 200, all.text);
    assert.equal(all.json.global.limit, null, 'no global budget configured: metered, not capped');
    assert.ok(all.json.global.spend >= 12);
    const listed = await p.request('GET', '/admin/v1/spend', { key: viewer });
    assert.deepEqual(listed.json.functions.map((f: SpendView & { function: string }) => f.function), ['metered']);
  });

  test('anonymous callers from many addresses: the gateway keeps at most budgets.maxTracked of them, and a caller that used its share stays stopped', async () => {
    const deployed = await p.deployFiles({
      'bulwark.yaml': manifest('crowd', ['{ method: GET, path: /, auth: public }'], [
        'limits: { timeout: 1s, memory: 128MB }',
        // Every call costs about 1: a greedy caller's share is 5 calls.
        'budget: { limit: 100000, period: 1h, perCaller: 5.5 }',
      ]),
      'index.mjs': handler,
    });
    assert.equal(deployed.status, 201, deployed.text);
    const call = (address: string) => requestFrom(address, p.url, 'GET', '/fn/crowd');
    const greedy = '127.9.200.1';
    for (let i = 1; i <= 5; i++) assert.equal((await call(greedy)).status, 200, `greedy call ${i}`);
    assertError(await call(greedy), 429, 'BWK_E_GUARD_BUDGET_EXHAUSTED', p.secrets);

    // Three times as many addresses as are tracked, each served once.
    const crowd = Array.from({ length: 3 * CROWD_TRACKED }, (_, i) => `127.9.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);
    for (let i = 0; i < crowd.length; i += 10) {
      const answers = await Promise.all(crowd.slice(i, i + 10).map(call));
      for (const a of answers) {
        const refusal = a.status === 200 ? undefined : p.events.find((e) => e.requestId === a.requestId && e.type === 'guard.rejected');
        assert.equal(a.status, 200, `${a.text} ${JSON.stringify(refusal?.detail)}`);
      }
    }
    const caught = await call(greedy);
    assertError(caught, 429, 'BWK_E_GUARD_BUDGET_EXHAUSTED', p.secrets);
    assert.deepEqual((await p.expectEvent('guard.rejected', caught.requestId)).detail, { guard: 'budget', rule: 'caller', code: 'BWK_E_GUARD_BUDGET_EXHAUSTED', source: 'http' });

    const listed = await p.request('GET', '/admin/v1/spend?function=crowd&callers=true&limit=1000', { key: p.adminKey });
    assert.equal(listed.status, 200, listed.text);
    const callers = listed.json.callers as SpendView[];
    assert.ok(callers.length <= CROWD_TRACKED, `${callers.length} callers tracked`);
    assert.equal(callers[0]!.caller, `ip:${greedy}`, 'the biggest spender first');
    assert.ok(callers.every((c) => c.limit === 5.5 && c.spend <= 5.5));
    // History is kept for the most recently served: the greedy caller's is gone (it lost its standing).
    assert.deepEqual([callers[0]!.goodStanding, callers.find((c) => c.caller === `ip:${crowd.at(-1)}`)?.goodStanding], [false, true]);
    assert.equal(listed.json.functions[0].invocations, 5 + crowd.length, 'the function still counts every call');
    const top = await runCli(['spend', 'crowd', '--callers', '--limit', '3', '--json'], { BULWARK_URL: p.url, BULWARK_API_KEY: p.adminKey });
    assert.equal(top.code, 0, top.stderr);
    assert.deepEqual(JSON.parse(top.stdout).callers.map((c: SpendView) => c.caller), callers.slice(0, 3).map((c) => c.caller));

    // The store holds no more than memory: written behind within budgets.flushIntervalMs.
    await sleep(1500);
    const store = await openSqliteStore(p.home);
    try {
      const rows = (await store.spend.current(Date.now())).filter((r) => r.key.startsWith('crowd/'));
      const history = (await store.spend.callers(0)).filter((h) => h.scopeKey === 'crowd');
      assert.ok(rows.length > 0 && rows.length <= CROWD_TRACKED, `${rows.length} per-caller rows stored`);
      assert.ok(history.length > 0 && history.length <= CROWD_TRACKED, `${history.length} history rows stored`);
    } finally {
      await store.close();
    }
  });
});
