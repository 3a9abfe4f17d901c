// Function log lines: everything a function says (context.log, console.*, raw stdout/stderr, its
// error stacks) is redacted, appended to the FunctionLogStore and mirrored to the gateway's pino log
// under the same request id. One place, so no path forgets redaction.

import { redactString, redactValue } from '../../telemetry/redact.ts';
import type { FunctionLogEntry } from '../../store/store.ts';
import type { CapabilityDeps } from '../capabilities/capability.ts';

export type LogLevel = FunctionLogEntry['level'];

/** Longest message kept; the rest is cut with a marker. */
export const MAX_LOG_MESSAGE = 8 * 1024;

export function writeFunctionLog(
  deps: Pick<CapabilityDeps, 'logger' | 'logs'>,
  at: { name: string; version: number; requestId: string },
  level: LogLevel,
  message: string,
  fields?: Record<string, unknown>,
): void {
  const cut = message.length > MAX_LOG_MESSAGE ? `${message.slice(0, MAX_LOG_MESSAGE)}…[truncated]` : message;
  const entry: FunctionLogEntry = {
    at: new Date().toISOString(),
    function: at.name,
    version: at.version,
    requestId: at.requestId,
    level,
    message: redactString(cut),
  };
  if (fields !== undefined) entry.fields = redactValue(fields) as Record<string, unknown>;
  if (deps.logger.isLevelEnabled(level)) {
    deps.logger[level]({ function: at.name, version: at.version, requestId: at.requestId, fnLog: entry.fields }, entry.message);
  }
  deps.logs.append([entry]).catch((err: unknown) => {
    deps.logger.error({ err, function: at.name }, 'function log append failed');
  });
}
