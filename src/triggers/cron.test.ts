import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cronProblem, startCron } from './cron.ts';

test('five fields, six with seconds, and nicknames are accepted', () => {
  for (const ok of ['*/5 * * * *', '0 30 2 * * *', '*/10 * * * * *', '@hourly', '0 9 * * MON-FRI']) assert.equal(cronProblem(ok), undefined, ok);
});

test('malformed expressions, out-of-range values, seven fields and expressions that never fire are refused with the fix', () => {
  assert.match(cronProblem('* * * *')!, /is not a valid cron expression .*write 5 fields, or 6 with seconds first/);
  assert.match(cronProblem('61 * * * *')!, /Invalid value for minute: 61/);
  assert.match(cronProblem('0 0 1 1 * 2030')!, /is not a valid cron expression/, 'no year field');
  assert.equal(cronProblem('0 0 30 2 *'), 'never fires: no date matches it');
});

test('a started cron ticks on its schedule and stops when told', async () => {
  let ticks = 0;
  const job = startCron('* * * * * *', () => void ticks++);
  try {
    const deadline = Date.now() + 3000;
    while (ticks === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(ticks >= 1, 'ticked within a few seconds');
  } finally {
    job.stop();
  }
  const after = ticks;
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(ticks, after, 'no tick after stop');
});
