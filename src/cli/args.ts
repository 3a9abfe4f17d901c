// Argument parsers shared by several commands; commander turns their InvalidArgumentError into exit 2.

import { InvalidArgumentError } from 'commander';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be an integer 0-65535');
  return n;
}

/** A repeatable `--opt key=value`: collected into one object, the last value of a key winning. */
export function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq < 1) throw new InvalidArgumentError('must be key=value, like stage=prod');
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

export function nameList(value: string): string[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError('must list at least one function name (or *)');
  return names;
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "90s", "10m", "12h", "7d" → seconds. */
export function durationSec(value: string): number {
  const m = /^([1-9][0-9]{0,8})(s|m|h|d)$/.exec(value);
  if (!m) throw new InvalidArgumentError('must be a duration like 90s, 10m, 12h or 7d');
  return Number(m[1]) * DURATION_UNITS[m[2]!]!;
}
