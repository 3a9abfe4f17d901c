// The scrape token of GET /metrics: its own credential, not an API key, so a Prometheus server holds
// nothing that could invoke a function or reach the admin API, and a leaked scrape config exposes only
// counts. Generated on first start into $home/metrics-token (0600) unless config names a file.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { BulwarkError } from '../errors.ts';

export const METRICS_TOKEN_FILE = 'metrics-token';
/** Shorter configured tokens are refused: a generated one has 43 characters (32 random bytes). */
export const MIN_TOKEN_LENGTH = 32;

export interface MetricsToken {
  /** The file the token was read from (for `bulwark doctor` and the start log; never the token). */
  file: string;
  /** Whether `header` (an Authorization header value) carries the token, in constant time. */
  matches(header: string | undefined): boolean;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Where the token lives: `tokenFile` relative to home, or $home/metrics-token when none is configured. */
export function metricsTokenPath(home: string, tokenFile: string | null): string {
  return tokenFile === null ? join(home, METRICS_TOKEN_FILE) : isAbsolute(tokenFile) ? tokenFile : join(home, tokenFile);
}

/**
 * Reads the token from `tokenFile` (relative to home) or, when null, from $home/metrics-token, creating
 * it first if absent. Throws BWK_E_METRICS_TOKEN_UNUSABLE for a missing, short or group/world-readable
 * file: a token others on the host can read is no credential.
 */
export function loadMetricsToken(home: string, tokenFile: string | null): MetricsToken {
  const file = metricsTokenPath(home, tokenFile);
  if (tokenFile === null && !existsSync(file)) {
    try {
      generate(file);
    } catch (err) {
      throw new BulwarkError('BWK_E_METRICS_TOKEN_UNUSABLE', [file, 'it could not be created'], { cause: (err as NodeJS.ErrnoException).code });
    }
  }
  let text: string;
  try {
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) throw new BulwarkError('BWK_E_METRICS_TOKEN_UNUSABLE', [file, `it is readable by others (mode ${mode.toString(8)}): run chmod 600 on it`]);
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if (err instanceof BulwarkError) throw err;
    throw new BulwarkError('BWK_E_METRICS_TOKEN_UNUSABLE', [file, 'it cannot be read'], { cause: (err as NodeJS.ErrnoException).code });
  }
  if (text.length < MIN_TOKEN_LENGTH || /\s/.test(text)) {
    throw new BulwarkError('BWK_E_METRICS_TOKEN_UNUSABLE', [file, `it must hold one token of at least ${MIN_TOKEN_LENGTH} characters, without spaces`]);
  }
  // Digests of equal length compared, so neither the token's length nor its prefix shows in the timing.
  const expected = digest(text);
  return {
    file,
    matches(header) {
      // The scheme is case-insensitive (RFC 9110 §11.1), read as src/auth/authenticate.ts reads it.
      const m = typeof header === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
      if (!m) return false;
      return timingSafeEqual(digest(m[1]!), expected);
    },
  };
}

/** Writes a fresh token, 0600 from the first byte; a concurrent start that won the race keeps its own. */
function generate(file: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, randomBytes(32).toString('base64url') + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  try {
    // link, not rename: it fails if the file appeared meanwhile instead of replacing a token in use.
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
}
