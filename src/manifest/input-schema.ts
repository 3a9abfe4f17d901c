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
// `!` takes seconds, during which the gateway answers nobody. Every author pattern is therefore compiled
// for V8's linear-time engine (the `l` flag), whose matching time grows linearly with the input whatever
// the pattern. That engine has no backreferences, no lookahead, no `u`/`v` flag and no counted
// repetition past 16; a pattern needing one of them is refused at deploy (LinearPatternError) rather
// than run on the backtracking engine. ajv-formats' own regular expressions are fixed and not affected.

import v8 from 'node:v8';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under Node's ESM loader its callable export is the module's default.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

// Process-wide and idempotent; it must be set before the first `l` pattern is compiled. Checked at once
// so a Node without the engine fails at start-up instead of at the first deploy.
v8.setFlagsFromString('--enable-experimental-regexp-engine');
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

/**
 * ajv's RegExp engine for author patterns: linear time or a LinearPatternError. Patterns must also be
 * valid with the `u` flag (the JSON Schema reading of ECMA-262), but run without it, as the linear
 * engine requires; `\p{…}` and `\u{…}` escapes, whose meaning would change, are refused.
 */
function linearRegExp(pattern: string): RegExp {
  try {
    new RegExp(pattern, 'u'); // syntax check only: never executed
  } catch (err) {
    throw new LinearPatternError(pattern, `is not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
  if (UNICODE_ESCAPE.test(pattern)) {
    throw new LinearPatternError(pattern, 'uses a \\p{…} or \\u{…} escape, which the linear-time engine does not support: use explicit character ranges');
  }
  try {
    return new RegExp(pattern, 'l');
  } catch {
    throw new LinearPatternError(pattern, linearReason(pattern));
  }
}
// ajv emits `<code>(pattern, flags)` for standalone builds; this engine is only ever used in process.
linearRegExp.code = 'linearRegExp';

export function compileInputSchema(schema: Record<string, unknown>): ValidateFunction {
  const ajv = new Ajv({
    allErrors: false,
    strictSchema: true,
    strictNumbers: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    coerceTypes: false,
    useDefaults: false,
    logger: false,
    // The linear engine takes no `u` flag; see linearRegExp.
    unicodeRegExp: false,
    code: { regExp: linearRegExp },
  });
  addFormats(ajv);
  return ajv.compile(schema);
}
