import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from './index.ts';
import type { Principal } from '../../auth/principal.ts';
import type { GuardRequest, Verdict } from '../types.ts';
import { manifestYaml, request, target } from '../testing.ts';
import { openTestLedger, type TestLedger } from '../../metering/testing.ts';

// Every invocation costs exactly 1 (UNIT_PER_REQUEST), so limits below count invocations.
const budgeted = (budget: string, name = 'demo') =>
  target(`${manifestYaml({ name, limits: '{ timeout: 2s, memory: 128MB }' })}\nbudget: ${budget}\n`);

const key = (id: string): Principal => ({ kind: 'api-key', actor: `key:${id}`, roles: ['invoker'], functions: ['*'] });

/**
 * The guard over a real ledger, and `call`: admit `req` and, when admitted, run a dispatch answering
 * `statusCode` through the ledger, as the gateway does. Each call moves the clock on by 1 ms.
 */
function drive(tl: TestLedger) {
  const guard = create({}, { ledger: tl.ledger });
  async function call(req: GuardRequest, statusCode = 200): Promise<Verdict> {
    tl.clock.now += 1;
    const verdict = await guard(req);
    if (verdict.pass) {
      await tl.ledger.measure(req, async () => ({ statusCode }));
      verdict.release!();
    }
    return verdict;
  }
  return { guard, call, ledger: tl.ledger };
}

function refusedWith(v: Verdict, code: string, rule: string): void {
  assert.equal(v.pass, false, `expected ${code}`);
  if (v.pass) return;
  assert.equal(v.error.code, code);
  assert.equal(v.error.status, 429);
  assert.equal(v.rule, rule);
  assert.match(v.headers?.['retry-after'] ?? '', /^[1-9][0-9]*$/);
  assert.doesNotMatch(v.error.message, /caller|global|reserve|standing/, 'the message does not say which budget or rule refused');
}

test('serves until the limit, then refuses with 429 and Retry-After = the time to the period end', async (t) => {
  const tl = await openTestLedger(t);
  const { call, ledger } = drive(tl);
  const { clock } = tl;
  const fn = budgeted('{ limit: 5, period: 1h }');
  clock.now = Date.UTC(2030, 0, 1, 12, 59, 0); // 60 s before the hour ends
  for (let i = 0; i < 5; i++) assert.equal((await call(request(fn, { principal: key('a') }))).pass, true, `call ${i + 1}`);
  const refused = await call(request(fn, { principal: key('a') }));
  refusedWith(refused, 'BWK_E_GUARD_BUDGET_EXHAUSTED', 'function');
  assert.equal(!refused.pass && refused.headers?.['retry-after'], '60');
  const view = ledger.view({ name: 'demo', budget: fn.manifest.budget });
  assert.deepEqual([view.spend, view.limit, view.tier, view.invocations], [5, 5, 'exhausted', 5]);
});

test('the next period serves again', async (t) => {
  const tl = await openTestLedger(t);
  const { call, ledger } = drive(tl);
  const { clock } = tl;
  const fn = budgeted('{ limit: 2, period: 10s }');
  for (let i = 0; i < 2; i++) await call(request(fn, { principal: key('a') }));
  refusedWith(await call(request(fn, { principal: key('a') })), 'BWK_E_GUARD_BUDGET_EXHAUSTED', 'function');
  clock.now += 10_000;
  assert.equal((await call(request(fn, { principal: key('a') }))).pass, true);
  assert.equal(ledger.view({ name: 'demo', budget: fn.manifest.budget }).spend, 1);
});

test('spend never exceeds the limit under concurrency: admission reserves the worst case', async (t) => {
  const { guard, ledger } = drive(await openTestLedger(t));
  // reserve: 0% — new callers may use the whole limit here; this test is about reservations.
  const fn = budgeted('{ limit: 10, period: 1h, reserve: 0% }');
  const reqs = Array.from({ length: 50 }, (_, i) => request(fn, { principal: key(`c${i}`) }));
  // All 50 are admitted or refused before any of them has finished.
  const verdicts = await Promise.all(reqs.map((r) => guard(r)));
  assert.equal(verdicts.filter((v) => v.pass).length, 10);
  for (const v of verdicts.filter((v) => !v.pass)) refusedWith(v, 'BWK_E_GUARD_BUDGET_EXHAUSTED', 'function');
  const view = ledger.view({ name: 'demo', budget: fn.manifest.budget });
  assert.deepEqual([view.spend, view.reserved], [0, 10]);
  await Promise.all(reqs.map((r, i) => (verdicts[i]!.pass ? ledger.measure(r, async () => ({ statusCode: 200 })) : undefined)));
  const settled = ledger.view({ name: 'demo', budget: fn.manifest.budget });
  assert.deepEqual([settled.spend, settled.reserved, settled.invocations], [10, 0, 10]);
});

test('a reservation given back unused (refused later in the chain, caller gone) costs nothing', async (t) => {
  const { guard, call, ledger } = drive(await openTestLedger(t));
  const fn = budgeted('{ limit: 1, period: 1h, reserve: 0% }');
  const held = await guard(request(fn, { principal: key('a') }));
  assert.ok(held.pass && held.release);
  refusedWith(await guard(request(fn, { principal: key('b') })), 'BWK_E_GUARD_BUDGET_EXHAUSTED', 'function');
  held.release();
  held.release();
  assert.equal((await call(request(fn, { principal: key('b') }))).pass, true);
  assert.equal(ledger.view({ name: 'demo', budget: fn.manifest.budget }).spend, 1);
});

test('a refusal caused only by work in flight says to retry after the timeout, not at the period end', async (t) => {
  const { guard } = drive(await openTestLedger(t));
  const fn = budgeted('{ limit: 1, period: month, reserve: 0% }');
  const held = await guard(request(fn, { principal: key('a') }));
  const refused = await guard(request(fn, { principal: key('b') }));
  refusedWith(refused, 'BWK_E_GUARD_BUDGET_EXHAUSTED', 'function');
  assert.equal(!refused.pass && refused.headers?.['retry-after'], '2', 'the 2 s timeout of the invocation holding the budget');
  if (held.pass) held.release!();
});

test('alerts at 50% and 80% once per period; every tier change is an event', async (t) => {
  const tl = await openTestLedger(t);
  const { call } = drive(tl);
  const { clock, events } = tl;
  const fn = budgeted('{ limit: 10, period: 1h, throttleAt: 70% }');
  for (let i = 0; i < 12; i++) await call(request(fn, { principal: key('a'), requestId: `r${i}` }));
  const seen = events.map((e) => [e.type, e.detail?.percent ?? `${e.detail?.from}->${e.detail?.to}`, e.requestId]);
  assert.deepEqual(seen, [
    ['budget.alert', 50, 'r4'],
    ['budget.tier-changed', 'open->throttle', 'r6'],
    ['budget.alert', 80, 'r7'],
    ['budget.tier-changed', 'throttle->exhausted', 'r9'],
  ]);
  const alert = events[0]!;
  assert.equal(alert.function, 'demo');
  assert.deepEqual(alert.detail, { scope: 'function', key: 'demo', percent: 50, spend: 5, limit: 10, currency: 'EUR', periodEnd: '2030-01-01T13:00:00.000Z' });
  clock.now += 3_600_000;
  for (let i = 0; i < 5; i++) await call(request(fn, { principal: key('a') }));
  assert.equal(events.filter((e) => e.type === 'budget.alert').length, 3, 'the new period alerts again');
});

test('throttle tier: callers in good standing keep the reserve, new callers only reach the open ceiling', async (t) => {
  const tl = await openTestLedger(t);
  const { call, ledger } = drive(tl);
  const { events } = tl;
  // Throttle at 60% (6); the reserve keeps 50% of the band (10 - 6 = 4) for good standing: the open
  // ceiling is 8.
  const fn = budgeted('{ limit: 10, period: 1h, throttleAt: 60%, reserve: 50% }');
  const good = key('good');
  for (let i = 0; i < 6; i++) assert.equal((await call(request(fn, { principal: good }))).pass, true);
  assert.equal(ledger.view({ name: 'demo', budget: fn.manifest.budget }).tier, 'throttle');
  // A new caller is limited, not cut off: it may spend up to the open ceiling.
  assert.equal((await call(request(fn, { principal: key('new') }))).pass, true);
  assert.equal((await call(request(fn, { principal: key('new2') }))).pass, true);
  refusedWith(await call(request(fn, { principal: key('new3') })), 'BWK_E_GUARD_BUDGET_THROTTLED', 'function');
  // Served in the throttle tier does not earn good standing in the same period.
  refusedWith(await call(request(fn, { principal: key('new') })), 'BWK_E_GUARD_BUDGET_THROTTLED', 'function');
  // The reserve is the good caller's: two more, then the hard stop.
  assert.equal((await call(request(fn, { principal: good }))).pass, true);
  assert.equal((await call(request(fn, { principal: good }))).pass, true);
  refusedWith(await call(request(fn, { principal: good })), 'BWK_E_GUARD_BUDGET_EXHAUSTED', 'function');
  assert.equal(ledger.view({ name: 'demo', budget: fn.manifest.budget }).spend, 10);
  assert.deepEqual(events.filter((e) => e.type === 'budget.tier-changed').map((e) => e.detail?.to), ['throttle', 'exhausted']);
});

test('good standing needs a success: a caller whose calls failed before the throttle is still new', async (t) => {
  const { call, ledger } = drive(await openTestLedger(t));
  // perCaller: callers are listed one by one only under a per-caller limit.
  const fn = budgeted('{ limit: 10, period: 1h, perCaller: 10, throttleAt: 50%, reserve: 100% }');
  await call(request(fn, { principal: key('failing') }), 500);
  await call(request(fn, { principal: key('probe') }), 404);
  for (let i = 0; i < 3; i++) await call(request(fn, { principal: key('good') }));
  assert.equal(ledger.view({ name: 'demo', budget: fn.manifest.budget }).tier, 'throttle');
  refusedWith(await call(request(fn, { principal: key('failing') })), 'BWK_E_GUARD_BUDGET_THROTTLED', 'function');
  refusedWith(await call(request(fn, { principal: key('probe') })), 'BWK_E_GUARD_BUDGET_THROTTLED', 'function');
  assert.equal((await call(request(fn, { principal: key('good') }))).pass, true);
  const callers = ledger.callers({ name: 'demo', budget: fn.manifest.budget }, 100);
  assert.deepEqual(callers.map((c) => [c.caller, c.spend, c.goodStanding]), [['key:good', 4, true], ['key:failing', 1, false], ['key:probe', 1, false]]);
});

test('history from an earlier period is good standing from the start of the next one', async (t) => {
  const tl = await openTestLedger(t);
  const { call } = drive(tl);
  const { clock } = tl;
  const fn = budgeted('{ limit: 4, period: 10s, throttleAt: 50%, reserve: 100% }');
  await call(request(fn, { principal: key('regular') }));
  clock.now += 10_000;
  // An attacker floods the new period first; the regular caller comes later and is still served.
  for (let i = 0; i < 2; i++) await call(request(fn, { principal: key(`bot${i}`) }));
  refusedWith(await call(request(fn, { principal: key('bot9') })), 'BWK_E_GUARD_BUDGET_THROTTLED', 'function');
  assert.equal((await call(request(fn, { principal: key('regular') }))).pass, true);
});

test('per-caller budgets stop one caller while others go on; anonymous callers are told apart by address', async (t) => {
  const { call, ledger } = drive(await openTestLedger(t));
  const fn = budgeted('{ limit: 100, period: 1h, perCaller: 2 }');
  for (let i = 0; i < 2; i++) await call(request(fn, { principal: key('greedy') }));
  refusedWith(await call(request(fn, { principal: key('greedy') })), 'BWK_E_GUARD_BUDGET_EXHAUSTED', 'caller');
  assert.equal((await call(request(fn, { principal: key('other') }))).pass, true);
  const anonymous: Principal = { kind: 'anonymous', actor: 'anonymous', roles: [], functions: [] };
  for (let i = 0; i < 2; i++) await call(request(fn, { principal: anonymous, sourceIp: '192.0.2.1' }));
  refusedWith(await call(request(fn, { principal: anonymous, sourceIp: '192.0.2.1' })), 'BWK_E_GUARD_BUDGET_EXHAUSTED', 'caller');
  assert.equal((await call(request(fn, { principal: anonymous, sourceIp: '192.0.2.2' }))).pass, true);
  const callers = ledger.callers({ name: 'demo', budget: fn.manifest.budget }, 100).map((c) => [c.caller, c.spend, c.limit]);
  assert.deepEqual(callers, [['ip:192.0.2.1', 2, 2], ['key:greedy', 2, 2], ['ip:192.0.2.2', 1, 2], ['key:other', 1, 2]]);
});

test('the global budget caps all functions together, and per caller across them', async (t) => {
  const { call, ledger } = drive(await openTestLedger(t, { budgets: { global: { limit: 5, period: 3_600_000, perCaller: 3, throttleAt: 0.9, reserve: 0.5 } } }));
  const a = budgeted('{ limit: 100, period: 1h }', 'alpha');
  const b = target(manifestYaml({ name: 'beta' })); // no budget of its own
  for (let i = 0; i < 3; i++) await call(request(i % 2 ? a : b, { principal: key('x') }));
  refusedWith(await call(request(a, { principal: key('x') })), 'BWK_E_GUARD_BUDGET_EXHAUSTED', 'global-caller');
  await call(request(b, { principal: key('y') }));
  await call(request(a, { principal: key('y') }));
  refusedWith(await call(request(b, { principal: key('y') })), 'BWK_E_GUARD_BUDGET_EXHAUSTED', 'global');
  const global = ledger.view(undefined);
  assert.deepEqual([global.spend, global.limit, global.tier], [5, 5, 'exhausted']);
  assert.deepEqual(ledger.callers(undefined, 100).map((c) => [c.caller, c.spend]), [['key:x', 3], ['key:y', 2]]);
  assert.equal(ledger.view({ name: 'beta', budget: undefined }).limit, null, 'a function without a budget is metered, not capped');
  assert.equal(ledger.view({ name: 'beta', budget: undefined }).spend, 3);
});

test('raising the limit mid-period serves again at once, and says so', async (t) => {
  const tl = await openTestLedger(t);
  const { call, ledger } = drive(tl);
  const small = budgeted('{ limit: 3, period: 1h, reserve: 0% }');
  for (let i = 0; i < 3; i++) await call(request(small, { principal: key('a') }));
  refusedWith(await call(request(small, { principal: key('a') })), 'BWK_E_GUARD_BUDGET_EXHAUSTED', 'function');
  const raised = budgeted('{ limit: 30, period: 1h, reserve: 0% }');
  assert.equal((await call(request(raised, { principal: key('a') }))).pass, true);
  assert.equal(ledger.view({ name: 'demo', budget: raised.manifest.budget }).tier, 'open');
  assert.deepEqual(tl.events.filter((e) => e.type === 'budget.tier-changed').map((e) => `${e.detail?.from}->${e.detail?.to}`), [
    'open->exhausted', 'exhausted->open',
  ]);
});
