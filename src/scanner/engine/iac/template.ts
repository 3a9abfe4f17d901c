// Reading one template into the IacTemplate every IaC rule gets: which flavour it is (SAM, plain
// CloudFormation, serverless.yml), its resources, and its Lambda functions with the effective values of
// the properties the rules share. SAM Globals.Function is merged as SAM does it: a function's own
// value wins, Environment.Variables are merged key by key.

import { at, entries, entry, get, parseTree, str, text, type PEntry, type PMap, type PNode } from '../yaml-tree.ts';
import type { CfnResource, Effective, IacTemplate, LambdaFunction, ServerlessModel, TemplateKind } from './context.ts';
import { resolveServerless } from './serverless-vars.ts';

/** Cheap look before parsing: does the text name what a template or serverless.yml must contain? */
export function looksLikeTemplate(source: string): boolean {
  return /(^|["\s])(Resources|AWSTemplateFormatVersion|Transform)"?\s*:/m.test(source)
    || (/^service\s*:/m.test(source) && /^(provider|functions)\s*:/m.test(source))
    || (/"service"\s*:/.test(source) && /"(provider|functions)"\s*:/.test(source));
}

export function readTemplate(file: string, source: string, options: Record<string, string>): IacTemplate | { error: string } | undefined {
  if (!looksLikeTemplate(source)) return undefined;
  const parsed = parseTree(source, { intrinsics: true });
  if (parsed.error) return { error: `line ${parsed.error.line}:${parsed.error.column}: ${parsed.error.message}` };
  let root = parsed.root;
  if (root?.type !== 'map') return undefined;
  const kind = kindOf(root);
  if (!kind) return undefined;
  if (kind === 'serverless') {
    const resolved = resolveServerless(root, options);
    if (resolved.type !== 'map') return undefined;
    root = resolved;
  }
  const resourcesNode = kind === 'serverless' ? at(root, 'resources', 'Resources') : get(root, 'Resources');
  const resources: CfnResource[] = [];
  for (const e of entries(resourcesNode)) {
    if (e.value.type !== 'map') continue;
    resources.push({ id: e.key, type: str(get(e.value, 'Type')) ?? '', keyPos: e.keyPos, node: e.value, properties: get(e.value, 'Properties') });
  }
  const globalsNode = kind === 'sam' ? get(root, 'Globals') : undefined;
  const globals = {
    ...(get(globalsNode, 'Function') ? { Function: get(globalsNode, 'Function')! } : {}),
    ...(get(globalsNode, 'Api') ? { Api: get(globalsNode, 'Api')! } : {}),
    ...(get(globalsNode, 'HttpApi') ? { HttpApi: get(globalsNode, 'HttpApi')! } : {}),
  };
  const functions: LambdaFunction[] = [];
  for (const r of resources) {
    if (r.type === 'AWS::Lambda::Function') functions.push(cfnFunction(r));
    else if (r.type === 'AWS::Serverless::Function') functions.push(samFunction(r, globals.Function));
  }
  let serverless: ServerlessModel | undefined;
  if (kind === 'serverless') {
    const provider = get(root, 'provider');
    const list = serverlessFunctions(get(root, 'functions'));
    serverless = { provider, functions: list };
    for (const f of list) functions.push(serverlessFunction(f.name, f.keyPos, f.node, provider));
  }
  return { file, kind, root, resources, globals, functions, ...(serverless ? { serverless } : {}) };
}

function kindOf(root: PMap): TemplateKind | undefined {
  if (get(root, 'service') !== undefined && (get(root, 'provider') !== undefined || get(root, 'functions') !== undefined)) return 'serverless';
  const transform = get(root, 'Transform');
  const transforms = transform?.type === 'seq' ? transform.items.map(str) : [str(transform)];
  if (transforms.some((t) => t?.startsWith('AWS::Serverless'))) return 'sam';
  if (get(root, 'Resources')?.type === 'map' || get(root, 'AWSTemplateFormatVersion') !== undefined) return 'cloudformation';
  return undefined;
}

const own = (node: PNode | undefined): Effective | undefined => (node ? { node, from: 'function' } : undefined);

function cfnFunction(r: CfnResource): LambdaFunction {
  const p = r.properties;
  const env = entry(p, 'Environment');
  return {
    id: r.id, kind: 'cfn', keyPos: r.keyPos, properties: p,
    ...opt('runtime', own(get(p, 'Runtime'))),
    environment: entries(get(env?.value, 'Variables')),
    ...opt('environmentAt', env?.keyPos),
    ...opt('kmsKeyArn', own(get(p, 'KmsKeyArn'))),
    ...opt('tracing', own(at(p, 'TracingConfig', 'Mode'))),
    ...opt('reservedConcurrency', own(get(p, 'ReservedConcurrentExecutions'))),
  };
}

function samFunction(r: CfnResource, global: PNode | undefined): LambdaFunction {
  const p = r.properties;
  const pick = (key: string): Effective | undefined => {
    const mine = get(p, key);
    if (mine) return { node: mine, from: 'function' };
    const g = get(global, key);
    return g ? { node: g, from: 'globals' } : undefined;
  };
  const ownEnv = entry(p, 'Environment');
  const globalEnv = entry(global, 'Environment');
  return {
    id: r.id, kind: 'sam', keyPos: r.keyPos, properties: p,
    ...opt('runtime', pick('Runtime')),
    environment: mergeEntries(entries(get(globalEnv?.value, 'Variables')), entries(get(ownEnv?.value, 'Variables'))),
    ...opt('environmentAt', (ownEnv ?? globalEnv)?.keyPos),
    ...opt('kmsKeyArn', pick('KmsKeyArn')),
    ...opt('tracing', pick('Tracing')),
    ...opt('reservedConcurrency', pick('ReservedConcurrentExecutions')),
  };
}

function serverlessFunctions(node: PNode | undefined): ServerlessModel['functions'] {
  // `functions` is a mapping, or (less often) a list of mappings each naming one or more functions.
  const maps = node?.type === 'seq' ? node.items : node ? [node] : [];
  const out: ServerlessModel['functions'] = [];
  for (const m of maps) for (const e of entries(m)) out.push({ name: e.key, keyPos: e.keyPos, node: e.value });
  return out;
}

function serverlessFunction(name: string, keyPos: LambdaFunction['keyPos'], fn: PNode, provider: PNode | undefined): LambdaFunction {
  const pick = (fnKey: string, providerPath: string[]): Effective | undefined => {
    const mine = get(fn, fnKey);
    if (mine) return { node: mine, from: 'function' };
    const p = at(provider, ...providerPath);
    return p ? { node: p, from: 'provider' } : undefined;
  };
  const ownEnv = entry(fn, 'environment');
  const providerEnv = entry(provider, 'environment');
  return {
    id: name, kind: 'serverless', keyPos, properties: fn,
    ...opt('runtime', pick('runtime', ['runtime'])),
    environment: mergeEntries(entries(providerEnv?.value), entries(ownEnv?.value)),
    ...opt('environmentAt', (ownEnv ?? providerEnv)?.keyPos),
    ...opt('kmsKeyArn', pick('kmsKeyArn', ['kmsKeyArn'])),
    ...opt('tracing', pick('tracing', ['tracing', 'lambda'])),
    ...opt('reservedConcurrency', pick('reservedConcurrency', ['reservedConcurrency'])),
  };
}

function mergeEntries(base: PEntry[], over: PEntry[]): PEntry[] {
  const keys = new Set(over.map((e) => e.key));
  return [...base.filter((e) => !keys.has(e.key)), ...over];
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

// ---- shared readers for rules ---------------------------------------------------------------------

/** A resource referenced by `!Ref X` / `{ Ref: X }` / a plain logical id string. */
export function refTarget(node: PNode | undefined): string | undefined {
  if (node?.type === 'fn' && node.name === 'Ref') return text(node.arg);
  return undefined;
}

/** SAM function events: `{ name, type, properties, keyPos }` for each entry of `Events`. */
export function samEvents(fn: LambdaFunction) {
  return entries(get(fn.properties, 'Events')).map((e) => ({
    name: e.key, keyPos: e.keyPos, node: e.value,
    type: str(get(e.value, 'Type')) ?? '', properties: get(e.value, 'Properties'),
  }));
}

/** serverless function events: `{ type, value, node }` per list item (`- http: …`). */
export function serverlessEvents(fn: PNode | undefined) {
  const out: Array<{ type: string; value: PNode; node: PNode; keyPos: { line: number; column: number } }> = [];
  const list = get(fn, 'events');
  for (const item of list?.type === 'seq' ? list.items : []) {
    const first = item.type === 'map' ? item.entries[0] : undefined;
    if (first) out.push({ type: first.key, value: first.value, node: item, keyPos: first.keyPos });
  }
  return out;
}
