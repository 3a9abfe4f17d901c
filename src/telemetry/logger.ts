// Structured JSON logs (pino). Auth headers, cookies, API keys, tokens and anything named like a
// secret are redacted here, once, for every logger in the process; then each finished line passes the
// credential scanner (src/dlp/), so a key inside a message, an error or a URL is caught too.

import { pino, type Logger, type DestinationStream } from 'pino';
import { redactString } from './redact.ts';

export type { Logger };

/** Paths censored in every log line. Function logs are additionally scrubbed by src/telemetry/redact.ts. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  'apiKey',
  'secret',
  'token',
  'password',
  '*.apiKey',
  '*.secret',
  '*.token',
  '*.password',
];

export function createLogger(opts: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: opts.level,
      base: { service: 'bulwark' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths, censor: '[REDACTED]' },
      // The line is JSON text; a redaction marker holds no quote or backslash, so it stays valid JSON.
      hooks: { streamWrite: (line: string) => redactString(line) },
    },
    opts.destination,
  );
}
