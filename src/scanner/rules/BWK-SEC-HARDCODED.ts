// Hard-coded credentials: string literals in a known credential format (cloud keys, private keys,
// provider tokens, JWTs, Bulwark API keys), high-entropy literals given to a credential-named variable,
// property or comparison, and literal keys passed to JWT signing or HMAC. A credential in source is in
// every clone, bundle and log of the repository, and cannot be rotated without a deploy. The finding
// never repeats the value.

import type { NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import type { JsRuleContext } from '../engine/js/context.ts';
import { argPaths, calleeName, type CallPath } from '../engine/js/rule-kit.ts';
import type { Rule } from '../types.ts';

/** Formats that are credentials whatever they are called. Test files keep only the unambiguous ones. */
const formats: Array<{ kind: string; pattern: RegExp; inTests: boolean }> = [
  { kind: 'private key', pattern: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/, inTests: true },
  { kind: 'AWS access key id', pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/, inTests: true },
  { kind: 'GitHub token', pattern: /\bgh[pousr]_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{60,}/, inTests: true },
  { kind: 'Slack token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}|hooks\.slack\.com\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]{16,}/, inTests: true },
  { kind: 'Stripe live key', pattern: /\b[sr]k_live_[A-Za-z0-9]{16,}/, inTests: true },
  { kind: 'Google API key', pattern: /\bAIza[A-Za-z0-9_-]{35}\b/, inTests: true },
  { kind: 'Google OAuth client secret', pattern: /\bGOCSPX-[A-Za-z0-9_-]{28}\b/, inTests: true },
  { kind: 'npm token', pattern: /\bnpm_[A-Za-z0-9]{36}\b/, inTests: true },
  { kind: 'Bulwark API key', pattern: /\bbwk_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/, inTests: true },
  { kind: 'JWT', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/, inTests: false },
];

/** `mongodb+srv://user:password@host`: the password part of a database/broker connection string. */
const credentialUri = /\b(?:mongodb(?:\+srv)?|postgres(?:ql)?|mysql|mariadb|redis|rediss|amqps?|mssql|sqlserver|smtps?|ftp):\/\/[^\s:/@]+:([^\s@/]+)@/i;

/** One cheap test before the per-format ones: every format starts with one of these. */
const anyFormat = /PRIVATE KEY|AKIA|ASIA|ABIA|ACCA|gh[pousr]_|github_pat_|xox|hooks\.slack|k_live_|AIza|GOCSPX-|npm_|bwk_|eyJ/;

/**
 * Text a file must contain for this rule to find anything: a format's start, a credential word of a
 * name (any case or separator), or a signing call. Files without any are never parsed for this rule.
 */
const candidate = /:\/\/[^\s:/@'"`]+:[^\s@/'"`]+@|PRIVATE KEY|AKIA|ASIA|ABIA|ACCA|gh[pousr]_|github_pat_|xox|hooks\.slack|k_live_|AIza|GOCSPX-|npm_|bwk_|eyJ|passw|passphrase|pwd|secret|token|credential|api[-_ ]?key|(?:access|private|signing|encryption|auth|master|client|hmac|jwt)[-_ ]?key|\b(?:sign|verify|createHmac)\s*\(/i;

/** Name words that make the value a credential; `keyWords` only count next to one of `keyQualifiers`. */
const credentialWords = new Set(['password', 'passwd', 'passphrase', 'pwd', 'secret', 'token', 'apikey', 'credential', 'credentials']);
const keyQualifiers = new Set(['api', 'access', 'secret', 'private', 'signing', 'encryption', 'auth', 'master', 'client', 'hmac', 'jwt']);
/** A trailing word that makes the name about the credential, not the credential (tokenUrl, secretName). */
const notTheValue = new Set(['url', 'uri', 'endpoint', 'name', 'names', 'id', 'type', 'header', 'field', 'param', 'path', 'file', 'length', 'min', 'max', 'pattern', 'regex', 'label', 'prefix', 'env', 'var', 'key_name', 'hash', 'policy', 'ttl', 'expiry', 'expires', 'count', 'placeholder', 'hint', 'error', 'message']);

function words(name: string): string[] {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
}

/** Whether a name designates a credential value (`dbPassword`, `API_KEY`, `clientSecret`, not `tokenUrl`). */
function isCredentialName(name: string): boolean {
  const w = words(name);
  if (w.length === 0 || notTheValue.has(w[w.length - 1]!)) return false;
  const joined = w.join('');
  if (credentialWords.has(joined)) return true;
  for (let i = 0; i < w.length; i++) {
    if (credentialWords.has(w[i]!) && i === w.length - 1) return true;
    if (w[i] === 'key' && i === w.length - 1 && i > 0 && keyQualifiers.has(w[i - 1]!)) return true;
    if (w[i] === 'apikey' || (w[i] === 'api' && w[i + 1] === 'key' && i + 1 === w.length - 1)) return true;
  }
  return false;
}

function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

/** Values that are obviously not a real credential: placeholders, templates, names of secrets, prose. */
function isPlaceholder(v: string): boolean {
  const lower = v.toLowerCase();
  if (/^(?:change[-_ ]?me|changeit|password|secret|example|dummy|placeholder|test|testing|todo|none|null|undefined|redacted|foo|bar|foobar|xxx+|\*+|\.+)$/.test(lower)) return true;
  if (/x{6,}|\*{4,}|\.{3}|<[^>]*>|\$\{|\{\{|%s|^your[-_ ]|[-_ ]here$|example|dummy|placeholder|sample|fake|redacted|masked|not[-_ ]?a[-_ ]?real|replace[-_ ]?me/.test(lower)) return true;
  if (/^(.)\1+$/.test(v)) return true;
  return false;
}

/** A literal that looks like a real secret value rather than a label, a name or a sentence. */
function looksSecret(v: string): boolean {
  if (v.length < 8 || v.length > 512 || /\s/.test(v) || isPlaceholder(v)) return false;
  // The NAME of a secret (process.env.API_TOKEN, secrets.get('DB_PASSWORD')), a URL, a path, a MIME type.
  if (/^[A-Z][A-Z0-9_]*$/.test(v) || /^[a-z]+:\/\//i.test(v) || v.startsWith('/') || /^[a-z]+\/[a-z0-9.+-]+$/i.test(v)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(v)).length;
  return v.length >= 16 ? entropy(v) >= 3 && classes >= 2 : classes >= 2 && entropy(v) >= 2.5;
}

function isTestFile(file: string): boolean {
  return /(?:^|\/)(?:test|tests|__tests__|__mocks__|spec|fixtures?|examples?|e2e)\//.test(file) || /\.(?:test|spec)\.[cm]?[jt]sx?$/.test(file);
}

function literalValue(n: t.Node): string | null {
  if (n.type === 'StringLiteral') return n.value;
  if (n.type === 'TemplateLiteral' && n.expressions.length === 0) return n.quasis[0]!.value.cooked ?? null;
  return null;
}

function keyName(n: t.Node): string | null {
  if (n.type === 'Identifier') return n.name;
  if (n.type === 'StringLiteral') return n.value;
  if (n.type === 'MemberExpression' && !n.computed && n.property.type === 'Identifier') return n.property.name;
  if (n.type === 'MemberExpression' && n.property.type === 'StringLiteral') return n.property.value;
  return null;
}

/** The name a literal is given to: `const dbPassword = …`, `{ apiKey: … }`, `cfg.token = …`, `pw === …`. */
function receivingName(path: NodePath): string | null {
  const parent = path.parentPath;
  if (!parent) return null;
  const p = parent.node;
  if (p.type === 'VariableDeclarator' && p.init === path.node) return keyName(p.id);
  if (p.type === 'ObjectProperty' && p.value === path.node && !p.computed) return keyName(p.key);
  if (p.type === 'AssignmentExpression' && p.right === path.node) return keyName(p.left);
  if (p.type === 'AssignmentPattern' && p.right === path.node) return keyName(p.left);
  if (p.type === 'ClassProperty' && p.value === path.node) return keyName(p.key);
  if (p.type === 'BinaryExpression' && /^[!=]==?$/.test(p.operator)) return keyName(p.left === path.node ? p.right : p.left);
  if (p.type === 'LogicalExpression' && p.right === path.node && (p.operator === '??' || p.operator === '||')) {
    // const apiKey = process.env.API_KEY || 'fallback-literal'
    return receivingName(parent);
  }
  return null;
}

/** Calls whose key argument must never be a literal: the literal is the signing/verifying secret. */
const keyArgument = new Map([
  ['jsonwebtoken.sign', 1],
  ['jsonwebtoken.verify', 1],
  ['crypto.createHmac', 1],
]);

export const rule: Rule<JsRuleContext> = {
  meta: {
    id: 'BWK-SEC-HARDCODED',
    engine: 'js',
    severity: 'high',
    owasp: 'SAS-7',
    cwe: ['CWE-798', 'CWE-321'],
    description: 'A credential is written in the source: a known key or token format, a high-entropy value given to a credential-named variable or property, or a literal signing key.',
    fix: 'Move the value to the Bulwark vault (`bulwark secrets set`), grant it in bulwark.yaml and read it with `context.secrets.get(name)`; rotate the leaked value.',
    messages: {
      knownFormat: 'Hard-coded {{kind}} in the source',
      named: 'Hard-coded credential given to `{{name}}`',
      signingKey: 'Hard-coded key passed to {{sink}}',
    },
    mitigatedBy: ['dlp'],
  },
  check(context) {
    if (!candidate.test(context.source)) return;
    const inTest = isTestFile(context.file);
    const keyLiterals = new Set<t.Node>();
    const inspect = (path: NodePath, value: string) => {
      if (value.length < 8 || keyLiterals.has(path.node)) return;
      for (const f of anyFormat.test(value) ? formats : []) {
        if (inTest && !f.inTests) continue;
        if (!f.pattern.test(value)) continue;
        // Redacted or templated copies of a format (AKIAXXXXXXXXXXXXXXXX) are documentation.
        if (/X{8,}|x{8,}|0{12,}|\*{4,}/.test(value)) return;
        context.report({ node: path, messageId: 'knownFormat', data: { kind: f.kind } });
        return;
      }
      if (inTest) return;
      // Local-development URIs (postgres://app:app@localhost) have no secret-looking password.
      const uriPassword = credentialUri.exec(value)?.[1];
      if (uriPassword !== undefined && looksSecret(uriPassword)) {
        context.report({ node: path, messageId: 'knownFormat', data: { kind: 'connection string with a password' } });
        return;
      }
      const name = receivingName(path);
      if (name && isCredentialName(name) && looksSecret(value)) context.report({ node: path, messageId: 'named', data: { name } });
    };
    context.visit({
      StringLiteral(path) {
        const p = path.parent;
        // Module specifiers, object keys and directives are never credentials.
        if (p.type === 'ImportDeclaration' || p.type === 'ExportNamedDeclaration' || p.type === 'ExportAllDeclaration') return;
        if (p.type === 'ObjectProperty' && p.key === path.node) return;
        inspect(path, path.node.value);
      },
      TemplateLiteral(path) {
        const v = literalValue(path.node);
        if (v !== null) inspect(path, v);
        else for (const q of path.node.quasis) if (q.value.cooked && /-----BEGIN [A-Z ]*PRIVATE KEY/.test(q.value.cooked)) inspect(path, q.value.cooked);
      },
      'CallExpression|NewExpression'(p) {
        const path = p as CallPath;
        const method = calleeName(path);
        if (method !== 'sign' && method !== 'verify' && method !== 'createHmac') return;
        const name = context.resolve(path);
        const at = name === null ? undefined : keyArgument.get(name);
        if (at === undefined) return;
        const arg = argPaths(path)[at];
        const v = arg ? literalValue(arg.node) : null;
        if (!arg || v === null || v.length === 0) return;
        // Visited before its literal child: the literal is reported here, as a key, and not again.
        keyLiterals.add(arg.node);
        context.report({ node: arg, messageId: 'signingKey', data: { sink: name! } });
      },
    });
  },
};
