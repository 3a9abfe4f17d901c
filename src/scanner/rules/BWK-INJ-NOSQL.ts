// NoSQL injection: a MongoDB-style filter that is, or contains, a request object as sent, so a caller
// can send `{"$ne": null}` or `{"$gt": ""}` instead of a value. Strings built from input (String(x),
// templates, string methods) cannot carry operators and are not reported. `$where` runs JavaScript:
// any input in its string is reported.

import type { NodePath } from '@babel/traverse';
import type { JsRuleContext } from '../engine/js/context.ts';
import { argPaths, calleeName, type CallPath, definition, propertyPath, receiverName, reportTainted, taintCandidate } from '../engine/js/rule-kit.ts';
import type { Rule } from '../types.ts';

/** Text that must appear in a file for this rule to have anything to look at. */
const sinkTokens = /\.(?:find|update|delete|replace|count|aggregate|distinct|exists|remove)\w*\s*\(/;

const filterMethods = new Set([
  'find', 'findOne', 'findOneAndUpdate', 'findOneAndDelete', 'findOneAndReplace', 'findOneAndRemove', 'updateOne', 'updateMany',
  'deleteOne', 'deleteMany', 'replaceOne', 'countDocuments', 'count', 'aggregate', 'distinct', 'exists',
]);

const stringProps = new Set(['method', 'url', 'path', 'originalUrl', 'hostname', 'ip', 'protocol', 'rawPath', 'httpMethod', 'routeKey']);

export const rule: Rule<JsRuleContext> = {
  meta: {
    id: 'BWK-INJ-NOSQL',
    engine: 'js',
    severity: 'high',
    owasp: 'SAS-1',
    cwe: ['CWE-943'],
    description: 'A MongoDB query filter is built from request objects as sent (operator injection) or runs input in `$where`.',
    fix: 'Copy the fields you expect into a new filter after coercing each to its type (String(x), Number(x)) or validating with a schema; never use $where.',
    messages: {
      tainted: 'Input from `{{source}}` is used as a query object in {{sink}}: a caller can inject operators such as $ne',
      where: 'Input from `{{source}}` reaches a `$where` JavaScript expression in {{sink}}',
    },
    mitigatedBy: ['injection', 'schema'],
  },
  check(context) {
    if (!taintCandidate(context, sinkTokens)) return;
    context.visit({
      CallExpression(p) {
        const path = p as CallPath;
        const method = calleeName(path);
        if (method === null || !filterMethods.has(method) || path.node.callee.type === 'Identifier') return;
        const args = argPaths(path);
        const filter = method === 'distinct' ? args[1] : args[0];
        if (!filter || filter.isFunction() || receiverName(path) === 'this') return;
        // req.method, req.url and friends are strings: they cannot carry an operator object.
        const f = filter.node;
        if (f.type === 'MemberExpression' && !f.computed && f.property.type === 'Identifier' && stringProps.has(f.property.name)) return;
        const sink = `.${method}()`;
        const def = definition(filter);
        const where = def.isObjectExpression() ? propertyPath(def, '$where') : null;
        if (where && reportTainted(context, where, 'code', path, 'where', { sink })) return;
        if (method === 'aggregate' && def.isArrayExpression()) {
          for (const stage of def.get('elements')) {
            const match = stage.node ? propertyPath(stage as NodePath, '$match') : null;
            if (match && reportTainted(context, match, 'nosql', path, 'tainted', { sink })) return;
          }
          return;
        }
        reportTainted(context, filter, 'nosql', path, 'tainted', { sink });
        // An update document that is the request object itself (`req.body`, `JSON.parse(event.body)`, a
        // const holding either) lets a caller send any operator; a literal `{ $set: { … } }` or pipeline
        // built by the code is the intended shape and is not judged as a whole.
        if (['updateOne', 'updateMany', 'findOneAndUpdate'].includes(method) && args[1]) {
          const upd = definition(args[1]);
          if (!upd.isObjectExpression() && !upd.isArrayExpression()) reportTainted(context, args[1], 'nosql', path, 'tainted', { sink });
        }
      },
    });
  },
};
