// Function log lines: everything a function says (context.log, console.*, raw stdout/stderr, its
// error stacks) is redacted, appended to the FunctionLogStore and mirrored to the gateway's pino log
// under the same request id. One place, so no path forgets redaction. A redacted credential is also a
// dlp.leak security event (docs/dlp.md): a function printing a key is worth knowing about.

import { redactString, redactValue } from '../../telemetry/redact.ts';
import { LeakTally } from '../../dlp/scanner.ts';
import { publishSecurityEvent } from '../../bus/bus.ts';
import type { FunctionLogEntry } from '../../store/store.ts';
import type { CapabilityDeps } from '../capabilities/capability.ts';

export type LogLevel = FunctionLogEntry['level'];

/** Longest message kept; the rest is cut with a marker. */
export const MAX_LOG_MESSAGE = 8 * 1024;

export function writeFunctionLog(
  deps: Pick<CapabilityDeps, 'logger' | 'logs' | 'bus'>,
  at: { name: string; version: number; requestId: string },
  level: LogLevel,
  message: string,
  fields?: Record<string, unknown>,
  /** Epoch ms the line was written at, when not now (a log frame carries its own, see log.ts). */
  time?: number,
): void {
  // Redacted before it is cut, so a cut never leaves the first half of a credential unrecognised.
  const tally = new LeakTally();
  const redacted = redactString(message, tally);
  const cut = redacted.length > MAX_LOG_MESSAGE ? `${redacted.slice(0, MAX_LOG_MESSAGE)}…[truncated]` : redacted;
  const entry: FunctionLogEntry = {
    at: new Date(time ?? Date.now()).toISOString(),
    function: at.name,
    version: at.version,
    requestId: at.requestId,
    level,
    message: cut,
  };
  if (fields !== undefined) entry.fields = redactValue(fields, tally) as Record<string, unknown>;
  for (const leak of tally.leaks()) {
    void publishSecurityEvent(deps.bus, deps.logger, {
      type: 'dlp.leak', requestId: at.requestId, function: at.name, version: at.version,
      detail: { ...leak, where: 'log', action: 'redacted' },
    });
  }
  if (deps.logger.isLevelEnabled(level)) {
    deps.logger[level]({ function: at.name, version: at.version, requestId: at.requestId, fnLog: entry.fields }, entry.message);
  }
  deps.logs.append([entry]).catch((err: unknown) => {
    deps.logger.error({ err, function: at.name }, 'function log append failed');
  });
}
