import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from './index.ts';
import type { Verdict } from '../types.ts';
import { manifestYaml, request, target } from '../testing.ts';

const fn = target(manifestYaml({ limits: '{ concurrency: 2, queue: 1 }' }));

function release(v: Verdict): void {
  assert.ok(v.pass && v.release, 'a passing verdict carries a release');
  v.release();
}

test('admits up to the limit, queues up to the queue size, then refuses with 429 and Retry-After', async () => {
  const concurrency = create();
  const a = await concurrency(request(fn));
  const b = await concurrency(request(fn));
  assert.equal(a.pass && b.pass, true);
  let queuedSettled = false;
  const queued = concurrency(request(fn)).then((v) => { queuedSettled = true; return v; });
  const refused = await concurrency(request(fn));
  assert.equal(refused.pass, false);
  assert.equal(!refused.pass && refused.error.code, 'BWK_E_GUARD_CONCURRENCY');
  assert.equal(!refused.pass && refused.error.status, 429);
  assert.deepEqual(!refused.pass && refused.headers, { 'retry-after': '1' });
  await new Promise((r) => setImmediate(r));
  assert.equal(queuedSettled, false, 'the queued request waits while both permits are held');
  release(a);
  const q = await queued;
  assert.equal(q.pass, true, 'the queued request gets the released permit');
  release(b);
  release(q);
});

test('releasing twice frees one permit only', async () => {
  const concurrency = create();
  const single = target(manifestYaml({ limits: '{ concurrency: 1, queue: 0 }' }));
  const a = await concurrency(request(single));
  release(a);
  if (a.pass) a.release!();
  const b = await concurrency(request(single));
  assert.equal(b.pass, true);
  const c = await concurrency(request(single));
  assert.equal(!c.pass && c.error.code, 'BWK_E_GUARD_CONCURRENCY', 'the double release did not create a second permit');
  release(b);
});

test('versions have separate gates', async () => {
  const concurrency = create();
  const single = target(manifestYaml({ limits: '{ concurrency: 1, queue: 0 }' }), {}, 1);
  const next = target(manifestYaml({ limits: '{ concurrency: 1, queue: 0 }' }), {}, 2);
  const a = await concurrency(request(single));
  const b = await concurrency(request(next));
  assert.equal(a.pass && b.pass, true);
  release(a);
  release(b);
});

test('a queued caller that disconnects leaves the queue: its slot frees up and it never gets a permit', async () => {
  const concurrency = create();
  const single = target(manifestYaml({ limits: '{ concurrency: 1, queue: 1 }' }));
  const held = await concurrency(request(single));
  const gone = new AbortController();
  const queued = concurrency(request(single, { signal: gone.signal }));
  gone.abort();
  const left = await queued;
  assert.equal(!left.pass && left.error.code, 'BWK_E_GATEWAY_CLIENT_CLOSED');
  const next = concurrency(request(single));
  release(held);
  const admitted = await next;
  assert.equal(admitted.pass, true, 'the freed queue slot went to the next caller, who got the permit');
  release(admitted);
  const already = new AbortController();
  already.abort();
  const blocker = await concurrency(request(single));
  const late = await concurrency(request(single, { signal: already.signal }));
  assert.equal(!late.pass && late.error.code, 'BWK_E_GATEWAY_CLIENT_CLOSED', 'an already-gone caller is not queued');
  release(blocker);
});
