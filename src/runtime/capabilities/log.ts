// context.log.{debug,info,warn,error}(message, fields?) and console.* inside a function.

import { writeFunctionLog, type LogLevel } from '../broker/function-log.ts';
import { protocolError } from '../broker/protocol.ts';
import type { Capability } from './capability.ts';

const LEVELS = new Set<LogLevel>(['debug', 'info', 'warn', 'error']);
const MAX_MESSAGE = 64 * 1024;
const MAX_FIELDS_JSON = 16 * 1024;
/** Lines and message characters accepted per invocation; a chatty or hostile function cannot flood the log store. */
export const MAX_LINES_PER_INVOCATION = 1000;
export const MAX_BYTES_PER_INVOCATION = 1024 * 1024;

interface LogArgs {
  level: LogLevel;
  message: string;
  fields?: Record<string, unknown>;
  /**
   * Epoch ms the function wrote the line at. The worker holds lines until the end of its turn
   * (bootstrap.mjs), so the arrival time can be late; the worker's word is kept only within the
   * invocation's own span (from its start to now), so a line can neither predate it nor come from the future.
   */
  at?: number;
}


export const log: Capability<LogArgs> = {
  name: 'log',
  granted: () => true,
  parse(args) {
    if (args === null || typeof args !== 'object' || Array.isArray(args)) throw protocolError('log: args must be an object');
    const a = args as Record<string, unknown>;
    if (!LEVELS.has(a.level as LogLevel)) throw protocolError('log: bad level');
    if (typeof a.message !== 'string' || a.message.length > MAX_MESSAGE) throw protocolError('log: bad message');
    const out: LogArgs = { level: a.level as LogLevel, message: a.message };
    if (a.at !== undefined) {
      if (typeof a.at !== 'number' || !Number.isFinite(a.at)) throw protocolError('log: bad at');
      out.at = a.at;
    }
    if (a.fields !== undefined) {
      if (a.fields === null || typeof a.fields !== 'object' || Array.isArray(a.fields)) throw protocolError('log: fields must be an object');
      if (JSON.stringify(a.fields).length > MAX_FIELDS_JSON) throw protocolError('log: fields too large');
      out.fields = a.fields as Record<string, unknown>;
    }
    return out;
  },
  async handle(args, inv, deps) {
    inv.logLines++;
    inv.logBytes += args.message.length;
    if (inv.logLines > MAX_LINES_PER_INVOCATION || inv.logBytes > MAX_BYTES_PER_INVOCATION) {
      if (!inv.logCapped) {
        inv.logCapped = true;
        writeFunctionLog(deps, { ...inv.target, requestId: inv.requestId }, 'warn', `log limit of ${MAX_LINES_PER_INVOCATION} lines or ${MAX_BYTES_PER_INVOCATION} characters reached; further lines dropped`);
      }
      return null;
    }
    const time = args.at === undefined ? undefined : Math.min(Date.now(), Math.max(inv.startedAt, args.at));
    writeFunctionLog(deps, { ...inv.target, requestId: inv.requestId }, args.level, args.message, args.fields, time);
    return null;
  },
};
