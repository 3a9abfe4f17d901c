// The scheduler: one croner job per schedule trigger of every active function version, kept in step
// with deploys, rollbacks and removals (sync). Each tick becomes one run delivered by delivery.ts (guard
// chain with the scheduler principal, sandbox, retries, dead letters).
//
// Runs of one trigger never overlap: a tick that comes while the previous run (retries included) is
// still going is skipped and logged, as EventBridge Scheduler's users would otherwise have to guard
// against themselves. The trigger is identified by function, position and expression, so a redeploy
// that keeps the schedule does not start a second run beside one still going.

import { randomUUID } from 'node:crypto';
import type { Cron } from 'croner';
import { isDeepStrictEqual } from 'node:util';
import { scheduler as schedulerPrincipal } from '../auth/principal.ts';
import { NO_CLIENT_IP } from '../guards/types.ts';
import type { ScheduleTrigger } from '../manifest/types.ts';
import type { FunctionVersion } from '../store/store.ts';
import type { Logger } from '../telemetry/logger.ts';
import { startCron } from './cron.ts';
import type { Delivery } from './delivery.ts';
import { buildScheduledEvent } from './events.ts';

export interface Scheduler {
  /** Starts the active version's schedules and stops the others; `fn` undefined: the function is gone. */
  sync(name: string, fn: FunctionVersion | undefined): void;
  /** Stops every schedule, then waits for runs in progress to finish or be dead-lettered. */
  close(): Promise<void>;
}

interface Job {
  key: string;
  cron: Cron;
}

export function createScheduler(deps: { deliver: (d: Delivery) => Promise<void>; logger: Logger }): Scheduler {
  const jobs = new Map<string, Job[]>();
  /** Runs in progress by trigger key: at most one each. */
  const running = new Map<string, Promise<void>>();
  let closed = false;

  function run(name: string, version: number, index: number, trigger: ScheduleTrigger, key: string): void {
    if (closed) return;
    if (running.has(key)) {
      deps.logger.warn({ function: name, schedule: index, cron: trigger.cron }, 'scheduled run skipped: the previous run of this schedule is still going');
      return;
    }
    const id = randomUUID();
    const scheduledAt = Date.now();
    const delivery: Delivery = {
      source: 'schedule',
      functionName: name,
      routedVersion: version,
      messageId: id,
      subject: null,
      body: Buffer.from(JSON.stringify(trigger.payload)),
      principal: schedulerPrincipal,
      sourceIp: NO_CLIENT_IP,
      // Only while the active version still has this very schedule (position, expression and payload).
      triggerOf: (fn) => {
        const now = fn.manifest.triggers.schedule[index];
        return now && now.cron === trigger.cron && isDeepStrictEqual(now.payload, trigger.payload) ? { kind: 'schedule', ...trigger } : undefined;
      },
      event: () => buildScheduledEvent({ id, scheduledAt, functionName: name, triggerIndex: index, payload: trigger.payload }),
    };
    const done = deps.deliver(delivery)
      .catch((err: unknown) => deps.logger.error({ err, function: name, schedule: index }, 'scheduled run failed unexpectedly'))
      .finally(() => running.delete(key));
    running.set(key, done);
  }

  return {
    sync(name, fn) {
      for (const job of jobs.get(name) ?? []) job.cron.stop();
      jobs.delete(name);
      if (closed || !fn) return;
      const started = fn.manifest.triggers.schedule.map((trigger, index): Job => {
        const key = `${name}#${index}:${trigger.cron}`;
        return { key, cron: startCron(trigger.cron, () => run(name, fn.version, index, trigger, key)) };
      });
      if (started.length > 0) jobs.set(name, started);
      deps.logger.debug({ function: name, version: fn.version, schedules: started.length }, 'schedules synced');
    },

    async close() {
      closed = true;
      for (const list of jobs.values()) for (const job of list) job.cron.stop();
      jobs.clear();
      while (running.size > 0) await Promise.allSettled([...running.values()]);
    },
  };
}
