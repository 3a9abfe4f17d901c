// JWTs trusted without verification: `jwt.decode` (jsonwebtoken), `decodeJwt` (jose) or a hand-rolled
// base64 decode of the payload (`token.split('.')[1]`) in a function that never verifies a signature —
// anyone can mint such a token. And verification that does not verify: `algorithms` allowing 'none',
// `ignoreExpiration: true`. Decoding first to pick the key (`kid`) and verifying in the same function
// is the normal pattern and is not reported.

import type { NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import type { JsRuleContext } from '../engine/js/context.ts';
import { propertyName } from '../engine/js/names.ts';
import { argPaths, calleeName, definition, propertyPath, type CallPath } from '../engine/js/rule-kit.ts';
import type { Rule } from '../types.ts';

const decoders = new Set(['jsonwebtoken.decode', 'jose.decodeJwt', 'jwt-decode', 'jwt-decode.jwtDecode', 'jwt-decode.default']);
/** Any of these in the same function counts as verification (jsonwebtoken, jose, aws-jwt-verify, fast-jwt…). */
const verifyNames = /^(?:verify|verifySync|jwtVerify|compactVerify|flattenedVerify|generalVerify|jwtDecrypt|createVerifier)$/;
const verifiers = new Set(['jsonwebtoken.verify', 'jose.jwtVerify', 'jose.compactVerify']);

/** `Buffer.from(token.split('.')[1], 'base64')` / `atob(token.split('.')[1])`: the payload read by hand. */
function isManualDecode(path: CallPath, name: string | null): boolean {
  if (name !== 'Buffer.from' && name !== 'atob' && name !== 'base64url.decode') return false;
  const arg = (path.get('arguments') as NodePath[])[0];
  return arg !== undefined && isPayloadPart(arg, 0);
}

function isSplitOnDot(n: t.Node | null | undefined): boolean {
  return n?.type === 'CallExpression' && n.callee.type === 'MemberExpression' && propertyName(n.callee) === 'split'
    && n.arguments[0]?.type === 'StringLiteral' && n.arguments[0].value === '.';
}

/**
 * The payload part of a token: `token.split('.')[1]`, a const holding it, the second element of
 * `const [, payload] = token.split('.')`, and any of these put through the base64url → base64 `replace`s.
 */
function isPayloadPart(path: NodePath, depth: number): boolean {
  let p = path;
  while (p.isCallExpression()) {
    const callee = p.get('callee') as NodePath;
    if (!callee.isMemberExpression() || !/^(?:replace|replaceAll|trim|padEnd)$/.test(propertyName(callee.node) ?? '')) break;
    p = callee.get('object') as NodePath;
  }
  const n = p.node;
  if (n.type === 'MemberExpression' && n.computed && n.property.type === 'NumericLiteral' && n.property.value === 1) return isSplitOnDot(n.object);
  if (!p.isIdentifier() || depth > 2) return false;
  const b = p.scope.getBinding(p.node.name);
  if (!b?.path.isVariableDeclarator() || !b.path.node.init) return false;
  const id = b.path.node.id;
  if (id.type === 'Identifier') return isPayloadPart(b.path.get('init') as NodePath, depth + 1);
  const second = id.type === 'ArrayPattern' ? id.elements[1] : null;
  return second?.type === 'Identifier' && second.name === p.node.name && isSplitOnDot(b.path.node.init);
}

function stringValues(path: NodePath | null): string[] {
  if (!path) return [];
  const d = definition(path);
  if (d.isStringLiteral()) return [d.node.value];
  if (d.isArrayExpression()) return d.node.elements.flatMap((e) => (e?.type === 'StringLiteral' ? [e.value] : []));
  return [];
}

export const rule: Rule<JsRuleContext> = {
  meta: {
    id: 'BWK-AUTH-JWT-NOVERIFY',
    engine: 'js',
    severity: 'high',
    owasp: 'SAS-2',
    cwe: ['CWE-347', 'CWE-345'],
    description: "A JWT is decoded without its signature being verified in the same function, or verified with the 'none' algorithm allowed or expiry ignored.",
    fix: "Verify with jwt.verify / jose jwtVerify and an explicit algorithms list (e.g. ['RS256']), or let Bulwark's authn guard verify JWTs at the gateway (auth: jwt in bulwark.yaml).",
    messages: {
      decodeOnly: '{{decoder}} reads the token without verifying its signature, and nothing in this function verifies it',
      noneAlgorithm: "{{verifier}} accepts the 'none' algorithm: unsigned tokens pass",
      ignoreExpiration: '{{verifier}} ignores the expiry (ignoreExpiration: true): expired tokens pass',
    },
    mitigatedBy: ['authn'],
  },
  check(context) {
    if (!/decode|verify|split\(\s*['"]\.['"]\s*\)/i.test(context.source)) return;
    // Verification may come after the decode in the same function: decide at the end of the file.
    const decodes: Array<{ path: CallPath; fn: NodePath | null; decoder: string }> = [];
    const verifying = new Set<t.Node | null>();
    context.visit({
      'CallExpression|NewExpression'(p) {
        const path = p as CallPath;
        const name = context.resolve(path);
        const method = calleeName(path);
        if ((name && verifiers.has(name)) || (method && verifyNames.test(method))) {
          // The verifying function and every function around it (a verify in a callback counts for its caller).
          const own = path.getFunctionParent();
          if (!own) verifying.add(null);
          for (let f: NodePath | null = own; f; f = f.parentPath?.getFunctionParent() ?? null) verifying.add(f.node);
        }
        if (name && decoders.has(name)) {
          decodes.push({ path, fn: path.getFunctionParent(), decoder: name.startsWith('jose') ? 'decodeJwt' : name.startsWith('jwt-decode') ? 'jwt-decode' : 'jwt.decode' });
        } else if (isManualDecode(path, name)) {
          decodes.push({ path, fn: path.getFunctionParent(), decoder: 'a hand-written base64 decode of the payload' });
        }
        if (name !== 'jsonwebtoken.verify') return;
        const opts = argPaths(path)[2];
        if (!opts) return;
        const o = definition(opts);
        if (stringValues(propertyPath(o, 'algorithms')).some((a) => a.toLowerCase() === 'none')) {
          context.report({ node: path, messageId: 'noneAlgorithm', data: { verifier: 'jwt.verify' } });
        }
        const ignore = propertyPath(o, 'ignoreExpiration');
        if (ignore && definition(ignore).isBooleanLiteral({ value: true })) {
          context.report({ node: path, messageId: 'ignoreExpiration', data: { verifier: 'jwt.verify' } });
        }
      },
      Program: {
        exit() {
          for (const d of decodes) {
            if (verifying.has(d.fn?.node ?? null)) continue;
            context.report({ node: d.path, messageId: 'decodeOnly', data: { decoder: d.decoder } });
          }
        },
      },
    });
  },
};
