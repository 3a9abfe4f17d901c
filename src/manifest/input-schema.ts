// The one way a function's input JSON Schema is compiled, shared by the manifest loader (which proves at
// deploy time that the schema compiles) and the gateway's schema guard (which runs it on every request),
// so a schema accepted at deploy can never fail to compile at request time.
//
// strictSchema: a typo such as `requried` or an unknown format is a compile error instead of a schema
// that silently accepts everything. The stricter style checks (strictRequired, strictTypes, strictTuples)
// stay off: they reject schemas that are valid and common. A fresh Ajv per schema: two functions may use the same $id without
// colliding, and no remote $ref is ever fetched (no loadSchema).
//
// ReDoS: `pattern` and `patternProperties` come from the function's author and run on the gateway's
// event loop against caller input. On the default backtracking engine `^(a|a)+$` against thirty a's and a
// `!` takes seconds, during which the gateway answers nobody. Two V8 features together close that:
//  - the gate: every author pattern must compile for V8's linear-time engine (the `l` flag). That
//    engine has no backreferences, no lookahead, no `u`/`v` flag and no counted repetition past 16; a
//    pattern it refuses is refused at deploy (LinearPatternError) with the reason.
//  - the run: the pattern then executes as an ordinary RegExp on the fast backtracking engine, with
//    --enable-experimental-regexp-engine-on-excessive-backtracks set, so a match that backtracks too much
//    is restarted on the linear engine. The restart needs a pattern that engine can run, which is what
//    the gate proved. (The linear engine on every match costs ~25-45x on ordinary patterns.)
// The restart never happens for a `u`/`v` RegExp (verified on Node 26: `^(a|a)+$` with `u` is as
// exponential with the flag as without), so patterns run without `u`. Its meaning is kept with `u`'s
// (JSON Schema's) reading: patterns must be valid with `u`; escapes whose meaning changes without it
// (`\p{…}`, `\u{…}`, surrogates, \uFFFF) are refused; and an input holding characters outside the BMP
// has each one replaced by U+FFFF before matching, which every construct left treats as `u` treats the
// character (one code point: matched by `.`, `[^…]`, `\S`, `\W`, never by a class that could name it).
// Counted repetition past 16 cannot be let through on the strength of the fallback: with no linear
// engine to restart on, `^(a{1,20})+$` backtracks exponentially. ajv-formats' own expressions are fixed.

import v8 from 'node:v8';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under Node's ESM loader its callable export is the module's default.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

// Process-wide and idempotent; set before the first pattern is compiled (a RegExp takes its backtrack
// limit when compiled). Checked at once so a Node without the engine fails at start-up, not at a deploy.
// The fallback also protects every other RegExp in the process that the linear engine can run.
v8.setFlagsFromString('--enable-experimental-regexp-engine');
v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
try {
  new RegExp('', 'l');
} catch {
  throw new Error('this Node.js lacks V8\'s linear-time RegExp engine (--enable-experimental-regexp-engine); Bulwark needs it to run input schemas safely');
}

/** An author pattern the linear-time engine cannot run: refused at deploy, with the reason. */
export class LinearPatternError extends Error {
  readonly pattern: string;
  readonly reason: string;

  constructor(pattern: string, reason: string) {
    super(`pattern ${JSON.stringify(pattern)} ${reason}`);
    this.name = 'LinearPatternError';
    this.pattern = pattern;
    this.reason = reason;
  }
}

/** An escape at an unescaped backslash: `\p{`, `\P{` or `\u{`, which mean something else without `u`. */
const UNICODE_ESCAPE = /(?:^|[^\\])(?:\\\\)*\\(?:[pP]|u\{)/;
/**
 * A surrogate or U+FFFF in the pattern, raw or as `\uXXXX`: with `u` a surrogate pair is one code point,
 * and U+FFFF is the stand-in for characters outside the BMP (see matcher), so a pattern naming either
 * would match differently. Over-matching an escaped backslash before `u` only refuses, never lets through.
 */
const ASTRAL_OR_STANDIN = /[\uD800-\uDFFF\uFFFF]|\\u(?:[dD][89a-fA-F][0-9a-fA-F]{2}|[fF]{4})/;
/** A character outside the BMP (a surrogate pair), or a lone surrogate, in the input. */
const NON_BMP = /[\uD800-\uDBFF][\uDC00-\uDFFF]|[\uD800-\uDFFF]/g;
const STAND_IN = '\uFFFF';

/** Why the linear-time engine refused `pattern`, in words a schema author can act on. */
function linearReason(pattern: string): string {
  if (/\\[1-9]|\\k</.test(pattern)) return 'uses a backreference, which cannot run in linear time: remove it';
  if (/\(\?[=!]/.test(pattern)) return 'uses a lookahead (?= or (?!, which cannot run in linear time: remove it';
  const counts = [...pattern.matchAll(/\{([0-9]+)(?:,([0-9]*))?\}/g)].flatMap((m) => [Number(m[1]), Number(m[2] || 0)]);
  if (counts.some((n) => n > 16)) {
    return 'repeats a part more than 16 times ({n,m}), which cannot run in linear time: use + or * and bound the length with minLength/maxLength';
  }
  return 'cannot run in linear time: avoid backreferences, lookahead, inline modifiers like (?i:…) and nested counted repetition';
}

interface Matcher {
  test(s: string): boolean;
  /** ajv caches compiled patterns by this string: it must differ per pattern. */
  toString(): string;
}

/** Runs `re` (no `u` flag) with `u`'s reading of the input: each non-BMP character is one stand-in. */
function matcher(re: RegExp): Matcher {
  return {
    test: (s) => re.test(s.replace(NON_BMP, STAND_IN)),
    toString: () => String(re),
  };
}

/**
 * ajv's RegExp engine for author patterns: proved linear-safe by the `l` gate, then run on the default
 * engine with the linear fallback (see the top of this file), or a LinearPatternError.
 */
function linearRegExp(pattern: string): Matcher {
  try {
    new RegExp(pattern, 'u'); // syntax check only: never executed
  } catch (err) {
    throw new LinearPatternError(pattern, `is not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
  if (UNICODE_ESCAPE.test(pattern)) {
    throw new LinearPatternError(pattern, 'uses a \\p{…} or \\u{…} escape, which the linear-time engine does not support: use explicit character ranges');
  }
  if (ASTRAL_OR_STANDIN.test(pattern)) {
    throw new LinearPatternError(pattern, 'names a character outside the Basic Multilingual Plane, a surrogate or U+FFFF, which the linear-time engine cannot match as one character: match such characters with . or a negated class');
  }
  try {
    new RegExp(pattern, 'l'); // the gate: never executed
  } catch {
    throw new LinearPatternError(pattern, linearReason(pattern));
  }
  return matcher(new RegExp(pattern));
}
// ajv emits `<code>(pattern, flags)` for standalone builds; this engine is only ever used in process.
linearRegExp.code = 'linearRegExp';

export interface CompileOptions {
  /**
   * Read strings as the numbers, booleans and arrays the schema asks for: query strings, path
   * parameters and headers are text on the wire (`?limit=10` is "10"), so their schemas would otherwise
   * have to spell every number as a string pattern. Coercion rewrites the data it validates: validate a
   * copy. Bodies are never coerced: JSON already has types.
   */
  coerce?: boolean;
}

export function compileInputSchema(schema: Record<string, unknown>, opts: CompileOptions = {}): ValidateFunction {
  const ajv = new Ajv({
    allErrors: false,
    strictSchema: true,
    strictNumbers: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    coerceTypes: opts.coerce ? 'array' : false,
    useDefaults: false,
    logger: false,
    // Patterns run without `u` (the linear fallback needs that); see linearRegExp.
    unicodeRegExp: false,
    code: { regExp: linearRegExp },
  });
  addFormats(ajv);
  return ajv.compile(schema);
}

const MAX_REASON = 160;

/**
 * The first failure of `validate` as a short reason naming where (`query/limit must be integer`): the
 * location and the rule, never the offending value, so a 400 or a dead-letter record does not echo what
 * the caller sent. Bounded, and free of control characters, which a crafted property name could use to
 * forge log lines.
 */
export function describeSchemaFailure(validate: ValidateFunction, part: string): string {
  const e = validate.errors?.[0];
  if (!e) return `${part} is invalid`;
  const extra = e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: unknown }).additionalProperty)})` : '';
  const text = `${part}${e.instancePath} ${e.message ?? 'is invalid'}${extra}`;
  return text.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, MAX_REASON);
}
