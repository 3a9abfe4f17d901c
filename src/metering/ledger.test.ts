import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { BulwarkError } from '../errors.ts';
import type { Principal } from '../auth/principal.ts';
import type { GuardRequest } from '../guards/types.ts';
import { manifestYaml, request, target } from '../guards/testing.ts';
import type { FunctionTarget } from '../runtime/sandbox/sandbox.ts';
import type { Admission, SpendLedger } from './ledger.ts';
import { openTestLedger, type TestLedger } from './testing.ts';

// reserve: 0% — no ceiling below the limit for callers without history, which a crash can forget.
// perCaller — callers are metered one by one only under a per-caller limit.
const fn = target(`${manifestYaml({ limits: '{ timeout: 2s, memory: 128MB }' })}\nbudget: { limit: 100, period: 1h, perCaller: 100, reserve: 0% }\n`);
const view = (ledger: SpendLedger) => ledger.view({ name: 'demo', budget: fn.manifest.budget });
const key = (id: string): Principal => ({ kind: 'api-key', actor: `key:${id}`, roles: ['invoker'], functions: ['*'] });

/** Admits and runs `n` successful invocations (each costs exactly 1 under UNIT_PER_REQUEST). */
async function serve(ledger: SpendLedger, n: number, who = 'a'): Promise<void> {
  for (let i = 0; i < n; i++) {
    const req = request(fn, { principal: key(who) });
    const admission = await ledger.admit(req);
    assert.equal(admission.admitted, true);
    await ledger.measure(req, async () => ({ statusCode: 200 }));
  }
}

test('a crash forgets no spend of a budgeted scope: the restart counts at least what was spent, at most a claim chunk more', async (t) => {
  const tl = await openTestLedger(t, { budgets: { claimChunk: 0.05 } }); // chunks of 5 on a limit of 100
  await serve(tl.ledger, 13);
  // One more admitted and still running when the process dies.
  const inFlight = request(fn, { principal: key('a') });
  assert.equal((await tl.ledger.admit(inFlight)).admitted, true);
  // No flush, no close: the first ledger simply stops existing, as in a kill -9.
  const restarted = await tl.reopen();
  const restored = view(restarted);
  assert.ok(restored.spend >= 14, `spent 13 and 1 in flight, restored ${restored.spend}`);
  assert.ok(restored.spend <= 14 + 5 + 1, `over-count bounded by one chunk and the worst case in flight, restored ${restored.spend}`);
  // The restored spend is what admission works against: the limit still holds.
  let admitted = 0;
  for (;;) {
    const req = request(fn, { principal: key('a') });
    if (!(await restarted.admit(req)).admitted) break;
    await restarted.measure(req, async () => ({ statusCode: 200 }));
    admitted++;
  }
  assert.equal(view(restarted).spend, 100);
  assert.equal(admitted, 100 - restored.spend);
});

test('a clean close writes everything and releases unused claims: the restart restores exactly', async (t) => {
  const tl = await openTestLedger(t);
  await serve(tl.ledger, 3);
  await serve(tl.ledger, 2, 'b');
  await tl.ledger.close();
  const restarted = await tl.reopen();
  const v = view(restarted);
  assert.deepEqual([v.spend, v.invocations, v.tier], [5, 5, 'open']);
  assert.deepEqual(restarted.callers({ name: 'demo', budget: fn.manifest.budget }, 100).map((c) => [c.caller, c.spend, c.goodStanding]), [
    ['key:a', 3, true],
    ['key:b', 2, true],
  ]);
  const [row] = (await tl.store.spend.current(tl.clock.now)).filter((r) => r.scope === 'function');
  assert.equal(row!.claimedNanos, row!.spendNanos, 'no claim is left above the spend');
});

test('alerts and tiers announced before a restart are not announced again in the same period', async (t) => {
  const tl = await openTestLedger(t);
  await serve(tl.ledger, 50);
  assert.deepEqual(tl.events.map((e) => e.detail?.percent), [50]);
  await tl.ledger.flush();
  const restarted = await tl.reopen();
  await serve(restarted, 1);
  assert.deepEqual(tl.events.map((e) => e.detail?.percent), [50]);
  await serve(restarted, 30);
  assert.deepEqual(tl.events.map((e) => e.detail?.percent ?? e.detail?.to), [50, 80]);
});

test('metering: the dispatch is timed and billed by memory × duration; a failed dispatch is billed too', async (t) => {
  // 0 per request; 1024 per GB-second = 0.001 per MB-millisecond: 128 MB costs 0.128 per ms.
  const tl = await openTestLedger(t, { pricing: { currency: 'EUR', perMillionRequests: 0, perGbSecond: 1024, granularityMs: 10 } });
  const big = target(`${manifestYaml({ limits: '{ timeout: 2s, memory: 128MB }' })}\nbudget: { limit: 10000, period: 1h }\n`);
  const view = (ledger: SpendLedger) => ledger.view({ name: 'demo', budget: big.manifest.budget });
  const req: GuardRequest = request(big, { principal: key('a') });
  assert.equal((await tl.ledger.admit(req)).admitted, true);
  assert.equal(view(tl.ledger).reserved, 256, 'the worst case reserved: 2000 ms × 128 MB');
  await tl.ledger.measure(req, async () => {
    await sleep(50);
    return { statusCode: 200 };
  });
  const afterOk = view(tl.ledger);
  assert.equal(afterOk.reserved, 0);
  assert.ok(afterOk.spend >= 0.128 * 50 && afterOk.spend <= 0.128 * 2000, `billed ${afterOk.spend}`);
  assert.equal(Math.round(afterOk.spend / 0.128) % 10, 0, 'billed in 10 ms steps');
  const failing = request(big, { principal: key('a') });
  await tl.ledger.admit(failing);
  await assert.rejects(tl.ledger.measure(failing, async () => {
    await sleep(20);
    throw new BulwarkError('BWK_E_SANDBOX_CRASHED', ['demo']);
  }), (err) => err instanceof BulwarkError && err.code === 'BWK_E_SANDBOX_CRASHED');
  const afterFail = view(tl.ledger);
  assert.ok(afterFail.spend >= afterOk.spend + 0.128 * 20, 'the failed run is billed for its time');
  assert.equal(afterFail.invocations, 2);
  assert.equal(afterFail.reserved, 0);
});

test('an invocation that was never admitted (the bench-only chain) is still metered', async (t) => {
  const tl = await openTestLedger(t);
  await tl.ledger.measure(request(fn, { principal: key('a') }), async () => ({ statusCode: 200 }));
  assert.deepEqual([view(tl.ledger).spend, view(tl.ledger).reserved], [1, 0]);
  assert.equal(tl.ledger.view(undefined).spend, 1, 'and counted in the global scope');
});

// Memory and store stay bounded however many callers there are (anyone with an IPv6 /64 is 2^64 of
// them), and evicting a caller never lets it spend its share twice nor gives it standing.
describe('many callers: at most budgets.maxTracked entries of each kind', () => {
  const CAP = 100;
  const anonymousFrom = (i: number): Partial<GuardRequest> => ({
    principal: { kind: 'anonymous', actor: 'anonymous', roles: [], functions: [] },
    sourceIp: `2001:db8::${i.toString(16)}`,
  });
  const publicFn = (budget: string | undefined) =>
    target(`${manifestYaml({ auth: 'public', limits: '{ timeout: 2s, memory: 128MB }' })}\n${budget ? `budget: ${budget}\n` : ''}`);

  /** Runs one successful invocation if admitted, 1 ms after the previous one; says whether it was. */
  async function call(tl: TestLedger, fnTarget: FunctionTarget, over: Partial<GuardRequest>, ledger = tl.ledger): Promise<Admission> {
    tl.clock.now += 1;
    const req = request(fnTarget, over);
    const admission = await ledger.admit(req);
    if (admission.admitted) await ledger.measure(req, async () => ({ statusCode: 200 }));
    return admission;
  }

  async function storedRows(tl: TestLedger) {
    await tl.ledger.flush();
    const rows = await tl.store.spend.current(tl.clock.now);
    return { perCaller: rows.filter((r) => r.scope === 'caller' || r.scope === 'global-caller'), history: await tl.store.spend.callers(0), all: rows };
  }

  test('a function without a budget keeps nothing per caller: neither spend nor history', async (t) => {
    const tl = await openTestLedger(t, { budgets: { maxTracked: CAP } });
    const open = publicFn(undefined);
    for (let i = 0; i < 3 * CAP; i++) assert.equal((await call(tl, open, anonymousFrom(i))).admitted, true);
    const stored = await storedRows(tl);
    assert.deepEqual(stored.all.map((r) => r.scope).sort(), ['function', 'global'], 'metered as a whole');
    assert.deepEqual(stored.history, []);
    assert.equal(tl.ledger.view({ name: 'demo', budget: undefined }).invocations, 3 * CAP);
    assert.deepEqual(tl.ledger.callers({ name: 'demo', budget: undefined }, 10_000), []);
  });

  test('a budget with perCaller: per-caller spend and history stay within the cap, in memory and in the store', async (t) => {
    const tl = await openTestLedger(t, { budgets: { maxTracked: CAP } });
    // A floor can only rise by what 7/8 of the tracked callers have each spent: here 10 × CAP calls of
    // 1 over 7/8 × CAP callers raise it to about 11, well within each caller's share of 100.
    const capped = publicFn('{ limit: 10000, period: 1h, perCaller: 100 }');
    for (let i = 0; i < 10 * CAP; i++) {
      assert.equal((await call(tl, capped, anonymousFrom(i))).admitted, true);
      assert.ok(tl.ledger.callers({ name: 'demo', budget: capped.manifest.budget }, 10_000).length <= CAP);
    }
    const stored = await storedRows(tl);
    assert.ok(stored.perCaller.length > 0 && stored.perCaller.length <= CAP, `${stored.perCaller.length} per-caller rows`);
    assert.ok(stored.history.length > 0 && stored.history.length <= CAP, `${stored.history.length} history rows`);
    const fnView = tl.ledger.view({ name: 'demo', budget: capped.manifest.budget });
    assert.deepEqual([fnView.spend, fnView.invocations], [10 * CAP, 10 * CAP], 'the function scope still counts every call');
    // The listing is of the biggest spenders, as many as asked for.
    assert.equal(tl.ledger.callers({ name: 'demo', budget: capped.manifest.budget }, 7).length, 7);
  });

  test('an evicted caller that used its whole share is still refused when it comes back, after a restart too', async (t) => {
    const tl = await openTestLedger(t, { budgets: { maxTracked: CAP } });
    const capped = publicFn('{ limit: 100000, period: 1h, perCaller: 3 }');
    const greedy = anonymousFrom(0xffff);
    for (let i = 0; i < 3; i++) assert.equal((await call(tl, capped, greedy)).admitted, true);
    const refused = await call(tl, capped, greedy);
    assert.deepEqual(!refused.admitted && [refused.scope, refused.reason], ['caller', 'exhausted']);
    // A flood of callers that each use their whole share too: the greedy one, oldest among equals, is evicted.
    for (let i = 0; i < 2 * CAP; i++) for (let j = 0; j < 3; j++) await call(tl, capped, anonymousFrom(i));
    const listed = tl.ledger.callers({ name: 'demo', budget: capped.manifest.budget }, 10_000).map((c) => c.caller);
    assert.ok(!listed.includes('ip:2001:db8::ffff'), 'the greedy caller was evicted');
    const back = await call(tl, capped, greedy);
    assert.deepEqual(!back.admitted && [back.scope, back.reason], ['caller', 'exhausted'], 'it starts from the floor, not from 0');
    // The floor is in the store: a restarted gateway refuses it as well.
    await tl.ledger.close();
    const restarted = await tl.reopen();
    const afterRestart = await call(tl, capped, greedy, restarted);
    assert.deepEqual(!afterRestart.admitted && [afterRestart.scope, afterRestart.reason], ['caller', 'exhausted']);
  });

  test('eviction takes the callers that used least of their share: a big spender stays, newcomers keep most of theirs', async (t) => {
    const tl = await openTestLedger(t, { budgets: { maxTracked: CAP } });
    const capped = publicFn('{ limit: 100000, period: 1h, perCaller: 3 }');
    const greedy = anonymousFrom(0xffff);
    for (let i = 0; i < 3; i++) await call(tl, capped, greedy);
    // Callers spending a third of their share each: they, not the greedy one, are evicted.
    for (let i = 0; i < CAP + CAP / 2; i++) await call(tl, capped, anonymousFrom(i));
    const stillRefused = await call(tl, capped, greedy);
    assert.deepEqual(!stillRefused.admitted && stillRefused.scope, 'caller');
    // A newcomer starts at the floor (1, what the evicted had spent) and may spend the rest of its share.
    const newcomer = anonymousFrom(0xfffe);
    assert.equal((await call(tl, capped, newcomer)).admitted, true);
    assert.equal((await call(tl, capped, newcomer)).admitted, true);
    assert.equal((await call(tl, capped, newcomer)).admitted, false);
  });

  test('a caller whose history was evicted loses its good standing; it never gains any', async (t) => {
    const tl = await openTestLedger(t, { budgets: { maxTracked: CAP } });
    // Throttle at 50% of 4 * CAP; the reserve keeps the band above it for callers in good standing.
    const limit = 4 * CAP;
    const fnTarget = publicFn(`{ limit: ${limit}, period: 1h, throttleAt: 50%, reserve: 100% }`);
    const regular = anonymousFrom(0xffff);
    const kept = anonymousFrom(0xfffe);
    assert.equal((await call(tl, fnTarget, regular)).admitted, true);
    // More than CAP callers served after the regular one push its history out; then the kept caller.
    for (let i = 0; i < CAP + 10; i++) await call(tl, fnTarget, anonymousFrom(i));
    assert.equal((await call(tl, fnTarget, kept)).admitted, true);
    for (let i = 0; tl.ledger.view({ name: 'demo', budget: fnTarget.manifest.budget }).tier === 'open'; i++) await call(tl, fnTarget, anonymousFrom(i));
    const refused = await call(tl, fnTarget, regular);
    assert.deepEqual(!refused.admitted && [refused.scope, refused.reason], ['function', 'throttled'], 'evicted: treated as new');
    assert.equal((await call(tl, fnTarget, kept)).admitted, true, 'recently served: still in good standing');
    const history = (await storedRows(tl)).history;
    assert.ok(history.length <= CAP, `${history.length} history rows`);
    assert.ok(!history.some((h) => h.caller === 'ip:2001:db8::ffff'), 'deleted from the store too');
  });
});
