// The one reading of a schedule trigger's cron expression, shared by the manifest parser (which refuses
// an expression at deploy) and the scheduler (which runs it), so an expression accepted at deploy runs
// exactly as it was checked. croner: five fields (minute precision) or six with a leading seconds field,
// nicknames like @hourly, always in UTC so a schedule does not move with the gateway host's time zone.

import { Cron } from 'croner';

const OPTIONS = { mode: '5-or-6-parts', timezone: 'UTC' } as const;

/** What is wrong with `expression`, or undefined when it is a cron expression that fires at some time. */
export function cronProblem(expression: string): string | undefined {
  let job: Cron | undefined;
  try {
    job = new Cron(expression, { ...OPTIONS, paused: true });
    if (job.nextRun() === null) return 'never fires: no date matches it';
    return undefined;
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).replace(/^CronPattern: /, '');
    return `is not a valid cron expression (${reason}): write 5 fields, or 6 with seconds first, like "*/5 * * * *"`;
  } finally {
    job?.stop();
  }
}

/** Calls `tick` at every time `expression` names until stopped. `tick` must not throw. */
export function startCron(expression: string, tick: () => void): Cron {
  return new Cron(expression, OPTIONS, tick);
}
