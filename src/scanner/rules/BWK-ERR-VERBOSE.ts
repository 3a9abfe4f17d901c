// Verbose errors: a caught error's stack, message or serialised form sent back to the caller. Stacks name
// files, modules and versions; messages of database and HTTP client errors carry queries, hosts and
// sometimes credentials. Errors caught in a `catch`, a `.catch(err => …)` callback or an express-style
// `(err, req, res, next)` handler are followed to the response: `res.send/json/end/write(…)`,
// `new Response(…)`, `Response.json(…)`, a Lambda result's `body`, or `ctx.body = …`. A message sent
// inside a branch that has recognised the error (`err instanceof ValidationError`, `err.code === …`) is
// taken to be a message written for the caller.

import type { Binding, NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import type { JsRuleContext } from '../engine/js/context.ts';
import { propertyName } from '../engine/js/names.ts';
import type { Rule } from '../types.ts';

const detailProps: Record<string, string> = { stack: 'stack trace', message: 'message', sqlMessage: 'SQL message', sql: 'SQL text', detail: 'detail', errors: 'details', cause: 'cause' };
const responseMethods = new Set(['send', 'json', 'jsonp', 'end', 'write', 'text', 'html', 'response']);
/** Outbound calls: an error sent to a reporting service is not sent to the caller. */
const outbound = /^(?:fetch|request|post|put|patch|got|axios|undici\.request|https?\.request|captureException|report|notify)$/;

/**
 * Text a file must contain for this rule to find anything: somewhere an error is caught (a catch clause,
 * `.catch(`, `.then(`, a four-parameter error middleware) and somewhere a response is written.
 */
const caughtError = /\bcatch\b|\.then\s*\(|\(\s*[\w$]+\s*,\s*[\w$]+\s*,\s*[\w$]+\s*,\s*[\w$]+\s*\)/;
const responseSink = /\bbody\b|\bResponse\b|\.(?:send|json|jsonp|end|write|text|html|response)\s*\(/;

/** Whether a binding is a caught error: a catch parameter, a `.catch()`/`.then(_, onError)` callback's, an error middleware's. */
function isErrorBinding(b: Binding): boolean {
  if (b.path.isCatchClause()) return true;
  if (b.kind !== 'param') return false;
  const fn = b.path.isFunction() ? b.path : b.path.parentPath;
  if (!fn?.isFunction()) return false;
  const first = fn.node.params[0];
  if (!first || first.type !== 'Identifier' || first.name !== b.identifier.name) return false;
  if (fn.node.params.length === 4) return true;
  const call = fn.parentPath;
  if (!call?.isCallExpression() || call.node.callee.type !== 'MemberExpression') return false;
  const method = propertyName(call.node.callee);
  const args = call.node.arguments;
  return (method === 'catch' && args[0] === fn.node) || (method === 'then' && args[1] === fn.node);
}

function calleeName(n: t.CallExpression | t.NewExpression): string | null {
  const c = n.callee;
  if (c.type === 'Identifier') return c.name;
  if (c.type === 'MemberExpression') {
    const prop = propertyName(c);
    const obj = c.object.type === 'Identifier' ? c.object.name : null;
    return obj && prop ? `${obj}.${prop}` : prop;
  }
  return null;
}

/** The error-carrying expression an error identifier is part of, and what it exposes; null when it exposes nothing. */
function exposure(id: NodePath<t.Identifier>): { path: NodePath; what: string } | null {
  const parent = id.parentPath!;
  const p = parent.node;
  if (p.type === 'MemberExpression' && p.object === id.node) {
    const prop = propertyName(p);
    // Own keys only: `toString` is `in` every object literal through its prototype.
    if (prop && Object.hasOwn(detailProps, prop)) return { path: parent, what: detailProps[prop]! };
    if (prop === 'toString' && parent.parentPath?.isCallExpression()) return { path: parent.parentPath, what: 'message' };
    return null;
  }
  if (p.type === 'CallExpression' && p.arguments[0] === id.node) {
    const name = calleeName(p);
    if (name === 'JSON.stringify' || name === 'util.inspect' || name === 'inspect') return { path: parent, what: 'serialised error' };
    if (name === 'String') return { path: parent, what: 'message' };
    return null;
  }
  if (p.type === 'TemplateLiteral' || (p.type === 'BinaryExpression' && p.operator === '+')) return { path: id, what: 'message' };
  return null;
}

/** Whether the exposure sits in a branch that has recognised the error as one meant for the caller. */
function inRecognisedBranch(from: NodePath, errName: string): boolean {
  for (let p: NodePath | null = from; p && !p.isFunction(); p = p.parentPath) {
    const parent = p.parentPath;
    if (!parent) break;
    if ((parent.isIfStatement() && parent.node.consequent === p.node) || (parent.isConditionalExpression() && parent.node.consequent === p.node)) {
      const test = (parent.node as t.IfStatement | t.ConditionalExpression).test;
      let recognised = false;
      (parent.get('test') as NodePath).traverse({
        BinaryExpression(b: NodePath<t.BinaryExpression>) {
          const { left, right, operator } = b.node;
          if (operator === 'instanceof' && left.type === 'Identifier' && left.name === errName && !(right.type === 'Identifier' && right.name === 'Error')) recognised = true;
          const side = [left, right].find((s) => s.type === 'MemberExpression' && s.object.type === 'Identifier' && s.object.name === errName);
          if (side && /^[!=]==?$|^[<>]=?$/.test(operator) && /^(?:code|name|status|statusCode|type|expose)$/.test(propertyName(side as t.MemberExpression) ?? '')) recognised = true;
        },
      });
      if (test.type === 'BinaryExpression' && test.operator === 'instanceof' && test.left.type === 'Identifier' && test.left.name === errName && !(test.right.type === 'Identifier' && test.right.name === 'Error')) recognised = true;
      if (test.type === 'MemberExpression' && test.object.type === 'Identifier' && test.object.name === errName && propertyName(test) === 'expose') recognised = true;
      if (recognised) return true;
    }
  }
  return false;
}

/** Walks up from the exposure through values that carry it; true when it reaches a response. */
function reachesResponse(start: NodePath): boolean {
  let child = start;
  for (let p = start.parentPath; p; child = p, p = p.parentPath) {
    const n = p.node;
    switch (n.type) {
      case 'ObjectProperty':
        if (n.value !== child.node) return false;
        if (!n.computed && ((n.key.type === 'Identifier' && n.key.name === 'body') || (n.key.type === 'StringLiteral' && n.key.value === 'body'))) {
          // `body` of a Lambda result; unless the object is an outbound request's options.
          const call = p.parentPath?.parentPath;
          if (call && (call.isCallExpression() || call.isNewExpression())) return !outbound.test(calleeName(call.node) ?? '');
          return true;
        }
        continue;
      case 'ObjectExpression':
      case 'ArrayExpression':
      case 'TemplateLiteral':
      case 'SpreadElement':
      case 'ConditionalExpression':
      case 'LogicalExpression':
      case 'TSAsExpression':
      case 'AwaitExpression':
      case 'ParenthesizedExpression':
        continue;
      case 'BinaryExpression':
        if (n.operator === '+') continue;
        return false;
      case 'CallExpression':
      case 'NewExpression': {
        if (!n.arguments.includes(child.node as t.Expression)) return false;
        const name = calleeName(n) ?? '';
        if (name === 'JSON.stringify' || name === 'String') continue;
        if (name === 'Response' || name === 'Response.json') return true;
        const method = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : n.callee.type === 'MemberExpression' ? name : '';
        return responseMethods.has(method);
      }
      case 'AssignmentExpression':
        return n.right === child.node && n.left.type === 'MemberExpression' && propertyName(n.left) === 'body';
      default:
        return false;
    }
  }
  return false;
}

export const rule: Rule<JsRuleContext> = {
  meta: {
    id: 'BWK-ERR-VERBOSE',
    engine: 'js',
    severity: 'medium',
    owasp: 'SAS-10',
    cwe: ['CWE-209', 'CWE-497'],
    description: "A caught error's stack trace, message or serialised form is sent back to the caller.",
    fix: 'Log the error (with a request id) and answer with a fixed message and the request id; or throw, and let Bulwark answer with its own error shape.',
    messages: {
      verbose: 'The caught error {{what}} is sent back to the caller',
    },
  },
  check(context) {
    if (!caughtError.test(context.source) || !responseSink.test(context.source)) return;
    context.visit({
      Identifier(path) {
        // The shape test first: it is cheap and rules out almost every identifier before a scope lookup.
        const hit = exposure(path);
        if (!hit || !path.isReferencedIdentifier()) return;
        const binding = path.scope.getBinding(path.node.name);
        if (!binding || !isErrorBinding(binding)) return;
        if (hit.what === 'message' && inRecognisedBranch(hit.path, path.node.name)) return;
        if (reachesResponse(hit.path)) context.report({ node: hit.path, messageId: 'verbose', data: { what: hit.what } });
      },
    });
  },
};
