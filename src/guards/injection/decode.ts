// The forms a string can take on its way to the handler. A payload can be URL-encoded once for the
// gateway and once more for the function (`%2527`), written as HTML entities (`&#39;`), as JavaScript
// or IIS escapes (`\u0027`, `%u0027`), as overlong UTF-8 that lenient decoders accept (`%c0%af` for
// `/`), as fullwidth or zero-width-split Unicode that NFKC folds back (`＇`, `un\u200bion`), or, in a
// field the manifest declares base64, base64. Each round applies every decoder once; the rounds repeat
// until nothing changes, and every distinct form is inspected: the raw one too, since decoding can also
// hide (a decoded `+` is a space).
//
// Every escape is longer than what it stands for, so decoding shortens a string; only NFKC can lengthen
// one (a ligature becomes two letters, U+FDFA eighteen), and it is idempotent. The work is bounded by the
// rounds, and every form is charged to the scan's character budget (scan.ts). A string still changing
// after `MAX_ROUNDS` rounds is reported, not inspected in part: `variants` returns undefined.

import { isUtf8 } from 'node:buffer';

/** Encoding layers unwrapped before a string counts as too deeply encoded to inspect. */
export const MAX_ROUNDS = 6;

const PERCENT = /(?:%[0-9a-fA-F]{2})+|%[uU][0-9a-fA-F]{4}/g;
const HAS_PERCENT = /%(?:[0-9a-fA-F]{2}|[uU][0-9a-fA-F]{4})/;
const PLUS = /\+/g;
const WHITESPACE = /\s/;
const ENTITY = /&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z]{2,8}));?/g;
const HAS_ENTITY = /&(?:#[0-9xX]|[A-Za-z]{2,8};)/;
const ESCAPE = /\\u\{([0-9a-fA-F]{1,6})\}|\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})/g;
const HAS_ESCAPE = /\\[ux]/;
const NON_ASCII = /[^\x00-\x7f]/;
/** Invisible characters that split a word for a pattern and vanish for a database or a shell. */
const INVISIBLE = /[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/g;
/** Slashes NFKC leaves alone but Windows' best-fit mapping turns into `/` and `\` (`%u2215`). */
const BEST_FIT_SLASH = /[\u2044\u2215\u29f8]/g;
const BEST_FIT_BACKSLASH = /[\u2216\u29f5\u29f9]/g;
/** A string some decoder would change: the one test a plain string pays. */
const ENCODED = /[%&\\+]|[^\x00-\x7f]/;
const BASE64 = /^(?:data:[\w.+-]+\/[\w.+-]+(?:;[\w=.-]+)*;base64,)?([A-Za-z0-9+/_-]+={0,2})$/;
const BASE64_WHITESPACE = /\s+/g;

/** Every pattern this module runs on caller input (for the linear-time test). */
export const decodePatterns: readonly RegExp[] = [PERCENT, HAS_PERCENT, PLUS, WHITESPACE, ENTITY, HAS_ENTITY, ESCAPE, HAS_ESCAPE, NON_ASCII, INVISIBLE, BEST_FIT_SLASH, BEST_FIT_BACKSLASH, ENCODED, BASE64, BASE64_WHITESPACE];

const NAMED: Record<string, string> = {
  lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", sol: '/', bsol: '\\', period: '.', colon: ':', semi: ';',
  lpar: '(', rpar: ')', lsqb: '[', rsqb: ']', lbrack: '[', rbrack: ']', lcub: '{', rcub: '}', lbrace: '{', rbrace: '}',
  grave: '`', equals: '=', excl: '!', num: '#', dollar: '$', percnt: '%', plus: '+', comma: ',', ast: '*',
  vert: '|', verbar: '|', quest: '?', commat: '@', hyphen: '-', dash: '-', lowbar: '_', tab: '\t', newline: '\n', nbsp: '\u00a0',
};

function fromCodePoint(cp: number): string | undefined {
  return cp <= 0x10ffff ? String.fromCodePoint(cp) : undefined;
}

/**
 * Bytes → text the way a lenient decoder reads them: overlong forms (`c0 af`) decode to the character
 * they spell (strict UTF-8 refuses them, IIS and old Java did not); a byte that starts no sequence is
 * left as its `%XX` text.
 */
function lenientUtf8(bytes: number[]): string {
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    const cont = (k: number) => i + k < bytes.length && (bytes[i + k]! & 0xc0) === 0x80;
    let cp: number | undefined;
    let n = 1;
    if (b < 0x80) cp = b;
    else if ((b & 0xe0) === 0xc0 && cont(1)) [cp, n] = [((b & 0x1f) << 6) | (bytes[i + 1]! & 0x3f), 2];
    else if ((b & 0xf0) === 0xe0 && cont(1) && cont(2)) [cp, n] = [((b & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f), 3];
    else if ((b & 0xf8) === 0xf0 && cont(1) && cont(2) && cont(3)) {
      [cp, n] = [((b & 0x07) << 18) | ((bytes[i + 1]! & 0x3f) << 12) | ((bytes[i + 2]! & 0x3f) << 6) | (bytes[i + 3]! & 0x3f), 4];
    }
    const ch = cp === undefined ? undefined : fromCodePoint(cp);
    out += ch ?? `%${b.toString(16).padStart(2, '0')}`;
    i += ch === undefined ? 1 : n;
  }
  return out;
}

/** %XX (runs of bytes, leniently) and %uXXXX; `+` is a space when the string is form-encoded. */
export function percentDecode(s: string): string {
  const formEncoded = HAS_PERCENT.test(s) || !WHITESPACE.test(s);
  const spaced = formEncoded && s.includes('+') ? s.replace(PLUS, ' ') : s;
  return spaced.replace(PERCENT, (run) => {
    if (run[1] === 'u' || run[1] === 'U') return String.fromCharCode(parseInt(run.slice(2), 16));
    const bytes: number[] = [];
    for (let i = 0; i < run.length; i += 3) bytes.push(parseInt(run.slice(i + 1, i + 3), 16));
    return lenientUtf8(bytes);
  });
}

export function htmlDecode(s: string): string {
  return s.replace(ENTITY, (whole, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
    if (dec !== undefined) return fromCodePoint(Number(dec)) ?? whole;
    if (hex !== undefined) return fromCodePoint(parseInt(hex, 16)) ?? whole;
    return NAMED[name!.toLowerCase()] ?? whole;
  });
}

/** \uXXXX, \u{X…}, \xXX */
export function unescapeJs(s: string): string {
  return s.replace(ESCAPE, (whole, braced: string | undefined, four: string | undefined, two: string | undefined) => {
    return fromCodePoint(parseInt(braced ?? four ?? two!, 16)) ?? whole;
  });
}

/** NFKC (fullwidth `．．／` → `../`, `①` → `1`), best-fit slashes, without invisible characters. */
export function fold(s: string): string {
  return s.normalize('NFKC').replace(INVISIBLE, '').replace(BEST_FIT_SLASH, '/').replace(BEST_FIT_BACKSLASH, '\\');
}

/**
 * The text inside a base64 (or base64url, or data: URL) value, or undefined when it is not base64 or
 * what it holds is not UTF-8 text. Binary (an image, a PDF) is not inspected: random bytes match short
 * patterns by chance. Serialized-object streams are binary too, but their base64 starts with a fixed
 * prefix (`rO0AB` for Java's AC ED 00 05) that the serialized detector finds in the base64 text itself.
 */
export function fromBase64(s: string): string | undefined {
  const m = BASE64.exec(s.replace(BASE64_WHITESPACE, ''));
  if (!m || m[1]!.length < 4) return undefined;
  const bytes = Buffer.from(m[1]!, 'base64');
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined;
}

function decodeOnce(s: string): string {
  let out = s;
  if (HAS_PERCENT.test(out) || (out.includes('+') && !WHITESPACE.test(out))) out = percentDecode(out);
  if (HAS_ENTITY.test(out)) out = htmlDecode(out);
  if (HAS_ESCAPE.test(out)) out = unescapeJs(out);
  if (NON_ASCII.test(out)) out = fold(out);
  return out;
}

/**
 * `text` and every distinct form decoding gives (in order, the raw text first), or undefined when it
 * is still changing after MAX_ROUNDS rounds. `base64`: the field is declared base64 in the manifest.
 */
export function variants(text: string, base64 = false): string[] | undefined {
  const out = [text];
  let current = text;
  if (base64) {
    const decoded = fromBase64(text);
    if (decoded !== undefined && decoded !== text) {
      out.push(decoded);
      current = decoded;
    }
  }
  if (!ENCODED.test(current)) return out;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const next = decodeOnce(current);
    if (next === current) return out;
    out.push(next);
    current = next;
  }
  return decodeOnce(current) === current ? out : undefined;
}
