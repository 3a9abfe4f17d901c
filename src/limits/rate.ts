// Rates as people write them ("600/min", "20/s", "5000/h"), in the config (rateLimit.*) and in the
// manifest (limits.rate). One spelling, one parser, so a rate means the same thing everywhere.

/** The accepted spelling, for JSON Schemas: a whole number of requests per second, minute or hour. */
export const RATE_PATTERN = '^[1-9][0-9]{0,8}/(s|min|h)$';

const UNIT_MS = { s: 1000, min: 60_000, h: 3_600_000 } as const;

export interface Rate {
  /** Requests allowed per `perMs`. */
  count: number;
  perMs: number;
}

/** Parses "600/min"; undefined when the text does not match RATE_PATTERN. */
export function parseRate(text: string): Rate | undefined {
  const m = /^([1-9][0-9]{0,8})\/(s|min|h)$/.exec(text);
  if (!m) return undefined;
  return { count: Number(m[1]), perMs: UNIT_MS[m[2] as keyof typeof UNIT_MS] };
}
