// Weak cryptography and randomness where it protects something: Math.random() producing a token, id,
// password, OTP, nonce or salt (predictable: V8's xorshift state can be recovered from a few outputs);
// MD5/SHA-1 hashing a password or token (fast and broken: use scrypt/argon2/bcrypt, or SHA-256 for
// token digests); crypto.createCipher/createDecipher (key from an unsalted MD5 of the password, no IV;
// removed in Node 22); ECB modes, DES/3DES, RC4 and other broken ciphers. Math.random for jitter,
// sampling or shuffling a UI list is not reported: only where the name says it is a secret.

import type { NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import type { JsRuleContext } from '../engine/js/context.ts';
import { propertyName } from '../engine/js/names.ts';
import { argPaths, calleeName, definition, type CallPath } from '../engine/js/rule-kit.ts';
import type { Rule } from '../types.ts';

const secretWords = new Set(['token', 'tokens', 'secret', 'password', 'passwd', 'pwd', 'passphrase', 'otp', 'totp', 'nonce', 'salt', 'session', 'sid', 'key', 'apikey', 'id', 'ids', 'uuid', 'guid', 'csrf', 'xsrf', 'jti', 'pin', 'ticket', 'invite', 'voucher', 'coupon', 'iv', 'challenge', 'verifier', 'state']);
/** `code` is a secret only next to one of these (verificationCode, resetCode, not statusCode). */
const codeQualifiers = new Set(['verification', 'verify', 'confirm', 'confirmation', 'reset', 'login', 'auth', 'mfa', 'sms', 'email', 'otp', 'invite', 'access', 'one', 'recovery', 'activation', 'promo']);
const hashSecretWords = /pass(?:word|wd|phrase)?|pwd|secret|token|apikey|api_key|pin\b|otp|credential/i;
const weakCipher = /(?:^|-)ecb$|^des(?:$|-|3|_)|^des-ede|^rc[24](?:$|-)|^bf(?:$|-)|^blowfish|^cast5?(?:$|-)|^idea(?:$|-)|^seed(?:$|-)/i;

/** Local callee names worth resolving; anything else cannot be one of the calls below. */
const callees = new Set(['random', 'createHash', 'createCipher', 'createDecipher', 'createCipheriv', 'createDecipheriv', 'md5', 'sha1', 'MD5', 'SHA1']);

function words(name: string): string[] {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
}

function isSecretName(name: string): boolean {
  const w = words(name);
  if (w.some((x) => secretWords.has(x))) return true;
  return w.includes('code') && w.some((x) => codeQualifiers.has(x));
}

function nameOf(n: t.Node): string | null {
  if (n.type === 'Identifier') return n.name;
  if (n.type === 'StringLiteral') return n.value;
  if (n.type === 'MemberExpression' || n.type === 'OptionalMemberExpression') return propertyName(n);
  return null;
}

/** Names the value of an expression ends up under: its variable, property, assignment target, function. */
function destinationNames(path: NodePath): string[] {
  const names: string[] = [];
  for (let p: NodePath | null = path, child: NodePath = path; p; child = p, p = p.parentPath) {
    const n = p.node;
    if (n.type === 'VariableDeclarator' && n.init === child.node) names.push(nameOf(n.id) ?? '');
    else if (n.type === 'ObjectProperty' && n.value === child.node && !n.computed) names.push(nameOf(n.key) ?? '');
    else if (n.type === 'AssignmentExpression' && n.right === child.node) names.push(nameOf(n.left) ?? '');
    else if (n.type === 'ClassProperty' && n.value === child.node) names.push(nameOf(n.key) ?? '');
    if (p.isFunction()) {
      const fn = p.node as t.Function;
      if ('id' in fn && fn.id) names.push(fn.id.name);
      const parent = p.parentPath?.node;
      if (parent?.type === 'VariableDeclarator') names.push(nameOf(parent.id) ?? '');
      if (parent?.type === 'ObjectProperty' || parent?.type === 'ClassMethod' || parent?.type === 'ObjectMethod') names.push(nameOf((parent as t.ObjectProperty).key) ?? '');
      if (n.type === 'ObjectMethod' || n.type === 'ClassMethod') names.push(nameOf(n.key) ?? '');
      break;
    }
    // Up to the enclosing function's name, but not out of a loop or branch into unrelated code.
    const functionBody = p.isBlockStatement() && p.parentPath?.isFunction();
    if (p.isStatement() && !functionBody && !p.isReturnStatement() && !p.isVariableDeclaration() && !p.isExpressionStatement()) break;
  }
  return names.filter(Boolean);
}

function literal(path: NodePath | undefined): string | null {
  if (!path) return null;
  const d = definition(path);
  return d.isStringLiteral() ? d.node.value : null;
}

/** The `.update(x)` of a `createHash(…).update(x)` chain, as the names it mentions. */
function hashedNames(call: NodePath): string[] {
  const parent = call.parentPath;
  if (!parent?.isMemberExpression() || propertyName(parent.node) !== 'update') return [];
  const up = parent.parentPath;
  if (!up?.isCallExpression()) return [];
  const arg = up.node.arguments[0];
  const out: string[] = [];
  if (arg) {
    let n: t.Node = arg;
    while (n.type === 'CallExpression' && n.arguments[0]) n = n.arguments[0];
    const name = nameOf(n);
    if (name) out.push(name);
  }
  return [...out, ...destinationNames(up)];
}

export const rule: Rule<JsRuleContext> = {
  meta: {
    id: 'BWK-CRYPTO-WEAK',
    engine: 'js',
    severity: 'medium',
    owasp: 'SAS-2',
    cwe: ['CWE-338', 'CWE-327', 'CWE-328', 'CWE-916'],
    description: 'Predictable randomness for secrets (Math.random), MD5/SHA-1 for passwords or tokens, createCipher, or a broken cipher/mode (ECB, DES, RC4).',
    fix: 'Use crypto.randomBytes / crypto.randomUUID for secrets, scrypt/argon2/bcrypt for passwords (SHA-256 for token digests), and AES-256-GCM via createCipheriv with a random IV.',
    messages: {
      mathRandom: 'Math.random() is predictable but generates `{{name}}`',
      weakHash: '{{alg}} is too weak to hash `{{name}}`',
      deprecatedCipher: '{{fn}} derives the key from an unsalted MD5 of the password and uses no IV',
      weakCipher: 'Cipher {{alg}} is broken or leaks patterns',
    },
  },
  check(context) {
    if (!/random|createHash|createCipher|createDecipher|md5|sha1/i.test(context.source)) return;
    context.visit({
      CallExpression(p) {
        const path = p as CallPath;
        if (!callees.has(calleeName(path) ?? '')) return;
        const name = context.resolve(path);
        if (name === null) return;
        if (name === 'Math.random') {
          const target = destinationNames(path).find(isSecretName);
          if (target) context.report({ node: path, messageId: 'mathRandom', data: { name: target } });
          return;
        }
        if (name === 'crypto.createHash') {
          const alg = literal(argPaths(path)[0])?.toLowerCase();
          if (alg !== 'md5' && alg !== 'md4' && alg !== 'sha1' && alg !== 'sha-1') return;
          const target = hashedNames(path).find((n) => hashSecretWords.test(n)) ?? destinationNames(path).find((n) => hashSecretWords.test(n));
          if (target) context.report({ node: path, messageId: 'weakHash', data: { alg: alg.toUpperCase(), name: target } });
          return;
        }
        if (name === 'md5' || name === 'sha1' || name === 'crypto-js.MD5' || name === 'crypto-js.SHA1') {
          const arg = path.node.arguments[0];
          const target = [arg ? nameOf(arg) : null, ...destinationNames(path)].find((n): n is string => !!n && hashSecretWords.test(n));
          if (target) context.report({ node: path, messageId: 'weakHash', data: { alg: name.replace(/^crypto-js\./, '').toUpperCase(), name: target } });
          return;
        }
        if (name === 'crypto.createCipher' || name === 'crypto.createDecipher') {
          context.report({ node: path, messageId: 'deprecatedCipher', data: { fn: name } });
          return;
        }
        if (name === 'crypto.createCipheriv' || name === 'crypto.createDecipheriv') {
          const alg = literal(argPaths(path)[0]);
          if (alg && weakCipher.test(alg)) context.report({ node: path, messageId: 'weakCipher', data: { alg } });
        }
      },
    });
  },
};
