// The static half of least-privilege analysis: which capabilities a deployed bundle's code references.
// The bundle (one ES module, src/deploy/bundle.ts) is parsed with @babel/parser and every call is looked
// at: `<x>.secrets.get(arg)` / `secrets.get(arg)` names a secret, `<x>.fetch(arg)` / `fetch(arg)` an
// egress host, `<x>.kv.get|put|list|delete(arg)` a kv namespace, `<x>.invoke(arg)` a callee. A string literal (or a template whose text fixes the origin) pins the target; anything
// else is counted as a dynamic reference, which the static side cannot narrow (the run-time records of
// src/policy/usage.ts can). The code is only read, never run.

import { parse } from '@babel/parser';
import { BulwarkError } from '../errors.ts';
import { egressTarget } from '../runtime/broker/egress-policy.ts';
import { hostPort } from './usage.ts';

export interface StaticReferences {
  /** Secret names passed as literals, sorted. */
  secrets: string[];
  /** secrets.get calls whose name is computed at run time. */
  dynamicSecrets: number;
  /** host:port of literal fetch URLs, sorted. */
  egress: string[];
  /** fetch calls whose origin is computed at run time. */
  dynamicEgress: number;
  /** kv namespaces passed as literals (`kv.get('orders', …)`), sorted. */
  kv: string[];
  dynamicKv: number;
  /** Callees passed as literals (`invoke('billing', …)`), sorted. */
  invoke: string[];
  dynamicInvoke: number;
}

interface Node {
  type: string;
  [key: string]: unknown;
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as Node).type === 'string';
}

function propertyName(member: Node): string | undefined {
  const p = member.property as Node;
  if (!member.computed && p.type === 'Identifier') return p.name as string;
  if (p.type === 'StringLiteral') return p.value as string;
  return undefined;
}

function isMember(node: Node): boolean {
  return node.type === 'MemberExpression' || node.type === 'OptionalMemberExpression';
}

/** `secrets.get` or `<anything>.secrets.get`. */
function isSecretsGet(callee: Node): boolean {
  if (!isMember(callee) || propertyName(callee) !== 'get') return false;
  const obj = callee.object as Node;
  return (obj.type === 'Identifier' && obj.name === 'secrets') || (isMember(obj) && propertyName(obj) === 'secrets');
}

const KV_METHODS = new Set(['get', 'put', 'list', 'delete']);

/** `kv.get|put|list|delete` or `<anything>.kv.…`. */
function isKvCall(callee: Node): boolean {
  if (!isMember(callee) || !KV_METHODS.has(propertyName(callee) ?? '')) return false;
  const obj = callee.object as Node;
  return (obj.type === 'Identifier' && obj.name === 'kv') || (isMember(obj) && propertyName(obj) === 'kv');
}

/** `invoke` or `<anything>.invoke`. */
function isInvoke(callee: Node): boolean {
  return (callee.type === 'Identifier' && callee.name === 'invoke') || (isMember(callee) && propertyName(callee) === 'invoke');
}

/** `fetch` or `<anything>.fetch`. */
function isFetch(callee: Node): boolean {
  return (callee.type === 'Identifier' && callee.name === 'fetch') || (isMember(callee) && propertyName(callee) === 'fetch');
}

/** The argument's fixed text: the whole string, or a template's text before its first substitution. */
function literalText(arg: Node | undefined): { text: string; complete: boolean } | undefined {
  if (!arg) return undefined;
  if (arg.type === 'StringLiteral') return { text: arg.value as string, complete: true };
  if (arg.type === 'TemplateLiteral') {
    const quasis = arg.quasis as Array<{ value: { cooked: string | null } }>;
    const first = quasis[0]?.value.cooked;
    if (first === null || first === undefined) return undefined;
    return { text: first, complete: (arg.expressions as unknown[]).length === 0 };
  }
  return undefined;
}

/** host:port of a fetch argument, when its text fixes the origin. */
function fetchTarget(arg: Node | undefined): string | undefined {
  const lit = literalText(arg);
  if (!lit) return undefined;
  // A template's origin is fixed only when the text before the substitution ends the authority.
  if (!lit.complete && !/^https?:\/\/[^/?#]+[/?#]/i.test(lit.text)) return undefined;
  const target = egressTarget(lit.text);
  return target ? hostPort(target.host, target.port) : undefined;
}

/** Throws BWK_E_POLICY_BUNDLE_UNPARSABLE when the bundle is not JavaScript @babel/parser can read. */
export function findReferences(code: string): StaticReferences {
  let ast: Node;
  try {
    ast = parse(code, { sourceType: 'module', errorRecovery: false }) as unknown as Node;
  } catch (err) {
    throw new BulwarkError('BWK_E_POLICY_BUNDLE_UNPARSABLE', [(err as Error).message]);
  }
  const secrets = new Set<string>();
  const egress = new Set<string>();
  const kv = new Set<string>();
  const invoke = new Set<string>();
  let dynamicSecrets = 0;
  let dynamicEgress = 0;
  let dynamicKv = 0;
  let dynamicInvoke = 0;
  // Iterative: a deeply nested bundle must not overflow the gateway's stack.
  const stack: Node[] = [ast];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.type === 'CallExpression' || node.type === 'OptionalCallExpression') {
      const callee = node.callee as Node;
      const arg = (node.arguments as Node[])[0];
      if (isSecretsGet(callee)) {
        const lit = literalText(arg);
        if (lit?.complete) secrets.add(lit.text);
        else dynamicSecrets++;
      } else if (isFetch(callee)) {
        const target = fetchTarget(arg);
        if (target) egress.add(target);
        else dynamicEgress++;
      } else if (isKvCall(callee)) {
        const lit = literalText(arg);
        if (lit?.complete) kv.add(lit.text);
        else dynamicKv++;
      } else if (isInvoke(callee)) {
        const lit = literalText(arg);
        if (lit?.complete) invoke.add(lit.text);
        else dynamicInvoke++;
      }
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === 'loc' || key === 'leadingComments' || key === 'trailingComments' || key === 'innerComments') continue;
      if (Array.isArray(value)) {
        for (const item of value) if (isNode(item)) stack.push(item);
      } else if (isNode(value)) {
        stack.push(value);
      }
    }
  }
  return {
    secrets: [...secrets].sort(), dynamicSecrets, egress: [...egress].sort(), dynamicEgress,
    kv: [...kv].sort(), dynamicKv, invoke: [...invoke].sort(), dynamicInvoke,
  };
}

/**
 * findReferences remembered by bundle digest. A bundle is stored by its sha256 and never changes, so
 * its references never do; parsing a large bundle is costly, and without this every report request
 * (any viewer's, and `GET /policy` once per function in scope) would parse again. `load` reads the
 * bundle only when the digest is not remembered; an unparsable bundle's error is remembered too. At
 * most `limit` digests are kept, the oldest forgotten first.
 */
export function createReferenceCache(limit: number): (sha256: string, load: () => Promise<string>) => Promise<StaticReferences> {
  const known = new Map<string, StaticReferences | BulwarkError>();
  return async (sha256, load) => {
    let found = known.get(sha256);
    if (found === undefined) {
      const code = await load();
      try {
        found = findReferences(code);
      } catch (err) {
        if (!(err instanceof BulwarkError)) throw err;
        found = err;
      }
      if (known.size >= limit) known.delete(known.keys().next().value!);
      known.set(sha256, found);
    }
    if (found instanceof BulwarkError) throw found;
    return found;
  };
}
