// Unsafe deserialisation: request data handed to a deserialiser that can rebuild functions or run
// code (node-serialize, funcster, cryo, js-yaml with the full schema, v8.deserialize).

import type { JsRuleContext } from '../engine/js/context.ts';
import { argPaths, type CallPath, definition, propertyPath, reportTainted, taintCandidate } from '../engine/js/rule-kit.ts';
import type { Rule } from '../types.ts';

/** Text that must appear in a file for this rule to have anything to look at. */
const sinkTokens = /node-serialize|serialize-to-js|funcster|cryo|js-yaml|\bv8\b/;

const alwaysUnsafe = new Set([
  'node-serialize.unserialize', 'serialize-to-js.deserialize', 'funcster.deepDeserialize', 'funcster.deserialize', 'cryo.parse',
  'v8.deserialize', 'js-yaml.unsafeLoad', 'js-yaml.unsafeLoadAll',
]);
const yamlLoaders = new Set(['js-yaml.load', 'js-yaml.loadAll']);

export const rule: Rule<JsRuleContext> = {
  meta: {
    id: 'BWK-INJ-DESER',
    engine: 'js',
    severity: 'critical',
    owasp: 'SAS-1',
    cwe: ['CWE-502'],
    description: 'Handler input is deserialised by a library that can recreate functions or execute code.',
    fix: 'Accept JSON and parse it with JSON.parse (then validate it with a schema); load YAML with the default safe schema of js-yaml 4.',
    messages: {
      tainted: 'Input from `{{source}}` is deserialised by {{sink}}, which can execute code',
    },
    mitigatedBy: ['injection', 'schema'],
  },
  check(context) {
    if (!taintCandidate(context, sinkTokens)) return;
    context.visit({
      CallExpression(p) {
        const path = p as CallPath;
        const name = context.resolve(path);
        if (name === null) return;
        const args = argPaths(path);
        if (!args[0]) return;
        if (alwaysUnsafe.has(name)) {
          reportTainted(context, args[0], 'deser', path, 'tainted', { sink: name });
          return;
        }
        if (!yamlLoaders.has(name)) return;
        const opts = args.slice(1).map((a) => definition(a)).find((a) => a.isObjectExpression());
        const schema = opts ? propertyPath(opts, 'schema') : null;
        if (!schema) return;
        // yaml.DEFAULT_FULL_SCHEMA, an imported FULL_SCHEMA, or a schema extended with js-yaml-js-types
        const n = schema.node;
        const schemaName = context.resolve(schema) ?? (n.type === 'MemberExpression' && n.property.type === 'Identifier' ? n.property.name : '');
        if (!/FULL_SCHEMA|js-types|DEFAULT_FULL/.test(schemaName)) return;
        reportTainted(context, args[0], 'deser', path, 'tainted', { sink: `${name} with the full schema` });
      },
    });
  },
};
