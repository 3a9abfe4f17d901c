// XML external entities: request XML parsed by libxml with entity substitution (`noent: true`) or
// external DTD loading turned on, which reads local files and makes requests on the parser's behalf.

import type { JsRuleContext } from '../engine/js/context.ts';
import { argPaths, type CallPath, definition, isTruthyLiteral, propertyPath, reportTainted, taintCandidate } from '../engine/js/rule-kit.ts';
import type { Rule } from '../types.ts';

/** Text that must appear in a file for this rule to have anything to look at. */
const sinkTokens = /libxmljs/;

const parsers = /^(?:libxmljs2?|libxmljs)\.(?:parseXml|parseXmlString|parseXmlAsync|Document\.fromXml)$|^libxmljs2?$/;
const dangerous = ['noent', 'dtdload', 'dtdvalid', 'huge'];

export const rule: Rule<JsRuleContext> = {
  meta: {
    id: 'BWK-INJ-XXE',
    engine: 'js',
    severity: 'high',
    owasp: 'SAS-1',
    cwe: ['CWE-611', 'CWE-776'],
    description: 'Handler input is parsed as XML with entity substitution or external DTD loading enabled (libxmljs noent/dtdload).',
    fix: 'Parse without `noent`/`dtdload` (libxmljs defaults), or use a parser that never resolves entities; accept JSON instead of XML where you can.',
    messages: {
      tainted: 'Input from `{{source}}` is parsed as XML by {{sink}} with `{{option}}` enabled (external entities)',
    },
    mitigatedBy: ['injection', 'schema'],
  },
  check(context) {
    if (!taintCandidate(context, sinkTokens)) return;
    context.visit({
      CallExpression(p) {
        const path = p as CallPath;
        const name = context.resolve(path);
        if (name === null || !parsers.test(name)) return;
        const args = argPaths(path);
        if (!args[0] || !args[1]) return;
        const opts = definition(args[1]);
        const option = dangerous.find((o) => isTruthyLiteral(propertyPath(opts, o)));
        if (!option) return;
        reportTainted(context, args[0], 'xxe', path, 'tainted', { sink: name, option });
      },
    });
  },
};
