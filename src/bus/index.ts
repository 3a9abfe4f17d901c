// Chooses the event bus backend named by the config. Callers get an EventBus and never learn which.
// Async although in-process needs no I/O: a networked bus (NATS) connects first, and callers must not change.

import type { Config } from '../config.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { EventBus } from './bus.ts';
import { createInProcessBus } from './in-process/index.ts';

export async function createBus(config: Config, deps: { logger?: Logger } = {}): Promise<EventBus> {
  switch (config.bus.kind) {
    case 'in-process':
      return createInProcessBus({
        onError: (err, topic) => deps.logger?.error({ err, topic }, 'event bus subscriber failed'),
      });
  }
}
