// OS command injection: request data in a command line that a shell interprets. `exec`/`execSync`
// always use a shell; `spawn`/`execFile` only with `shell` set. An argument array without a shell is
// the fix, so those calls are not sinks.

import type { JsRuleContext } from '../engine/js/context.ts';
import { argPaths, type CallPath, definition, isTruthyLiteral, propertyPath, reportTainted, taintCandidate } from '../engine/js/rule-kit.ts';
import type { Rule } from '../types.ts';

/** Text that must appear in a file for this rule to have anything to look at. */
const sinkTokens = /child_process|execa|shelljs/;

const shellAlways = new Set(['child_process.exec', 'child_process.execSync', 'shelljs.exec', 'execa.command', 'execa.commandSync', 'execa.execaCommand', 'execa.execaCommandSync']);
const shellOptional = new Set(['child_process.spawn', 'child_process.spawnSync', 'child_process.execFile', 'child_process.execFileSync', 'execa', 'execa.execa', 'execa.sync']);

export const rule: Rule<JsRuleContext> = {
  meta: {
    id: 'BWK-INJ-CMD',
    engine: 'js',
    severity: 'critical',
    owasp: 'SAS-1',
    cwe: ['CWE-78'],
    description: 'Handler input reaches a shell command (child_process exec/execSync, or spawn/execFile with a shell).',
    fix: 'Run the program with execFile/spawn and an argument array, without `shell`, and allowlist the values you pass.',
    messages: {
      tainted: 'Input from `{{source}}` reaches the shell command of {{sink}}',
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
        if (!args[0]) return;
        if (shellAlways.has(name)) {
          reportTainted(context, args[0], 'cmd', path, 'tainted', { sink: name });
          return;
        }
        if (!shellOptional.has(name)) return;
        const opts = args.map((a) => definition(a)).find((a) => a.isObjectExpression());
        if (!opts || !isTruthyLiteral(propertyPath(opts, 'shell'))) return;
        // With a shell the command and its arguments are joined into one command line.
        for (const arg of args) if (arg !== opts && reportTainted(context, arg, 'cmd', path, 'tainted', { sink: `${name} with shell` })) return;
      },
    });
  },
};
