// What every detector module exports. A detector looks at one decoded form of one string at a time
// and says yes or no; it never sees the request, never decodes and never keeps state. Decoding,
// budgets and the order of checks are the guard's (../scan.ts).
//
// Patterns never carry the `i` flag: they run on the lower-cased text instead, so that each one can
// be compiled by V8's linear-time engine (which refuses `i`), the engine the backtrack fallback set in
// src/manifest/input-schema.ts restarts a runaway match on. ../patterns.test.ts checks every pattern.

export type InjectionClass =
  | 'sql'
  | 'nosql'
  | 'command'
  | 'js'
  | 'traversal'
  | 'ssrf'
  | 'xxe'
  | 'prototype'
  | 'serialized'
  | 'template';

/** One decoded form of a string. */
export interface Inspected {
  text: string;
  /** `text` lower-cased, what the patterns run on. */
  lower: string;
  /** Which characters it contains (F bits), from one pass over it: what rules are gated on. */
  features: number;
}

/** Feature bits: a rule whose gate names bits runs only on text holding one of those characters. */
export const F = {
  QUOTE: 1 << 0, // ' "
  BACKTICK: 1 << 1,
  SEMI: 1 << 2,
  AMP: 1 << 3,
  PIPE: 1 << 4,
  DOLLAR: 1 << 5,
  PAREN: 1 << 6, // ( )
  BRACE: 1 << 7, // { }
  BRACKET: 1 << 8, // [ ]
  ANGLE: 1 << 9, // < >
  BACKSLASH: 1 << 10,
  SLASH: 1 << 11,
  PERCENT: 1 << 12,
  COLON: 1 << 13,
  HASH: 1 << 14,
  EQ: 1 << 15,
  NEWLINE: 1 << 16, // \n \r
  NUL: 1 << 17,
  DOTDOT: 1 << 18, // two dots in a row
  AT: 1 << 19,
  BANG: 1 << 20,
  STAR: 1 << 21,
  MINUS: 1 << 22,
  UNDERSCORE: 1 << 23,
  DIGIT_START: 1 << 24, // the first character that is not a space is a digit (or a minus sign)
  DOT: 1 << 25,
  NON_ASCII: 1 << 26,
} as const;

const CHAR_FEATURES = new Uint32Array(128);
for (const [chars, bit] of [
  ['\'"', F.QUOTE], ['`', F.BACKTICK], [';', F.SEMI], ['&', F.AMP], ['|', F.PIPE], ['$', F.DOLLAR], ['()', F.PAREN], ['{}', F.BRACE],
  ['[]', F.BRACKET], ['<>', F.ANGLE], ['\\', F.BACKSLASH], ['/', F.SLASH], ['%', F.PERCENT], [':', F.COLON], ['#', F.HASH], ['=', F.EQ],
  ['\n\r', F.NEWLINE], ['\u0000', F.NUL], ['@', F.AT], ['!', F.BANG], ['*', F.STAR], ['-', F.MINUS], ['_', F.UNDERSCORE], ['.', F.DOT],
] as const) {
  for (const c of chars) CHAR_FEATURES[c.charCodeAt(0)]! |= bit;
}

/** The F bits of `text`: one pass, a table lookup per character. */
export function features(text: string): number {
  let mask = 0;
  let start = -1;
  let previous = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    mask |= c < 128 ? CHAR_FEATURES[c]! : F.NON_ASCII;
    if (c === 46 && previous === 46) mask |= F.DOTDOT;
    if (start < 0 && c !== 32 && c !== 9) start = c;
    previous = c;
  }
  if ((start >= 48 && start <= 57) || start === 45) mask |= F.DIGIT_START;
  return mask;
}

export interface ValueContext {
  /** The object key the value sits under, when there is one (`@type` → a class name). */
  key: string | undefined;
  /** The string is a whole request body declared or recognised as XML: any DTD counts. */
  xmlBody: boolean;
  /** The string is a whole raw request body (not JSON, not a form), not a field's value. */
  rawBody: boolean;
}

export interface Detector {
  readonly id: InjectionClass;
  /** Every pattern the detector runs on caller input (../patterns.test.ts proves each linear-time). */
  readonly patterns: readonly RegExp[];
  /** Checks a string value (and, outside exempt fields, an object key read as text). */
  value?(s: Inspected, ctx: ValueContext): boolean;
  /** Checks an object key by its shape; runs in exempt fields too. `parent` is the enclosing key. */
  key?(segment: string, parent: string | undefined): boolean;
}

/**
 * A pattern behind a gate: feature bits the text must have one of (0: no requirement), then words it
 * must contain one of (null: no requirement). Every string pays the gates, mostly a bitwise and; only
 * suspicious ones pay the patterns, which keeps the guard's cost per request in microseconds.
 */
export type Rule = readonly [bits: number, words: readonly string[] | null, pattern: RegExp];

function containsAny(text: string, words: readonly string[]): boolean {
  for (const word of words) if (text.includes(word)) return true;
  return false;
}

export function anyRule(s: Inspected, rules: readonly Rule[], text = s.lower): boolean {
  for (const [bits, words, pattern] of rules) {
    if (bits !== 0 && (s.features & bits) === 0) continue;
    if (words !== null && !containsAny(text, words)) continue;
    if (pattern.test(text)) return true;
  }
  return false;
}

/** The patterns of a rule list. */
export function rulePatterns(rules: readonly Rule[]): RegExp[] {
  return rules.map(([, , pattern]) => pattern);
}
