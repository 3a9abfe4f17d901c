// Reflected XSS: request data placed in a response the browser renders as HTML. Three response
// shapes: a Lambda result object with a text/html content type, a Web `new Response(body, { headers })`,
// and express/fastify `res.send()` after the type was set to HTML (or with an HTML string, which
// express serves as text/html by default). Escaping the data for HTML is the fix.

import type { NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import type { JsRuleContext } from '../engine/js/context.ts';
import { argPaths, calleeName, type CallPath, definition, propertyPath, reportTainted, taintCandidate } from '../engine/js/rule-kit.ts';
import { propertyName } from '../engine/js/names.ts';
import type { Rule } from '../types.ts';

/** Text that must appear in a file for this rule to have anything to look at. */
const sinkTokens = /html|<\w/i;

const sendMethods = new Set(['send', 'end', 'write']);
const typeSetters = new Set(['type', 'contentType', 'set', 'setHeader', 'header', 'writeHead', 'headers']);

function isHtmlString(path: NodePath | null): boolean {
  if (!path) return false;
  const n = definition(path).node;
  return (n.type === 'StringLiteral' && /html/i.test(n.value)) || (n.type === 'TemplateLiteral' && n.quasis.some((q) => /text\/html/i.test(q.value.raw)));
}

/** A headers object literal (or `new Headers({...})`) saying content-type is HTML. */
function htmlHeaders(path: NodePath | null): boolean {
  if (!path) return false;
  let h = definition(path);
  if (h.isNewExpression() && h.node.arguments[0]) h = definition(h.get('arguments.0') as NodePath);
  return h.isObjectExpression() && isHtmlString(propertyPath(h, 'content-type'));
}

/** `res.type('html')`, `res.set('Content-Type', 'text/html')`, `res.writeHead(200, { 'Content-Type': 'text/html' })`. */
function setsHtml(call: t.Node, path: NodePath): boolean {
  if (call.type !== 'CallExpression' || (call.callee.type !== 'MemberExpression' && call.callee.type !== 'OptionalMemberExpression')) return false;
  const m = propertyName(call.callee);
  if (m === null || !typeSetters.has(m)) return false;
  const cp = path as NodePath<t.CallExpression>;
  const args = cp.get('arguments') as NodePath[];
  if (m === 'type' || m === 'contentType') return isHtmlString(args[0] ?? null);
  if (m === 'writeHead' || m === 'headers') return args.some((a) => htmlHeaders(a));
  const key = args[0] ? definition(args[0]).node : null;
  if (key?.type === 'StringLiteral' && /^content-type$/i.test(key.value)) return isHtmlString(args[1] ?? null);
  return htmlHeaders(args[0] ?? null);
}

function looksLikeHtml(path: NodePath): boolean {
  const n = definition(path).node;
  if (n.type === 'TemplateLiteral') return n.quasis.some((q) => q.value.raw.includes('<'));
  if (n.type === 'BinaryExpression') {
    let cur: t.Node = n;
    while (cur.type === 'BinaryExpression') {
      if (cur.right.type === 'StringLiteral' && cur.right.value.includes('<')) return true;
      cur = cur.left;
    }
    return cur.type === 'StringLiteral' && cur.value.includes('<');
  }
  return false;
}

/** Koa serves a string body that starts with a tag as text/html. */
function startsWithTag(path: NodePath): boolean {
  let n: t.Node = definition(path).node;
  while (n.type === 'BinaryExpression') n = n.left;
  if (n.type === 'TemplateLiteral') return /^\s*</.test(n.quasis[0]?.value.raw ?? '');
  return n.type === 'StringLiteral' && /^\s*</.test(n.value);
}

/** Whether koa's `ctx` is told to answer HTML anywhere in its scope: `ctx.type = 'html'`, `ctx.set('Content-Type', 'text/html')`. */
function koaHtml(ctx: NodePath<t.Identifier>): boolean {
  const b = ctx.scope.getBinding(ctx.node.name);
  for (const ref of b?.referencePaths ?? []) {
    const member = ref.parentPath;
    if (!member?.isMemberExpression() || member.node.object !== ref.node) continue;
    const up = member.parentPath;
    if (up?.isAssignmentExpression() && up.node.left === member.node && /^(?:type|contentType)$/.test(propertyName(member.node) ?? '') && isHtmlString(up.get('right'))) return true;
    if (up?.isCallExpression() && up.node.callee === member.node && setsHtml(up.node, up)) return true;
  }
  return false;
}

export const rule: Rule<JsRuleContext> = {
  meta: {
    id: 'BWK-INJ-XSS',
    engine: 'js',
    severity: 'high',
    owasp: 'SAS-1',
    cwe: ['CWE-79'],
    description: 'Handler input is written unescaped into a response served as text/html.',
    fix: 'Escape input for HTML (an escapeHtml helper, he.encode, DOMPurify) or render with a template engine that escapes by default; serve data as JSON.',
    messages: {
      tainted: 'Input from `{{source}}` is written into an HTML response by {{sink}} without escaping',
    },
    mitigatedBy: ['injection', 'schema'],
  },
  check(context) {
    if (!taintCandidate(context, sinkTokens)) return;
    context.visit({
      ObjectExpression(path) {
        // Lambda proxy result: { statusCode, headers: { 'Content-Type': 'text/html' }, body }
        const body = propertyPath(path, 'body');
        if (!body || !htmlHeaders(propertyPath(path, 'headers'))) return;
        reportTainted(context, body, 'xss', body, 'tainted', { sink: 'the text/html response body' });
      },
      NewExpression(p) {
        const path = p as CallPath;
        if (context.resolve(path) !== 'Response') return;
        const args = argPaths(path);
        if (!args[0] || !args[1]) return;
        const init = definition(args[1]);
        if (!htmlHeaders(propertyPath(init, 'headers'))) return;
        reportTainted(context, args[0], 'xss', path, 'tainted', { sink: 'new Response() with text/html' });
      },
      AssignmentExpression(path) {
        // koa: ctx.body = … answered as HTML (ctx.type = 'html', or a body that starts with a tag)
        const left = path.get('left') as NodePath;
        if (!left.isMemberExpression() || propertyName(left.node) !== 'body') return;
        const obj = left.get('object') as NodePath;
        if (!obj.isIdentifier() || !/^(?:ctx|context)$/.test(obj.node.name)) return;
        const right = path.get('right') as NodePath;
        if (!startsWithTag(right) && !koaHtml(obj)) return;
        reportTainted(context, right, 'xss', path, 'tainted', { sink: `${obj.node.name}.body` });
      },
      CallExpression(p) {
        const path = p as CallPath;
        const method = calleeName(path);
        if (method === null || !sendMethods.has(method)) return;
        const callee = path.get('callee') as NodePath;
        if (!callee.isMemberExpression()) return;
        const args = argPaths(path);
        if (!args[0]) return;
        // the chain before .send(): res.status(200).type('html').send(x)
        let html = false;
        let obj: NodePath = callee.get('object') as NodePath;
        while (obj.isCallExpression()) {
          if (setsHtml(obj.node, obj)) html = true;
          const c = obj.get('callee') as NodePath;
          if (!c.isMemberExpression()) break;
          obj = c.get('object') as NodePath;
        }
        if (!obj.isIdentifier() || !/^(?:res|response|reply|rep|ctx)$/.test(obj.node.name)) return;
        if (!html) {
          const b = obj.scope.getBinding(obj.node.name);
          for (const ref of b?.referencePaths ?? []) {
            const member = ref.parentPath;
            const call = member?.parentPath;
            if (member?.isMemberExpression() && call?.isCallExpression() && call.node.callee === member.node && setsHtml(call.node, call)) {
              html = true;
              break;
            }
          }
        }
        if (!html && !(method === 'send' && looksLikeHtml(args[0]))) return;
        reportTainted(context, args[0], 'xss', path, 'tainted', { sink: `${obj.node.name}.${method}()` });
      },
    });
  },
};
