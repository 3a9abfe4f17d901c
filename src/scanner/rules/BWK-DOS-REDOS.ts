// Catastrophic backtracking: a regex literal (or a constant `new RegExp('…')`) whose matching time grows
// exponentially or polynomially with crafted input, checked with recheck. Only patterns with nested or
// repeated unbounded quantifiers are sent to recheck (a pattern without them cannot backtrack
// super-linearly), and each pattern is checked once per process.

import { checkSync } from 'recheck';
import type * as t from '@babel/types';
import type { JsRuleContext } from '../engine/js/context.ts';
import type { Rule } from '../types.ts';

/**
 * The shapes that can backtrack super-linearly: a quantified group that contains a quantifier or an
 * alternation (exponential), or two unbounded quantified atoms separated by at most a few characters
 * (polynomial, e.g. `\s*,\s*$`). Anything else is linear and is not sent to recheck.
 */
const nestedQuantifier = /\((?:[^()\\]|\\.)*(?:[*+}]|\|)(?:[^()\\]|\\.)*\)[*+{]/;
const adjacentQuantifiers = /(?:\\[sdwSDW]|\.|\[[^\]]*\])[*+]\??[^*+()|]{0,3}(?:\\[sdwSDW]|\.|\[[^\]]*\])[*+]/;
function mayBacktrack(pattern: string): boolean {
  return nestedQuantifier.test(pattern) || adjacentQuantifiers.test(pattern);
}

/**
 * Text pre-filter on the whole file: a quantified group, or two quantified atoms close together. A file
 * without either holds no pattern that mayBacktrack() would pass, so it is not even parsed.
 */
const regexCandidate = /\)[*+]|\)\{\d+,\d*\}|(?:\\[sdwSDW]|\.|\])[*+][^\n]{0,40}?(?:\\[sdwSDW]|\.|\])[*+]/;

/**
 * recheck's synchronous checker costs milliseconds per short pattern but seconds on long generated
 * ones (URL validators, embedded data); those are left out, and a check that still times out after its
 * retry (CheckerTiming) counts as safe.
 */
const MAX_PATTERN = 160;

export interface CheckerTiming {
  /** recheck's budget for a pattern's first check. */
  checkMs: number;
  /**
   * The budget of the one retry a timed-out pattern gets before it counts as a timeout. recheck's
   * timeout is wall time: a pattern that needs 5–20 ms on an idle machine (the corpus has several)
   * overran 50 ms on a loaded one, and the finding was lost. A gate's verdict must not depend on load.
   */
  retryMs: number;
  /** Retries per file: with MAX_TIMEOUTS_PER_FILE, bounds a file's cost (20 × 50 ms + 2 × 500 ms ≈ 2 s). */
  retriesPerFile: number;
}
const TIMING: CheckerTiming = { checkMs: 50, retryMs: 500, retriesPerFile: 2 };
/**
 * Checks that ran into the timeout (after any retry), per file, before the rest of the file's patterns
 * go unchecked: a file of thousands of distinct hard patterns must cost a bounded time, not 50 ms each.
 * Going over is reported as a scan problem on that file, not passed over in silence.
 */
export const MAX_TIMEOUTS_PER_FILE = 20;

/** A file's share of the checker's time: its timeouts and retries so far. */
export interface FileBudget {
  timeouts: number;
  retries: number;
}

/** Results by `flags/pattern`: the same literal shows up in many files of a dependency tree. */
export function createChecker(timing: CheckerTiming = TIMING) {
  const cache = new Map<string, string | null>();
  let warm = false;
  const run = (pattern: string, flags: string, timeout: number): { verdict: string | null; timedOut: boolean } => {
    try {
      const r = checkSync(pattern, flags, { timeout });
      if (r.status === 'vulnerable') return { verdict: r.complexity.type === 'exponential' ? 'exponential' : `polynomial (degree ${r.complexity.degree})`, timedOut: false };
      return { verdict: null, timedOut: r.status === 'unknown' && r.error.kind === 'timeout' };
    } catch {
      return { verdict: null, timedOut: false }; // a pattern recheck cannot parse is not one we can judge
    }
  };
  return (pattern: string, flags: string, budget: FileBudget): string | null => {
    const key = `${flags}/${pattern}`;
    if (cache.has(key)) return cache.get(key)!;
    if (budget.timeouts >= MAX_TIMEOUTS_PER_FILE) return null;
    let verdict: string | null = null;
    if (pattern.length <= MAX_PATTERN && mayBacktrack(pattern)) {
      // The first check starts recheck's worker and agent; it must not eat the first pattern's budget.
      if (!warm) {
        checkSync('a', '', { timeout: 5000 });
        warm = true;
      }
      const recheckFlags = flags.replace(/[^gimsuy]/g, '');
      let r = run(pattern, recheckFlags, timing.checkMs);
      const retried = r.timedOut && budget.retries < timing.retriesPerFile;
      if (retried) {
        budget.retries++;
        r = run(pattern, recheckFlags, timing.retryMs);
      }
      if (r.timedOut) budget.timeouts++;
      verdict = r.verdict;
      // A timeout without its retry (the file had used them) is not a verdict: a later file checks again.
      if (r.timedOut && !retried) return verdict;
    }
    cache.set(key, verdict);
    return verdict;
  };
}
const check = createChecker();

/**
 * Regex literals found in the text: a `/…/flags` after a token that cannot end an expression (so not
 * a division), and `RegExp('…')` with a constant string. Candidates are confirmed on the AST before a
 * finding is made, so text inside strings or comments never reports.
 */
const literalScan = /(?:^|[=(,:;!&|?{}[\n>]|\breturn|\btypeof)\s*(\/(?![*/])((?:[^/\\[\n]|\\.|\[(?:[^\]\\\n]|\\.)*\])+)\/([dgimsuyv]*))/gm;
const ctorScan = /\bRegExp\s*\(\s*((['"])((?:(?!\2)[^\\\n]|\\.)*)\2)\s*(?:,\s*['"]([a-z]*)['"])?/g;

interface Candidate {
  offset: number;
  pattern: string;
  complexity: string;
}

function unescapeString(raw: string): string {
  return raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}

/** Nodes of the file by start offset, for the few files with candidates (a plain walk, no traversal). */
function regexNodes(ast: t.Node): Map<number, t.Node> {
  const out = new Map<number, t.Node>();
  const stack: unknown[] = [ast];
  while (stack.length > 0) {
    const n = stack.pop();
    if (Array.isArray(n)) {
      for (const x of n) stack.push(x);
      continue;
    }
    if (!n || typeof n !== 'object' || typeof (n as t.Node).type !== 'string') continue;
    const node = n as t.Node;
    if (node.type === 'RegExpLiteral' && node.start != null) out.set(node.start, node);
    if ((node.type === 'NewExpression' || node.type === 'CallExpression') && node.callee.type === 'Identifier' && node.callee.name === 'RegExp') {
      const a = node.arguments[0];
      if (a?.type === 'StringLiteral' && a.start != null) out.set(a.start, node);
    }
    for (const key in node) {
      if (key === 'loc' || key === 'leadingComments' || key === 'trailingComments' || key === 'innerComments' || key === 'extra') continue;
      const v = (node as unknown as Record<string, unknown>)[key];
      if (v && typeof v === 'object') stack.push(v);
    }
  }
  return out;
}

export const rule: Rule<JsRuleContext> = {
  meta: {
    id: 'BWK-DOS-REDOS',
    engine: 'js',
    severity: 'medium',
    owasp: 'SAS-8',
    cwe: ['CWE-1333'],
    description: 'A regular expression literal can take exponential or polynomial time on crafted input (checked with recheck).',
    fix: 'Remove nested or overlapping quantifiers (e.g. (a+)+ → a+), bound repetitions, or limit the input length before matching.',
    messages: {
      vulnerable: 'Regular expression /{{pattern}}/ backtracks catastrophically: {{complexity}} matching time on crafted input',
    },
    mitigatedBy: ['body-limit', 'schema'],
  },
  check(context) {
    const src = context.source;
    if (!regexCandidate.test(src)) return;
    const candidates: Candidate[] = [];
    const budget: FileBudget = { timeouts: 0, retries: 0 };
    for (const m of src.matchAll(literalScan)) {
      const complexity = check(m[2]!, m[3]!, budget);
      if (complexity) candidates.push({ offset: m.index + m[0].length - m[1]!.length, pattern: m[2]!, complexity });
    }
    for (const m of src.matchAll(ctorScan)) {
      const pattern = unescapeString(m[3]!);
      const complexity = check(pattern, m[4] ?? '', budget);
      if (complexity) candidates.push({ offset: m.index + m[0].indexOf(m[1]!), pattern, complexity });
    }
    if (candidates.length > 0) {
      const nodes = regexNodes(context.ast);
      for (const c of candidates) {
        const node = nodes.get(c.offset);
        if (!node) continue;
        const shown = c.pattern.length > 60 ? `${c.pattern.slice(0, 57)}...` : c.pattern;
        context.report({ node, messageId: 'vulnerable', data: { pattern: shown, complexity: c.complexity } });
      }
    }
    // Thrown after the findings are in: the engine lists it as a problem on this file (a rule failure).
    if (budget.timeouts >= MAX_TIMEOUTS_PER_FILE) {
      throw new Error(`${MAX_TIMEOUTS_PER_FILE} regular expressions could not be checked in time (${TIMING.checkMs} ms each, ${TIMING.retryMs} ms for up to ${TIMING.retriesPerFile} retries); the file's remaining ones were not checked`);
    }
  },
};
