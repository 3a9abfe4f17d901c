// Scrubs secrets out of free-form values (function log messages and fields) before they are stored
// or printed. Keys that name a secret are censored whatever their value; values that look like a
// credential (bearer tokens, Bulwark API keys, JWTs, PEM private keys) are censored wherever they are.

const SECRET_KEY = /(pass(word)?|secret|token|api[-_]?key|authorization|cookie|private[-_]?key|credential)/i;
const SECRET_VALUE: RegExp[] = [
  /\bbwk_[A-Za-z0-9]{8,}_[A-Za-z0-9_-]{16,}/g, // Bulwark API keys
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWTs
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key ids
];
export const CENSOR = '[REDACTED]';

export function redactString(s: string): string {
  let out = s;
  for (const re of SECRET_VALUE) out = out.replace(re, CENSOR);
  return out;
}

export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[Truncated]';
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) ? CENSOR : redactValue(v, depth + 1);
  }
  return out;
}
