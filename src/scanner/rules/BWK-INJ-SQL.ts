// SQL injection: request data built into the text of a raw query. The query text is the sink; bound
// values (`query(text, [values])`, `?`/`$1` placeholders, sql`` tags) are the fix and are not checked.

import type { NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import type { JsRuleContext } from '../engine/js/context.ts';
import { argPaths, calleeName, type CallPath, definition, propertyPath, receiverName, reportTainted, taintCandidate } from '../engine/js/rule-kit.ts';
import type { Rule } from '../types.ts';

/** Text that must appear in a file for this rule to have anything to look at. */
// (`$` is not a word character: `\b` cannot precede the prisma names, so they sit outside the group.)
const sinkTokens = /\b(?:query|execute|raw|exec|prepare|all|get|run|each|unsafe|\w+Raw)\s*\(|\$(?:queryRawUnsafe|executeRawUnsafe)\s*\(/;

/** Methods that take raw SQL text as their first argument on a database-like receiver. */
const rawMethods = new Set(['query', 'execute', 'raw', 'exec', 'prepare', 'all', 'get', 'run', 'each', 'unsafe', 'queryRaw', 'whereRaw', 'havingRaw', 'orderByRaw', 'joinRaw', 'selectRaw']);
/** The identifier a builder chain starts from: `knex('t').where(…).whereRaw` → `knex`. */
function chainRoot(path: CallPath): string | null {
  let n: t.Node = path.node.callee;
  for (;;) {
    if (n.type === 'MemberExpression' || n.type === 'OptionalMemberExpression') n = n.object;
    else if (n.type === 'CallExpression' || n.type === 'OptionalCallExpression') n = n.callee;
    else if (n.type === 'AwaitExpression') n = n.argument;
    else if (n.type === 'TSNonNullExpression' || n.type === 'TSAsExpression' || n.type === 'ParenthesizedExpression') n = n.expression;
    else break;
  }
  return n.type === 'Identifier' ? n.name : null;
}

/** Always raw, whatever the receiver is called. */
const alwaysRaw = new Set(['$queryRawUnsafe', '$executeRawUnsafe']);
const dbReceiver = /(?:^|_)(?:db|database|sqlite|sql|conn|connection|client|pool|knex|sequelize|prisma|manager|repo|repository|trx|tx|transaction|pg|mysql|datasource|dataSource|queryRunner|em|entityManager)$|db$|Db$|Pool$|Client$|Connection$|Database$/i;
const dbModules = /^(?:pg|mysql|mysql2|mysql2\/promise|sqlite3|better-sqlite3|sqlite|knex|sequelize|typeorm|@prisma\/client|postgres|mssql|oracledb)(?:\.|$)/;

function queryText(arg: NodePath): NodePath {
  // client.query({ text, values }) carries the text in `text` (pg) or `sql` (mysql).
  const def = definition(arg);
  if (def.isObjectExpression()) return propertyPath(def, 'text') ?? propertyPath(def, 'sql') ?? def;
  return arg;
}

export const rule: Rule<JsRuleContext> = {
  meta: {
    id: 'BWK-INJ-SQL',
    engine: 'js',
    severity: 'critical',
    owasp: 'SAS-1',
    cwe: ['CWE-89'],
    description: 'Handler input is concatenated or interpolated into the text of a raw SQL query.',
    fix: 'Keep the query text constant and pass input as bound parameters (`$1`/`?` placeholders with a values array, or a sql`` tag).',
    messages: {
      tainted: 'Input from `{{source}}` is built into the SQL text passed to {{sink}}',
    },
    mitigatedBy: ['injection', 'schema'],
  },
  check(context) {
    if (!taintCandidate(context, sinkTokens)) return;
    context.visit({
      CallExpression(p) {
        const path = p as CallPath;
        const method = calleeName(path);
        if (method === null) return;
        const args = argPaths(path);
        if (!args[0]) return;
        const resolved = context.resolve(path);
        if (resolved?.startsWith('child_process')) return;
        const receiver = receiverName(path);
        const sink = `${receiver ?? '…'}.${method}`;
        if (alwaysRaw.has(method)) {
          reportTainted(context, args[0], 'sql', path, 'tainted', { sink });
          return;
        }
        if (!rawMethods.has(method)) return;
        if (path.node.callee.type === 'Identifier') return;
        // Query builders chain: `knex('members').select(…).whereRaw(…)` has no named receiver, so a `*Raw`
        // builder is judged by the identifier the chain starts from.
        const root = receiver === null && method.endsWith('Raw') ? chainRoot(path) : null;
        const known = (resolved !== null && dbModules.test(resolved)) || (receiver !== null && dbReceiver.test(receiver)) || (root !== null && dbReceiver.test(root));
        if (!known) return;
        reportTainted(context, queryText(args[0]), 'sql', path, 'tainted', { sink });
      },
    });
  },
};
