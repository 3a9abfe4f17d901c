// Resolves what an expression names through imports and requires, so that rules match
// `child_process.exec` however the module was brought in (import, require, destructuring, aliases,
// util.promisify). Only const-like bindings are followed: a reassigned variable could name anything.

import type { NodePath } from '@babel/traverse';
import type * as t from '@babel/types';

/** `node:fs` → `fs`; `fs/promises` → `fs` (the promise API has the same names and the same risks). */
export function normaliseModule(name: string): string {
  const bare = name.startsWith('node:') ? name.slice(5) : name;
  return bare === 'fs/promises' ? 'fs' : bare;
}

function join(base: string | null, prop: string): string | null {
  if (base === null) return null;
  if (base === 'fs' && prop === 'promises') return 'fs';
  return `${base}.${prop}`;
}

export function propertyName(node: t.MemberExpression | t.OptionalMemberExpression): string | null {
  const p = node.property;
  if (!node.computed && p.type === 'Identifier') return p.name;
  if (p.type === 'StringLiteral') return p.value;
  if (p.type === 'TemplateLiteral' && p.expressions.length === 0) return p.quasis[0]!.value.cooked ?? null;
  return null;
}

function requireArg(node: t.Node): string | null {
  if (node.type === 'AwaitExpression') return requireArg(node.argument);
  if (node.type === 'CallExpression' && node.arguments.length >= 1) {
    const a = node.arguments[0]!;
    const isRequire = node.callee.type === 'Identifier' && node.callee.name === 'require';
    const isImport = node.callee.type === 'Import';
    if ((isRequire || isImport) && a.type === 'StringLiteral') return normaliseModule(a.value);
  }
  if (node.type === 'ImportExpression' && node.source.type === 'StringLiteral') return normaliseModule(node.source.value);
  return null;
}

const MAX_DEPTH = 8;

/** Name of an expression node evaluated in `scope`. */
export function resolveNode(node: t.Node, scope: NodePath['scope'], depth = 0): string | null {
  if (depth > MAX_DEPTH) return null;
  switch (node.type) {
    case 'CallExpression':
    case 'OptionalCallExpression': {
      const req = requireArg(node);
      if (req !== null) return req;
      // util.promisify(fn) names the same operation as fn.
      const callee = resolveNode(node.callee, scope, depth + 1);
      if ((callee === 'util.promisify' || callee === 'promisify') && node.arguments[0]) {
        return resolveNode(node.arguments[0], scope, depth + 1);
      }
      if (node.callee.type === 'MemberExpression' && propertyName(node.callee) === 'bind') {
        return resolveNode(node.callee.object, scope, depth + 1);
      }
      return null;
    }
    case 'AwaitExpression':
      return requireArg(node);
    case 'ImportExpression':
      return requireArg(node);
    case 'TSAsExpression':
    case 'TSNonNullExpression':
    case 'TSSatisfiesExpression':
    case 'ParenthesizedExpression':
      return resolveNode(node.expression, scope, depth + 1);
    case 'MemberExpression':
    case 'OptionalMemberExpression': {
      const prop = propertyName(node);
      if (prop === null) return null;
      return join(resolveNode(node.object, scope, depth + 1), prop);
    }
    case 'Identifier':
      return resolveIdentifier(node.name, scope, depth);
    default:
      return null;
  }
}

function resolveIdentifier(name: string, scope: NodePath['scope'], depth: number): string | null {
  const binding = scope.getBinding(name);
  if (!binding) return name; // a global: eval, fetch, setTimeout, Function, require…
  const decl = binding.path;
  if (binding.kind === 'module') {
    const parent = decl.parentPath?.node;
    if (!parent || parent.type !== 'ImportDeclaration') return null;
    const mod = normaliseModule(parent.source.value);
    const spec = decl.node;
    if (spec.type === 'ImportSpecifier') {
      const imported = spec.imported.type === 'Identifier' ? spec.imported.name : spec.imported.value;
      return imported === 'default' ? mod : join(mod, imported);
    }
    return mod; // default or namespace import
  }
  if (!binding.constant && binding.kind !== 'const') return null;
  if (decl.isVariableDeclarator()) {
    const { id, init } = decl.node;
    if (!init) return null;
    if (id.type === 'Identifier') return resolveNode(init, decl.scope, depth + 1);
    if (id.type === 'ObjectPattern') {
      // const { exec, promises: { readFile } } = require('…')
      const base = resolveNode(init, decl.scope, depth + 1);
      if (base === null) return null;
      return patternPath(id, name, base);
    }
  }
  return null;
}

function patternPath(pattern: t.ObjectPattern, name: string, base: string): string | null {
  for (const p of pattern.properties) {
    if (p.type !== 'ObjectProperty') continue;
    const key = p.key.type === 'Identifier' && !p.computed ? p.key.name : p.key.type === 'StringLiteral' ? p.key.value : null;
    if (key === null) continue;
    let value = p.value;
    if (value.type === 'AssignmentPattern') value = value.left;
    if (value.type === 'Identifier' && value.name === name) return join(base, key);
    if (value.type === 'ObjectPattern') {
      const inner = patternPath(value, name, join(base, key)!);
      if (inner !== null) return inner;
    }
  }
  return null;
}

/** The public `resolve()`: for a call or `new`, the callee's name; otherwise the expression's. */
export function resolvePath(path: NodePath): string | null {
  const n = path.node;
  if (n.type === 'CallExpression' || n.type === 'OptionalCallExpression' || n.type === 'NewExpression') {
    if (n.callee.type === 'V8IntrinsicIdentifier') return null;
    return resolveNode(n.callee, path.scope);
  }
  return resolveNode(n, path.scope);
}
