import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { BulwarkError } from '../errors.ts';
import type { Principal } from '../auth/principal.ts';
import type { GuardRequest } from '../guards/types.ts';
import { manifestYaml, request, target } from '../guards/testing.ts';
import type { SpendLedger } from './ledger.ts';
import { openTestLedger } from './testing.ts';

// reserve: 0% — no ceiling below the limit for callers without history, which a crash can forget.
const fn = target(`${manifestYaml({ limits: '{ timeout: 2s, memory: 128MB }' })}\nbudget: { limit: 100, period: 1h, reserve: 0% }\n`);
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
  assert.deepEqual(restarted.callers({ name: 'demo', budget: fn.manifest.budget }).map((c) => [c.caller, c.spend, c.goodStanding]), [
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
