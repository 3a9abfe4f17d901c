// Scrubs secrets out of free-form values (function log messages and fields, gateway log lines) before
// they are stored or printed. Keys that name a secret are censored whatever their value; values that
// look like a credential are found by the leak-prevention scanner (src/dlp/scanner.ts, the one list of
// credential shapes) and replaced by [REDACTED:<kind>] wherever they are.

import { createScanner, type KnownSecretSource, type LeakTally } from '../dlp/scanner.ts';

const SECRET_KEY = /(pass(word)?|secret|token|api[-_]?key|authorization|cookie|private[-_]?key|credential)/i;
// Known secret values come from every open vault (registerKnownSecrets): redaction is process-wide
// (the logger's serialisers and function logs call it without a platform at hand), and a value redacted
// on behalf of another vault in the same process is only ever over-redaction.
const knownSources = new Set<KnownSecretSource>();
let knownCache: { inputs: ReadonlyArray<readonly string[]>; values: readonly string[] } = { inputs: [], values: [] };
const knownSecrets: KnownSecretSource = {
  secretValues() {
    const inputs = [...knownSources].map((s) => s.secretValues());
    // The same array until a source changes: the scanner derives the encoded forms once per change.
    if (inputs.length !== knownCache.inputs.length || inputs.some((v, i) => v !== knownCache.inputs[i])) {
      knownCache = { inputs, values: inputs.flat() };
    }
    return knownCache.values;
  },
};
const shapes = createScanner(knownSecrets);

/** Adds a vault's values to what every redaction finds, until the returned function is called. */
export function registerKnownSecrets(source: KnownSecretSource): () => void {
  knownSources.add(source);
  return () => { knownSources.delete(source); };
}
export const CENSOR = '[REDACTED]';

/** `s` with every credential redacted; what was found is added to `tally` when given. */
export function redactString(s: string, tally?: LeakTally): string {
  const out = shapes.redact(s);
  if (tally && out.findings.length > 0) tally.note(s, out.findings);
  return out.text;
}

export function redactValue(value: unknown, tally?: LeakTally, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value, tally);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[Truncated]';
  if (Array.isArray(value)) return value.map((v) => redactValue(v, tally, depth + 1));
  const out: Record<string, unknown> = {};
  // The key is redacted too: a function names its fields, so a name can carry a credential as well as a value.
  for (const [k, v] of Object.entries(value)) {
    out[redactString(k, tally)] = SECRET_KEY.test(k) ? CENSOR : redactValue(v, tally, depth + 1);
  }
  return out;
}
