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
import { assertError, manifest, runCli, startTestPlatform, type Answer, type TestPlatform } from '../support/platform.ts';

const PERIOD_MS = 15_000;
const LIMIT = 10.5;

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
    p = await startTestPlatform({ overrides: { pricing } });
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
    const callers = answer.callers!.map((c) => [c.caller, c.invocations, c.goodStanding]);
    assert.equal(callers.length, 2);
    assert.deepEqual(callers[0]!.slice(1), [10, true]);
    assert.deepEqual(callers[1]!.slice(1), [0, false]);
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
});
