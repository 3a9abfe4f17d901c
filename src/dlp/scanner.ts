// The credential scanner behind leak prevention (docs/dlp.md): finds secrets in text so the gateway can
// block or redact a function response and so no log line stores one. Two kinds of evidence:
//   - known secret values (the vault feeds them through KnownSecretSource), matched exactly and in their
//     base64, base64url, hex, URL-encoded and JSON-escaped forms;
//   - credential shapes: formats whose prefix or framing says "this is a credential" (AWS key ids, PEM
//     private keys, JWTs, bearer tokens, Bulwark/GitHub/Slack/Stripe/Google keys).
// A random-looking string without such a prefix is deliberately NOT a finding: entropy alone flags
// UUIDs, hashes and image data, and a scanner that blocks those gets switched off.
// Every pattern compiles for V8's linear-time engine (scanner.test.ts proves it) and runs only where one
// of its literal hints occurs, so a response without any hint costs one indexOf per hint.

import { sha256Hex } from '../store/store.ts';

export type CredentialKind =
  | 'known-secret'
  | 'aws-access-key-id'
  | 'aws-secret-key'
  | 'private-key'
  | 'jwt'
  | 'bearer-token'
  | 'bulwark-api-key'
  | 'github-token'
  | 'slack-token'
  | 'stripe-key'
  | 'google-api-key';

export interface Finding {
  kind: CredentialKind;
  /** Offsets of the secret itself in the scanned text (a label such as `aws_secret_access_key=` stays). */
  start: number;
  end: number;
}

/**
 * Where the scanner learns the secret values it must never let out (the vault implements it).
 * `secretValues()` is called on every scan: return the same array object until the set changes, so the
 * encoded forms are derived once per change rather than per scan.
 */
export interface KnownSecretSource {
  secretValues(): readonly string[];
}

/** Shorter known values are not searched for: a 4-character secret would match ordinary text everywhere. */
export const MIN_KNOWN_SECRET_LENGTH = 8;

interface Shape {
  kind: CredentialKind;
  /** Literal substrings a match starts with: the pattern is tried only where one of them occurs. */
  hints: readonly string[];
  /** Sticky (`y`): it is run at each hint position, never slid along the text. */
  pattern: RegExp;
  /** The capture group holding the secret when the match also covers a label; it ends the match. */
  group?: number;
  /**
   * Allowed length of the secret. The linear-time engine refuses counts above 16, so a pattern says
   * `{16,}` and the exact length is checked here.
   */
  length?: readonly [min: number, max: number];
  /** A second look at a candidate the pattern alone cannot judge. */
  confirm?: (match: string) => boolean;
}

/**
 * Three segments (header and payload of 8+ characters past the `eyJ`), and the first must decode to a
 * JSON object naming an algorithm: `eyJ…` alone is not enough.
 */
function isJwt(token: string): boolean {
  const [header, payload, signature] = token.split('.');
  if (signature === undefined || header!.length < 11 || payload!.length < 8) return false;
  try {
    const parsed = JSON.parse(Buffer.from(header!, 'base64url').toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null && typeof (parsed as { alg?: unknown }).alg === 'string';
  } catch {
    return false;
  }
}

// Case variants are spelled out instead of using the `i` flag: V8 has no linear-time fallback for it.
// Every pattern ends where its secret ends (a capture group, when there is one, is the match's tail).
// Each pattern is tried only at the positions where one of its hints occurs, skipping those inside an
// earlier match, and either fails within a bounded distance of its start or, once past its prefix,
// cannot fail and consumes its run (length and structure are then checked outside the regex). So the
// total work stays linear even on a response made of hints, and no single run of a pattern backtracks
// enough to fall back to V8's slower linear-time engine.
// Token shapes with a distinctive prefix match wherever the prefix starts, with no word boundary in
// front: `xbwk_<key>` or `id=_ghp_…` glued to other text is still the whole credential.
const SHAPES: readonly Shape[] = [
  { kind: 'aws-access-key-id', hints: ['AKIA', 'ASIA'], pattern: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/y },
  {
    kind: 'aws-secret-key',
    hints: ['SECRET_ACCESS_KEY', 'secret_access_key', 'SecretAccessKey', 'secretAccessKey'],
    pattern: /(?:SECRET_ACCESS_KEY|secret_access_key|SecretAccessKey|secretAccessKey)["']?\s{0,4}[:=]\s{0,4}["']?([A-Za-z0-9/+]{16,})/y,
    group: 1,
    length: [40, 40],
  },
  {
    // The body runs on while it looks like PEM (base64, headers, real or JSON-escaped line breaks), END
    // line included, so a truncated key is redacted as far as it goes. A backslash counts only as \n or
    // \r: eating the one of an escaped quote would break the JSON log line the match sits in.
    kind: 'private-key',
    hints: ['-----BEGIN'],
    pattern: /-----BEGIN[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----(?:[A-Za-z0-9+/=\s:,.-]|\\[nr])*/y,
  },
  {
    kind: 'jwt',
    hints: ['eyJ'],
    pattern: /eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2}/y,
    confirm: isJwt,
  },
  { kind: 'bearer-token', hints: ['Bearer', 'bearer', 'BEARER', 'Basic', 'basic', 'BASIC'], pattern: /\b(?:Bearer|bearer|BEARER|Basic|basic|BASIC)\s{1,4}([A-Za-z0-9._~+/-]{16,}=*)/y, group: 1 },
  { kind: 'bulwark-api-key', hints: ['bwk_'], pattern: /bwk_[A-Za-z0-9]{8,12}_[A-Za-z0-9_-]{16,}/y },
  { kind: 'github-token', hints: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'], pattern: /gh[pousr]_[A-Za-z0-9]{16,}/y, length: [40, 40] },
  { kind: 'github-token', hints: ['github_pat_'], pattern: /github_pat_[A-Za-z0-9_]{16,}/y, length: [50, 255] },
  { kind: 'slack-token', hints: ['xox'], pattern: /xox[abposr]-[A-Za-z0-9-]{10,}/y },
  { kind: 'stripe-key', hints: ['sk_live_', 'rk_live_', 'sk_test_', 'rk_test_'], pattern: /[sr]k_(?:live|test)_[A-Za-z0-9]{16,}/y },
  { kind: 'google-api-key', hints: ['AIza'], pattern: /AIza[A-Za-z0-9_-]{16,}/y, length: [39, 39] },
];

/** Where any of `hints` occurs in `text`, ascending; empty (one indexOf per hint) in ordinary text. */
function hintPositions(text: string, hints: readonly string[]): number[] {
  const at: number[] = [];
  for (const hint of hints) {
    for (let i = text.indexOf(hint); i >= 0; i = text.indexOf(hint, i + 1)) at.push(i);
  }
  return hints.length > 1 ? at.sort((a, b) => a - b) : at;
}

/** Every pattern the scanner runs, for the linear-time proof in scanner.test.ts. */
export const scannerPatterns: readonly RegExp[] = SHAPES.map((s) => s.pattern);

/** The value and the encodings a function would most plausibly use to smuggle it out. */
function formsOf(values: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const value of values) {
    if (value.length < MIN_KNOWN_SECRET_LENGTH) continue;
    const bytes = Buffer.from(value, 'utf8');
    forms.add(value);
    // Padded, so the `=` goes too, and unpadded, as many encoders write it.
    forms.add(bytes.toString('base64'));
    forms.add(bytes.toString('base64').replace(/=+$/, ''));
    forms.add(bytes.toString('base64url'));
    forms.add(bytes.toString('hex'));
    forms.add(bytes.toString('hex').toUpperCase());
    forms.add(encodeURIComponent(value));
    // As a JSON string holds it: every JSON body and every gateway log line (scanned as JSON text) escapes
    // quotes, backslashes and control characters, and ASCII-only encoders write the rest as \uXXXX.
    const json = JSON.stringify(value).slice(1, -1);
    forms.add(json);
    forms.add(json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  }
  return [...forms];
}

export interface ScanOptions {
  /**
   * For text whose case was folded on the way (HTTP header names are lower-cased): known values are
   * compared case-insensitively and the shapes run over the upper- and lower-cased text. For ASCII text,
   * whose offsets case folding keeps.
   */
  ignoreCase?: boolean;
}

export interface Scanner {
  /** Every finding in `text`, ordered by position, overlaps merged. */
  scan(text: string, opts?: ScanOptions): Finding[];
  /** `text` with each finding replaced by `[REDACTED:<kind>]`, and the findings. */
  redact(text: string): { text: string; findings: Finding[] };
}

export function createScanner(known?: KnownSecretSource): Scanner {
  let lastValues: readonly string[] | undefined;
  let knownForms: string[] = [];
  let lowerForms: { of: string[]; forms: string[] } = { of: [], forms: [] };

  function currentForms(): string[] {
    if (!known) return knownForms;
    const values = known.secretValues();
    if (values !== lastValues) {
      lastValues = values;
      knownForms = formsOf(values);
    }
    return knownForms;
  }

  function currentLowerForms(): string[] {
    const forms = currentForms();
    if (lowerForms.of !== forms) lowerForms = { of: forms, forms: [...new Set(forms.map((f) => f.toLowerCase()))] };
    return lowerForms.forms;
  }

  function scan(text: string, opts?: ScanOptions): Finding[] {
    if (!opts?.ignoreCase) return merged(find(text, currentForms()));
    return merged([...find(text.toLowerCase(), currentLowerForms()), ...find(text.toUpperCase(), [])]);
  }

  function find(text: string, forms: readonly string[]): Finding[] {
    const found: Finding[] = [];
    for (const form of forms) {
      for (let at = text.indexOf(form); at >= 0; at = text.indexOf(form, at + form.length)) {
        found.push({ kind: 'known-secret', start: at, end: at + form.length });
      }
    }
    for (const shape of SHAPES) {
      let skipTo = 0;
      for (const at of hintPositions(text, shape.hints)) {
        if (at < skipTo) continue;
        shape.pattern.lastIndex = at;
        const m = shape.pattern.exec(text);
        if (!m) continue;
        const end = at + m[0].length;
        skipTo = end;
        if (shape.confirm && !shape.confirm(m[0])) continue;
        const length = shape.group === undefined ? m[0].length : m[shape.group]!.length;
        if (shape.length && (length < shape.length[0] || length > shape.length[1])) continue;
        found.push({ kind: shape.kind, start: end - length, end });
      }
    }
    return found;
  }

  function merged(found: Finding[]): Finding[] {
    if (found.length < 2) return found;
    // A known secret wins over a shape at the same place (listed first, sorted stably), then overlaps merge.
    found.sort((a, b) => a.start - b.start);
    const merged: Finding[] = [found[0]!];
    for (const f of found.slice(1)) {
      const last = merged[merged.length - 1]!;
      if (f.start < last.end) last.end = Math.max(last.end, f.end);
      else merged.push(f);
    }
    return merged;
  }

  return {
    scan,
    redact(text) {
      const findings = scan(text);
      if (findings.length === 0) return { text, findings };
      let out = '';
      let from = 0;
      for (const f of findings) {
        out += `${text.slice(from, f.start)}[REDACTED:${f.kind}]`;
        from = f.end;
      }
      return { text: out + text.slice(from), findings };
    },
  };
}

/** One kind of credential found, as a dlp.leak event reports it: how often, and a SHA-256 prefix of the first match. */
export interface Leak {
  kind: CredentialKind;
  count: number;
  evidence: string;
}

/** Collects findings across the several texts of one response or log line, one Leak per kind. */
export class LeakTally {
  readonly #byKind = new Map<CredentialKind, Leak>();

  note(text: string, findings: readonly Finding[]): void {
    for (const f of findings) {
      const seen = this.#byKind.get(f.kind);
      if (seen) seen.count++;
      // The evidence is a digest prefix: enough to correlate two events, never enough to recover a secret.
      else this.#byKind.set(f.kind, { kind: f.kind, count: 1, evidence: sha256Hex(Buffer.from(text.slice(f.start, f.end))).slice(0, 12) });
    }
  }

  leaks(): Leak[] {
    return [...this.#byKind.values()];
  }
}
