// Regex injection: a pattern compiled from request data lets a caller supply a catastrophic pattern
// (ReDoS) or change what a check matches. Escaping the input (escapeRegExp, the `\\$&` replace) fixes it.

import type { JsRuleContext } from '../engine/js/context.ts';
import { argPaths, type CallPath, reportTainted, taintCandidate } from '../engine/js/rule-kit.ts';
import type { Rule } from '../types.ts';

/** Text that must appear in a file for this rule to have anything to look at. */
const sinkTokens = /\bRegExp\b/;

export const rule: Rule<JsRuleContext> = {
  meta: {
    id: 'BWK-INJ-REGEX',
    engine: 'js',
    severity: 'medium',
    owasp: 'SAS-8',
    cwe: ['CWE-1333', 'CWE-625'],
    description: 'A regular expression is compiled from handler input (new RegExp / RegExp()).',
    fix: 'Escape input before putting it in a pattern (replace /[.*+?^${}()|[\\]\\\\]/g with "\\\\$&"), or match with string methods such as includes().',
    messages: {
      tainted: 'Input from `{{source}}` is compiled into a regular expression by {{sink}}',
    },
    mitigatedBy: ['injection', 'schema'],
  },
  check(context) {
    if (!taintCandidate(context, sinkTokens)) return;
    context.visit({
      'CallExpression|NewExpression'(p) {
        const path = p as CallPath;
        if (context.resolve(path) !== 'RegExp') return;
        const [pattern] = argPaths(path);
        if (pattern) reportTainted(context, pattern, 'regex', path, 'tainted', { sink: 'RegExp' });
      },
    });
  },
};
