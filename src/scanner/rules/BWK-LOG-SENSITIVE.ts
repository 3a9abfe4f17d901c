// Sensitive logging: `console.*` or a logger (`logger.info`, `req.log.warn`, `context.log.error`…)
// given the whole incoming event/request, its headers, its authorization header or cookies, or a value
// named like a password or token. Logs are read by more people and kept longer than requests; a logged
// bearer token is a working credential in the log store. Values are followed through objects,
// templates, concatenation and JSON.stringify/String/util.inspect, but not through other calls (a
// length, a boolean or a hash of the value is fine).

import type { NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import type { JsRuleContext } from '../engine/js/context.ts';
import { propertyName } from '../engine/js/names.ts';
import { argPaths, calleeName, receiverName, type CallPath } from '../engine/js/rule-kit.ts';
import type { Rule } from '../types.ts';

const logMethods = new Set(['log', 'info', 'warn', 'error', 'debug', 'trace', 'fatal', 'verbose', 'silly', 'dir', 'http', 'notice', 'critical']);
const loggerName = /^(?:console|log|logs|logger|_logger|pino|winston|bunyan|signale)$|logger$/i;
/** Names handlers give the incoming event or request. */
const requestNames = /^(?:event|evt|rawEvent|apiEvent|req|request|incomingRequest)$/;
/** Credential names, compared lower-cased with separators removed. */
const sensitive = new Set(['password', 'passwd', 'pwd', 'passphrase', 'secret', 'clientsecret', 'token', 'accesstoken', 'refreshtoken', 'idtoken', 'authtoken', 'sessiontoken', 'bearertoken', 'apikey', 'xapikey', 'privatekey', 'secretkey', 'authorization', 'proxyauthorization', 'cookie', 'cookies', 'setcookie', 'creditcard', 'cardnumber', 'cvv', 'cvc', 'ssn', 'otp']);
const carriers = new Set(['JSON.stringify', 'String', 'util.inspect', 'inspect']);

/**
 * Text a file must contain for this rule to find anything: a call of a log method on something, and a
 * request name or a credential word (any case or separator) somewhere.
 */
const logCall = /\.\s*(?:log|info|warn|error|debug|trace|fatal|verbose|silly|dir|http|notice|critical)\s*\(/;
const loggable = /\b(?:event|evt|rawEvent|apiEvent|req|request|incomingRequest)\b|passw|passphrase|pwd|secret|token|api[-_]?key|private[-_]?key|authorization|cookie|credit[-_]?card|card[-_]?number|cvv|cvc|ssn|otp/i;

const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');

function isLogCall(path: CallPath): boolean {
  const method = calleeName(path);
  if (!method || !logMethods.has(method)) return false;
  const recv = receiverName(path);
  return recv !== null && loggerName.test(recv);
}

function isRequestParam(path: NodePath<t.Identifier>): boolean {
  if (!requestNames.test(path.node.name)) return false;
  const b = path.scope.getBinding(path.node.name);
  return b?.kind === 'param';
}

/** What a logged expression leaks, or null: follows values into objects, templates and stringification. */
function leak(path: NodePath, depth = 0): string | null {
  if (depth > 4) return null;
  if (path.isIdentifier()) {
    if (isRequestParam(path)) return `the whole \`${path.node.name}\``;
    return sensitive.has(norm(path.node.name)) ? `\`${path.node.name}\`` : null;
  }
  if (path.isMemberExpression() || path.isOptionalMemberExpression()) {
    const m = path.node as t.MemberExpression;
    const prop = propertyName(m);
    if (prop === null) return null;
    if (sensitive.has(norm(prop))) return `\`${prop}\``;
    // event.headers / req.headers / request.headers: every header, authorization and cookies included.
    if ((prop === 'headers' || prop === 'multiValueHeaders') && m.object.type === 'Identifier' && requestNames.test(m.object.name)) return `all headers of \`${m.object.name}\``;
    return null;
  }
  if (path.isCallExpression()) {
    const c = path.node;
    // req.get('authorization'), request.headers.get('cookie'), req.header('x-api-key')
    if (c.callee.type === 'MemberExpression' && /^(?:get|header)$/.test(propertyName(c.callee) ?? '') && c.arguments[0]?.type === 'StringLiteral' && sensitive.has(norm(c.arguments[0].value))) return `the ${c.arguments[0].value} header`;
    const callee = c.callee.type === 'Identifier' ? c.callee.name : c.callee.type === 'MemberExpression' && c.callee.object.type === 'Identifier' ? `${c.callee.object.name}.${propertyName(c.callee)}` : null;
    if (callee && carriers.has(callee)) {
      const first = (path.get('arguments') as NodePath[])[0];
      return first ? leak(first, depth + 1) : null;
    }
    return null;
  }
  if (path.isObjectExpression()) {
    for (const prop of path.get('properties')) {
      if (prop.isSpreadElement()) {
        const r = leak(prop.get('argument'), depth + 1);
        if (r) return r;
      } else if (prop.isObjectProperty()) {
        const key = prop.node.key;
        const keyName = !prop.node.computed && key.type === 'Identifier' ? key.name : key.type === 'StringLiteral' ? key.value : null;
        const value = prop.get('value') as NodePath;
        const r = leak(value, depth + 1);
        if (r) return r;
        if (keyName && sensitive.has(norm(keyName)) && !value.isLiteral() && !value.isUnaryExpression() && !value.isCallExpression()) return `\`${keyName}\``;
      }
    }
    return null;
  }
  if (path.isTemplateLiteral()) {
    for (const e of path.get('expressions')) {
      const r = leak(e as NodePath, depth + 1);
      if (r) return r;
    }
    return null;
  }
  if (path.isBinaryExpression({ operator: '+' })) return leak(path.get('left') as NodePath, depth + 1) ?? leak(path.get('right'), depth + 1);
  if (path.isArrayExpression()) {
    for (const e of path.get('elements')) {
      const r = e.node ? leak(e as NodePath, depth + 1) : null;
      if (r) return r;
    }
  }
  return null;
}

/** The strings of an array literal, or of a const holding one. */
function stringsOf(path: NodePath | null): string[] {
  if (!path) return [];
  let p = path;
  if (p.isIdentifier()) {
    const b = p.scope.getBinding(p.node.name);
    if (!b?.constant || !b.path.isVariableDeclarator()) return [];
    p = b.path.get('init') as NodePath;
  }
  if (!p.isArrayExpression()) return [];
  return p.node.elements.flatMap((e) => (e?.type === 'StringLiteral' ? [e.value.toLowerCase()] : []));
}

function optionPath(obj: NodePath, name: string): NodePath | null {
  if (!obj.isObjectExpression()) return null;
  for (const prop of obj.get('properties')) {
    if (prop.isObjectProperty() && !prop.node.computed && prop.node.key.type === 'Identifier' && prop.node.key.name === name) return prop.get('value') as NodePath;
  }
  return null;
}

/**
 * Whether the logger called is a const created with a `redact` option (pino) whose paths censor both the
 * authorization header and cookies: its headers are then written with the credentials blanked.
 */
function redactsCredentials(path: CallPath): boolean {
  const callee = path.get('callee') as NodePath;
  if (!callee.isMemberExpression()) return false;
  const recv = callee.get('object') as NodePath;
  if (!recv.isIdentifier()) return false;
  const b = recv.scope.getBinding(recv.node.name);
  if (!b?.constant || !b.path.isVariableDeclarator()) return false;
  const init = b.path.get('init') as NodePath;
  if (!init.isCallExpression()) return false;
  const first = (init.get('arguments') as NodePath[])[0];
  if (!first) return false;
  const redact = optionPath(first, 'redact');
  if (!redact) return false;
  const paths = redact.isObjectExpression() ? stringsOf(optionPath(redact, 'paths')) : stringsOf(redact);
  return paths.some((p) => p.includes('authorization')) && paths.some((p) => p.includes('cookie'));
}

export const rule: Rule<JsRuleContext> = {
  meta: {
    id: 'BWK-LOG-SENSITIVE',
    engine: 'js',
    severity: 'medium',
    owasp: 'SAS-5',
    cwe: ['CWE-532'],
    description: 'A log call writes the whole event/request, its headers, its authorization header or cookies, or a password/token value.',
    fix: 'Log the fields you need (request id, route, status, user id), never the event, headers, cookies or credentials; Bulwark logs each request already.',
    messages: {
      sensitive: 'Log call writes {{what}}, which carries credentials',
    },
    mitigatedBy: ['dlp'],
  },
  check(context) {
    if (!logCall.test(context.source) || !loggable.test(context.source)) return;
    context.visit({
      CallExpression(p) {
        const path = p as CallPath;
        if (!isLogCall(path)) return;
        for (const arg of argPaths(path)) {
          const what = leak(arg);
          if (what?.startsWith('all headers') && redactsCredentials(path)) continue;
          if (what) {
            context.report({ node: arg, messageId: 'sensitive', data: { what } });
            return;
          }
        }
      },
    });
  },
};
