// Code injection: request data evaluated as JavaScript (eval, Function, vm, string timers).

import type { JsRuleContext } from '../engine/js/context.ts';
import { argPaths, type CallPath, reportTainted, taintCandidate } from '../engine/js/rule-kit.ts';
import type { Rule } from '../types.ts';

/** Text that must appear in a file for this rule to have anything to look at. */
const sinkTokens = /\beval\b|\bFunction\b|\bvm\b|setTimeout|setInterval|setImmediate/;

const firstArgSinks = new Set([
  'eval', 'vm.runInNewContext', 'vm.runInThisContext', 'vm.runInContext', 'vm.compileFunction', 'vm.Script', 'vm.SourceTextModule',
  'setTimeout', 'setInterval', 'setImmediate', 'window.eval', 'globalThis.eval',
]);

export const rule: Rule<JsRuleContext> = {
  meta: {
    id: 'BWK-INJ-CODE',
    engine: 'js',
    severity: 'critical',
    owasp: 'SAS-1',
    cwe: ['CWE-94', 'CWE-95'],
    description: 'Handler input is evaluated as code by eval, Function, the vm module or a string passed to a timer.',
    fix: 'Never evaluate input: parse data with JSON.parse, map names to functions through an allowlist object, and pass functions to timers.',
    messages: {
      tainted: 'Input from `{{source}}` is evaluated as code by {{sink}}',
    },
    mitigatedBy: ['injection', 'schema'],
  },
  check(context) {
    if (!taintCandidate(context, sinkTokens)) return;
    context.visit({
      'CallExpression|NewExpression'(p) {
        const path = p as CallPath;
        const name = context.resolve(path);
        if (name === null) return;
        const args = argPaths(path);
        if (name === 'Function' || name === 'globalThis.Function') {
          for (const arg of args) if (reportTainted(context, arg, 'code', path, 'tainted', { sink: 'Function' })) return;
          return;
        }
        if (!firstArgSinks.has(name) || !args[0]) return;
        if (args[0].isFunction()) return; // a callback, not a string of code
        reportTainted(context, args[0], 'code', path, 'tainted', { sink: name });
      },
    });
  },
};
