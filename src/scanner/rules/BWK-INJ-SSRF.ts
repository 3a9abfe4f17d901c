// Server-side request forgery: request data chooses where the function connects (scheme, host or the
// whole URL). A fixed `https://host/` prefix with input only in the path, or an allowlist check on the
// parsed host, is the fix; the sandbox's egress allowlist limits the damage at run time.

import type { NodePath } from '@babel/traverse';
import type { JsRuleContext } from '../engine/js/context.ts';
import { argPaths, type CallPath, definition, propertyPath, reportTainted, taintCandidate } from '../engine/js/rule-kit.ts';
import type { Rule } from '../types.ts';

/** Text that must appear in a file for this rule to have anything to look at. */
const sinkTokens = /fetch|undici|axios|\bgot\b|needle|superagent|request|\bhttps?\b|\bky\b|WebSocket|\bws\b/;

const urlFirst = /^(?:fetch|globalThis\.fetch|undici\.(?:fetch|request|stream)|axios(?:\.(?:get|post|put|patch|delete|head|options|request))?|got(?:\.(?:get|post|put|patch|delete|head|stream))?|node-fetch|cross-fetch|isomorphic-fetch|needle(?:\.(?:get|post|request))?|superagent(?:\.(?:get|post|put|delete))?|request(?:\.(?:get|post))?|ky(?:\.(?:get|post))?|http\.(?:request|get)|https\.(?:request|get)|WebSocket|ws)$/;
const urlProps = ['url', 'baseURL', 'host', 'hostname', 'uri', 'href', 'origin'];

export const rule: Rule<JsRuleContext> = {
  meta: {
    id: 'BWK-INJ-SSRF',
    engine: 'js',
    severity: 'high',
    owasp: 'SAS-1',
    cwe: ['CWE-918'],
    description: 'Handler input decides the URL or host of an outbound request (fetch, undici, axios, got, http.request).',
    fix: 'Build URLs from a fixed origin and put input only in encoded path or query parts, or check the parsed host against an allowlist before the request.',
    messages: {
      tainted: 'Input from `{{source}}` decides the target of the outbound request made by {{sink}}',
    },
    mitigatedBy: ['egress', 'injection', 'schema'],
  },
  check(context) {
    if (!taintCandidate(context, sinkTokens)) return;
    context.visit({
      'CallExpression|NewExpression'(p) {
        const path = p as CallPath;
        const name = context.resolve(path);
        if (name === null || !urlFirst.test(name)) return;
        const args = argPaths(path);
        if (!args[0]) return;
        const first = definition(args[0]);
        if (first.isObjectExpression()) {
          // axios({ url }), http.request({ host, path })
          for (const prop of urlProps) {
            const v: NodePath | null = propertyPath(first, prop);
            if (v && reportTainted(context, v, 'ssrf', path, 'tainted', { sink: name })) return;
          }
          return;
        }
        reportTainted(context, args[0], 'ssrf', path, 'tainted', { sink: name });
      },
    });
  },
};
