// Small helpers shared by the JS rules (ESLint keeps these in lib/rules/utils): reading call shapes and
// reporting a taint hit with its trace. Rules never import each other, only this.

import type { NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import type { JsRuleContext, SinkKind } from './context.ts';
import { propertyName } from './names.ts';

export type CallPath = NodePath<t.CallExpression | t.NewExpression | t.OptionalCallExpression>;

/** The call's argument paths (spread arguments excluded). */
export function argPaths(path: CallPath): NodePath[] {
  return (path.get('arguments') as NodePath[]).filter((p) => p.node.type !== 'SpreadElement');
}

/** The method name of `a.b.method(…)`, or the function name of `fn(…)`. */
export function calleeName(path: CallPath): string | null {
  const c = path.node.callee;
  if (c.type === 'Identifier') return c.name;
  if (c.type === 'MemberExpression' || c.type === 'OptionalMemberExpression') return propertyName(c);
  return null;
}

/** The name of the object a method is called on: `this.db.query` → `db`, `pool.query` → `pool`. */
export function receiverName(path: CallPath): string | null {
  const c = path.node.callee;
  if (c.type !== 'MemberExpression' && c.type !== 'OptionalMemberExpression') return null;
  let o: t.Node = c.object;
  while (o.type === 'TSNonNullExpression' || o.type === 'TSAsExpression' || o.type === 'AwaitExpression') o = o.type === 'AwaitExpression' ? o.argument : o.expression;
  if (o.type === 'Identifier') return o.name;
  if (o.type === 'MemberExpression' || o.type === 'OptionalMemberExpression') return propertyName(o);
  if (o.type === 'ThisExpression') return 'this';
  return null;
}

/** A property's value path in an object literal argument (`{ shell: true }` → the `true`). */
export function propertyPath(obj: NodePath, name: string): NodePath | null {
  if (!obj.isObjectExpression()) return null;
  for (const prop of obj.get('properties')) {
    if (!prop.isObjectProperty()) continue;
    const k = prop.node.key;
    const key = !prop.node.computed && k.type === 'Identifier' ? k.name : k.type === 'StringLiteral' ? k.value : null;
    if (key !== null && key.toLowerCase() === name.toLowerCase()) return prop.get('value') as NodePath;
  }
  return null;
}

/** Follows a const identifier to its initialiser, so `const opts = { shell: true }` reads like the literal. */
export function definition(path: NodePath): NodePath {
  if (!path.isIdentifier()) return path;
  const b = path.scope.getBinding(path.node.name);
  if (b && b.constant && b.path.isVariableDeclarator()) {
    const init = b.path.get('init');
    if (!Array.isArray(init) && init.node) return init as NodePath;
  }
  return path;
}

/** Whether an expression is a literal `true` or anything that is not plainly false (a shell path counts). */
export function isTruthyLiteral(path: NodePath | null): boolean {
  if (!path) return false;
  const n = definition(path).node;
  if (n.type === 'BooleanLiteral') return n.value;
  if (n.type === 'StringLiteral') return n.value.length > 0;
  return false;
}

/** Asks the taint engine about `value` and reports at `at` with the trace; true when it reported. */
export function reportTainted(
  context: JsRuleContext,
  value: NodePath,
  kind: SinkKind,
  at: NodePath,
  messageId: string,
  data: Record<string, string> = {},
): boolean {
  const hit = context.taint.of(value, kind);
  if (!hit) return false;
  context.report({ node: at, messageId, data: { ...data, source: hit.source }, trace: hit.trace });
  return true;
}

/**
 * The cheap gate every taint rule passes first: handler input can reach the file, and its text
 * mentions one of the rule's sinks. Files failing it are never parsed for the rule.
 */
export function taintCandidate(context: JsRuleContext, sinkTokens: RegExp): boolean {
  return context.taint.possible && sinkTokens.test(context.source);
}
