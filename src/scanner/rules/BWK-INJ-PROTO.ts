// Prototype pollution: request data drives a deep merge or a keyed write two levels deep, so a caller's
// `{"__proto__": {"isAdmin": true}}` lands on Object.prototype. Reported for deep-merge libraries fed
// request data, `obj[k1][k2] = v` with input keys, and recursive hand-written merges over input keys
// without a __proto__/constructor check.

import type { NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import type { JsRuleContext } from '../engine/js/context.ts';
import { argPaths, type CallPath, reportTainted, taintCandidate } from '../engine/js/rule-kit.ts';
import type { Rule } from '../types.ts';

/** Text that must appear in a file for this rule to have anything to look at. */
const sinkTokens = /\]\s*=[^=]|merge|\bset\w*\s*\(|defaultsDeep|extend|zipObjectDeep|dot-prop|object-path|set-value/i;

/** Deep writers and the index of the first argument that carries data into them. */
const deepWriters: Record<string, number> = {
  'lodash.merge': 1, 'lodash.mergeWith': 1, 'lodash.defaultsDeep': 1, 'lodash.set': 1, 'lodash.setWith': 1, 'lodash.zipObjectDeep': 0,
  '_.merge': 1, '_.mergeWith': 1, '_.defaultsDeep': 1, '_.set': 1, '_.setWith': 1, '_.zipObjectDeep': 0,
  'lodash.merge.default': 1, 'lodash.set.default': 1, 'deepmerge': 0, 'deepmerge.all': 0, 'merge-deep': 1, 'mixin-deep': 1, 'defaults-deep': 1,
  'dot-prop.set': 1, 'dot-prop.setProperty': 1, 'set-value': 1, 'object-path.set': 1, 'jquery.extend': 1, '$.extend': 1,
};
// Packages exporting the writer itself (`import merge from 'lodash.merge'`) resolve to the package name.
for (const pkg of ['lodash.merge', 'lodash.mergewith', 'lodash.defaultsdeep', 'lodash.set', 'lodash.setwith', 'lodash.zipobjectdeep']) deepWriters[pkg] ??= pkg.endsWith('zipobjectdeep') ? 0 : 1;

/** lodash's per-method modules (`lodash/set`, `lodash/merge.js`) and lodash-es name the same writers. */
const lodashModule = /^lodash(?:-es)?[/.](\w+?)(?:\.js)?$/;

function keyOf(node: t.MemberExpression, path: NodePath): NodePath | null {
  return node.computed ? (path.get('property') as NodePath) : null;
}

/** The function the node is in, when that function calls itself (a recursive merge or clone). */
function recursiveFunction(path: NodePath): boolean {
  const fn = path.getFunctionParent();
  if (!fn) return false;
  const n = fn.node;
  const id = (n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression') && n.id ? n.id.name
    : fn.parentPath?.isVariableDeclarator() && fn.parentPath.node.id.type === 'Identifier' ? fn.parentPath.node.id.name : null;
  if (id === null) return false;
  let found = false;
  fn.traverse({
    CallExpression(c) {
      if (c.node.callee.type === 'Identifier' && c.node.callee.name === id) {
        found = true;
        c.stop();
      }
    },
  });
  return found;
}

export const rule: Rule<JsRuleContext> = {
  meta: {
    id: 'BWK-INJ-PROTO',
    engine: 'js',
    severity: 'high',
    owasp: 'SAS-1',
    cwe: ['CWE-1321'],
    description: 'Handler input drives a deep merge or a nested keyed write that can reach Object.prototype.',
    fix: 'Validate input with a schema (additionalProperties: false), skip __proto__/constructor/prototype keys, or merge into Object.create(null) / a Map.',
    messages: {
      merge: 'Input from `{{source}}` is deep-merged by {{sink}}: `__proto__` keys pollute Object.prototype',
      keyed: 'Input from `{{source}}` chooses the keys of a nested write: `__proto__` keys pollute Object.prototype',
    },
    mitigatedBy: ['injection', 'schema'],
  },
  check(context) {
    if (!taintCandidate(context, sinkTokens)) return;
    const recursive = new Map<t.Node, boolean>();
    context.visit({
      CallExpression(p) {
        const path = p as CallPath;
        const resolved = context.resolve(path);
        if (resolved === null) return;
        const method = lodashModule.exec(resolved)?.[1];
        const name = method ? `lodash.${method}` : resolved;
        const from = deepWriters[name] ?? deepWriters[name.replace(/^lodash\./, '_.')];
        if (from === undefined) return;
        // $.extend(deep, target, src): only the deep form recurses.
        const args = argPaths(path);
        if (name.endsWith('.extend')) {
          const first = args[0]?.node;
          if (first?.type !== 'BooleanLiteral' || !first.value) return;
          for (const a of args.slice(2)) if (reportTainted(context, a, 'proto', path, 'merge', { sink: name })) return;
          return;
        }
        for (const a of args.slice(from)) if (reportTainted(context, a, 'proto', path, 'merge', { sink: name })) return;
      },
      AssignmentExpression(path) {
        const left = path.get('left') as NodePath;
        if (!left.isMemberExpression() || !left.node.computed) return;
        const obj = left.get('object') as NodePath;
        // obj[k1][k2] = v: k1 = '__proto__' reaches Object.prototype
        if (obj.isMemberExpression() && obj.node.computed) {
          const k1 = keyOf(obj.node, obj);
          if (k1 && reportTainted(context, k1, 'proto', path, 'keyed')) return;
        }
        // target[key] = … inside a recursive merge: the recursion descends into target['__proto__']
        const fn = path.getFunctionParent();
        if (!fn) return;
        let rec = recursive.get(fn.node);
        if (rec === undefined) {
          rec = recursiveFunction(path);
          recursive.set(fn.node, rec);
        }
        const key = keyOf(left.node, left);
        if (rec && key) reportTainted(context, key, 'proto', path, 'keyed');
      },
    });
  },
};
