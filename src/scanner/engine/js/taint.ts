// Taint analysis for the JS engine: does handler input (a Lambda event, a Web Request, an express/
// fastify/koa request) reach an expression? Scope-aware (bindings from @babel/traverse), flow- and
// branch-insensitive, with the common guard shapes (`if (!ok(x)) return`) recognised.
//
// Each value is abstracted as a `Val`: whether it carries source data (with the trace that brought
// it), which function parameters it depends on (symbolic labels, so that a function is summarised
// once: "param 0 flows to the return value"), and for which sink kinds it has been sanitised.
// Parameters that reach a sink are resolved backwards through every call site, in the same file or in
// a local module importing it. Only files that can carry input (handler-shaped files and the local
// modules they import, found by a text pre-filter) are ever analysed, and only when a rule asks.

import type { Binding, NodePath, Scope } from '@babel/traverse';
import type * as t from '@babel/types';
import { dirname, posix } from 'node:path';
import type { Location } from '../../types.ts';
import type { SinkKind, TaintHit, TaintQuery } from './context.ts';
import { propertyName, resolveNode } from './names.ts';
import { traverse } from './traverse.ts';

const kindBits: Record<SinkKind, number> = {
  cmd: 1, code: 2, sql: 4, nosql: 8, path: 16, ssrf: 32, deser: 64, xxe: 128, xss: 256, regex: 512, proto: 1024, template: 2048,
};
const ALL = 4095;
const bits = (...kinds: SinkKind[]) => kinds.reduce((m, k) => m | kindBits[k], 0);

interface Src {
  trace: Location[];
  source: string;
}

/** The abstract value of an expression; `null` stands for "carries nothing". */
interface Val {
  src: Src | null;
  /** Global ids of the parameters the value depends on. */
  params: number[];
  /** Sink kinds (bit mask) the value is sanitised for. */
  clean: number;
}

const MAX_TRACE = 12;

function withStep(src: Src, step: Location): Src {
  const last = src.trace[src.trace.length - 1];
  if (last && last.file === step.file && last.line === step.line) return src;
  const trace = src.trace.length >= MAX_TRACE ? [src.trace[0]!, ...src.trace.slice(-(MAX_TRACE - 2)), step] : [...src.trace, step];
  return { trace, source: src.source };
}

function merge(a: Val | null, b: Val | null): Val | null {
  if (!a) return b;
  if (!b) return a;
  const params = a.params.length === 0 ? b.params : b.params.length === 0 ? a.params : [...new Set([...a.params, ...b.params])];
  return { src: a.src ?? b.src, params, clean: a.clean & b.clean };
}

function cleaned(v: Val | null, mask: number): Val | null {
  if (!v) return null;
  const clean = v.clean | mask;
  return clean === ALL ? null : { ...v, clean };
}

interface FnInfo {
  file: string;
  node: t.Function;
  paramLabels: number[];
  paramBindings: Binding[][];
  returns: { node: t.Expression; scope: Scope }[];
  callSites: { file: string; node: t.CallExpression | t.NewExpression; scope: Scope }[];
}

/** `target` receives what `value` carries (assignment, destructuring, for-of, callback parameter, push…). */
interface Flow {
  target: Binding;
  value: t.Node;
  scope: Scope;
  /** The node the step is reported at in traces. */
  at: t.Node;
  /** Sink kinds the step cannot affect (a query parameter set on a URL leaves its origin alone). */
  clean?: number;
}

interface Guard {
  mask: number;
  /** Offsets between which the guard holds. */
  from: number;
  to: number;
}

interface CallRecord {
  node: t.CallExpression | t.NewExpression;
  scope: Scope;
}

interface FileAnalysis {
  file: string;
  ast: t.File;
  flows: Flow[];
  /** Keyed by the binding's declaring identifier: stable across traversals, unlike Binding objects. */
  guards: Map<t.Node, Guard[]>;
  state: Map<t.Node, Val>;
  fnByNode: Map<t.Node, FnInfo>;
  /** Export name → function node, for cross-module calls. */
  exports: Map<string, t.Node>;
  calls: CallRecord[];
  linked: boolean;
  solved: boolean;
  solving: boolean;
}

export interface TaintProjectInput {
  /** Relative path (forward slashes) → source text. */
  sources: Map<string, string>;
  parse(file: string, source: string): t.File | null;
}

export interface TaintProject {
  /** The file's AST, parsed once and shared with the taint analysis. */
  astOf(file: string): t.File | null;
  queryFor(file: string): TaintQuery;
  /** The rules are done with a file; its AST is dropped unless the analysis still needs it. */
  release(file: string): void;
}

/**
 * Text pre-filter for files that may define a handler: Lambda exports, Web `fetch(request)`, or a
 * `(req, …)`/`(ctx)` function in a file that registers routes or creates a server. Deliberately cheap:
 * the AST decides what really is a source; this only keeps libraries out of the analysis.
 */
const lambdaOrWebShape =
  /\bexports\.\w+\s*=\s*(?:async\s+)?(?:function\b[^(]*)?\(\s*(?:event|evt)\b|\bexport\s+(?:(?:const|let)\s+\w+\s*=\s*(?:async\s*)?|(?:async\s+)?function\s+\w+\s*)\(\s*(?:event|evt)\b|\bexports\.handler\b|\bmodule\.exports\s*=\s*\{[^}]*\bhandler\b|\bexport\s+(?:const|let|var|async\s+function|function)\s+(?:handler|\w+Handler|GET|POST|PUT|PATCH|DELETE)\b|\bexport\s*\{[^}]*\bhandler\b|export\s+default\s+(?:async\s+)?(?:function\s*\w*\s*)?\(\s*(?:event|evt|req|request)\b|\bfetch\s*\(\s*(?:req|request)\b/;
const requestParam = /\(\s*(?:req|request|ctx|c)\s*(?:[,)]|:)|\(\s*\{[^()]*\}\s*(?::[^,()]*)?,\s*(?:res|reply)\b/;
const routeRegistration = /\.(?:get|post|put|patch|delete|del|all|use|route|options|head)\s*\(\s*['"`/]|\.use\s*\(\s*(?:async\s+)?(?:function\s*\w*\s*)?\(\s*(?:ctx|req|request|c)\b|createServer\s*\(|\bhandler\s*[:(]/;
/** `app.delete('/sessions', purgeSessions)`: a route whose handler is defined elsewhere (an imported module). */
const namedRouteHandler = /\.(?:get|post|put|patch|delete|all|use|route|options|head)\s*\(\s*['"`]\/[^'"`\n]*['"`]\s*(?:,\s*[\w$.]+\s*)+\)/;
function handlerShaped(text: string): boolean {
  return lambdaOrWebShape.test(text) || (routeRegistration.test(text) && (requestParam.test(text) || namedRouteHandler.test(text)));
}
const relativeImport = /(?:\bfrom\s*|\brequire\s*\(\s*|\bimport\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;
const resolveExtensions = ['', '.ts', '.js', '.mjs', '.cjs', '.mts', '.cts', '.tsx', '.jsx', '/index.ts', '/index.js', '/index.mjs'];

const routeMethods = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'all', 'use', 'options', 'head', 'route', 'on']);
const httpExportNames = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const sourceParamNames = new Set(['event', 'evt', 'req', 'request', 'ctx']);
/** Request properties that middleware sets (see the MemberExpression case of evalExpr). */
const serverSet = /^(?:(?:req|request)\.(?:user|session|auth|locals)|ctx\.state)$/;

/** Methods whose result carries the receiver's (and for some, the arguments') data. */
const passThroughMethods = new Set([
  'trim', 'trimStart', 'trimEnd', 'toLowerCase', 'toUpperCase', 'toLocaleLowerCase', 'toLocaleUpperCase', 'split', 'join',
  'slice', 'substring', 'substr', 'replace', 'replaceAll', 'concat', 'map', 'filter', 'flat', 'flatMap', 'toString',
  'valueOf', 'padStart', 'padEnd', 'repeat', 'normalize', 'at', 'get', 'getAll', 'json', 'text', 'formData', 'arrayBuffer',
  'blob', 'entries', 'values', 'keys', 'find', 'reduce', 'then', 'toJSON', 'match', 'pop', 'shift', 'reverse', 'sort',
  'header', 'param', 'cookie', 'trimLeft', 'trimRight', 'charAt', 'from', 'assign', 'fromEntries', 'stringify', 'parse',
  'format', 'resolve', 'normalize', 'decode', 'encode', 'raw', 'clone', 'toJSON',
]);
/** Namespaces whose functions return data derived from their arguments. */
const propagatingNamespaces = /^(?:path|url|util|querystring|qs|Buffer|JSON|Object|Array|String|structuredClone|lodash|_|Promise)(?:\.|$)/;
const callbackMethods = new Set(['map', 'forEach', 'filter', 'find', 'some', 'every', 'flatMap', 'reduce', 'then', 'findIndex']);

const htmlEscaper = /^(?:escapeHtml|escapeHTML|htmlEscape|escapeXml|encodeHTML|encodeHtml|sanitizeHtml|sanitize|xss|filterXSS|purify|encode|escape)$/;
const shellEscaper = /^(?:quote|shellEscape|shellescape|escapeShellArg|escapeShell)$/;
const sqlEscaper = /^(?:escape|escapeLiteral|escapeIdentifier|escapeId|format)$/;
const schemaReceivers = /^(?:zod|joi|yup|valibot|superstruct|@sinclair\/typebox|ajv|z)(?:\.|$)/;
const nonSchemaParse = /^(?:JSON|qs|querystring|url|cookie|yaml|YAML|js-yaml|toml|Date|path|URL|csv-parse|papaparse|xml2js|fast-xml-parser)(?:\.|$)/;

const guardCallName = /^(?:validate|isValid\w*|is\w*Valid|valid\w*|check\w*|verify\w*|is(?:Safe|Allowed)\w*|allowed\w*|assert\w*)$/;

function nameOf(node: t.Node): string | null {
  if (node.type === 'Identifier') return node.name;
  if (node.type === 'MemberExpression' || node.type === 'OptionalMemberExpression') return propertyName(node);
  return null;
}

/** A class's own method (or arrow-function field) called `name`. */
function classMethod(cls: t.Node, name: string): t.Node | null {
  if (cls.type !== 'ClassDeclaration' && cls.type !== 'ClassExpression') return null;
  for (const m of cls.body.body) {
    if (m.type === 'ClassMethod' && m.kind === 'method' && !m.computed && nameOf(m.key) === name) return m;
    if (m.type === 'ClassProperty' && !m.computed && nameOf(m.key) === name && m.value && isFunctionNode(m.value)) return m.value;
  }
  return null;
}

function unwrap(node: t.Node): t.Node {
  let n = node;
  while (
    n.type === 'TSAsExpression' || n.type === 'TSNonNullExpression' || n.type === 'TSSatisfiesExpression' ||
    n.type === 'ParenthesizedExpression' || n.type === 'TSTypeAssertion' || n.type === 'AwaitExpression'
  ) {
    n = n.type === 'AwaitExpression' ? n.argument : n.expression;
  }
  return n;
}

/** A URL whose scheme and host are fixed: what follows can only pick a path on that host. */
const fixedOrigin = /^https?:\/\/[^/?#]+[/?#]/i;

function leftmostString(node: t.Node): string | null {
  let n = node;
  while (n.type === 'BinaryExpression' && n.operator === '+') n = n.left;
  if (n.type === 'StringLiteral') return n.value;
  if (n.type === 'TemplateLiteral') return n.quasis[0]?.value.cooked ?? '';
  return null;
}

const stringMethods = new Set(['trim', 'trimStart', 'trimEnd', 'toLowerCase', 'toUpperCase', 'toLocaleLowerCase', 'toLocaleUpperCase',
  'slice', 'substring', 'substr', 'replace', 'replaceAll', 'padStart', 'padEnd', 'repeat', 'normalize', 'charAt', 'toString', 'join']);

function isFunctionNode(n: t.Node | null | undefined): n is t.Function {
  return !!n && (n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression' || n.type === 'ObjectMethod' || n.type === 'ClassMethod');
}

/** A `String(x).replace(/[^a-z0-9]/g, '')`-style whitelist: drops everything outside a safe class. */
function isWhitelistReplace(call: t.CallExpression): boolean {
  const [re, rep] = call.arguments;
  if (!re || re.type !== 'RegExpLiteral' || !rep) return false;
  if (!(rep.type === 'StringLiteral' && rep.value === '')) return false;
  if (!re.flags.includes('g')) return false;
  const m = /^\[\^([^\]]*)\]\+?$/.exec(re.pattern);
  if (!m) return false;
  // What the class keeps must be harmless in every sink: letters, digits, `_`, `-`, and spaces at most.
  const kept = m[1]!.replace(/a-z|A-Z|0-9|\\w|\\d|_|\\-|-$|^-|\\s| /g, '');
  return kept === '';
}

/** `s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')`: escapes every regex metacharacter. */
function isRegexEscape(call: t.CallExpression | t.NewExpression): boolean {
  const [re, rep] = call.arguments;
  return re?.type === 'RegExpLiteral' && re.flags.includes('g') && rep?.type === 'StringLiteral' && rep.value === '\\$&' && re.pattern.includes('*') && re.pattern.includes('(');
}

/** `s.replace(/[&<>"']/g, …)`: replaces the HTML metacharacters (with entities, by a map or a function). */
function isHtmlEscapeReplace(call: t.CallExpression | t.NewExpression): boolean {
  const [re, rep] = call.arguments;
  if (re?.type !== 'RegExpLiteral' || !re.flags.includes('g') || !rep) return false;
  if (!/^\[[^\]^]*\]$/.test(re.pattern) || !re.pattern.includes('<') || !re.pattern.includes('>')) return false;
  return rep.type !== 'StringLiteral' || rep.value === '';
}

/** An anchored allowlist regex (`/^[a-z0-9-]+$/`): a value passing it holds nothing dangerous. */
function isStrictRegex(re: t.RegExpLiteral): boolean {
  const p = re.pattern;
  if (!p.startsWith('^') || !p.endsWith('$')) return false;
  return !/\.(?:[*+?]|\{)|\\S|\[\^/.test(p) && !p.includes('|');
}

/** The function a wrapper call chain wraps: `middy(fn).use(x)`, `withSentry(async (event) => …)`. */
function wrappedFunction(node: t.Node, scope: Scope, depth = 0): t.Function | null {
  const n = unwrap(node);
  if (depth > 6) return null;
  if (isFunctionNode(n)) return n;
  if (n.type === 'Identifier') {
    const b = scope.getBinding(n.name);
    if (!b) return null;
    if (isFunctionNode(b.path.node)) return b.path.node;
    const init = b.path.isVariableDeclarator() ? b.path.node.init : null;
    return init && isFunctionNode(unwrap(init)) ? (unwrap(init) as t.Function) : null;
  }
  if (n.type !== 'CallExpression') return null;
  for (const arg of n.arguments) {
    const f = wrappedFunction(arg, scope, depth + 1);
    if (f) return f;
  }
  const callee = n.callee;
  return callee.type === 'MemberExpression' ? wrappedFunction(callee.object, scope, depth + 1) : null;
}

/**
 * The value expression of `prop` in an object literal: null when the literal has no such key (and no
 * spread that could add it), undefined when it cannot be told (spreads, computed keys).
 */
function objectProperty(obj: t.ObjectExpression, prop: string): t.Node | null | undefined {
  let found: t.Node | null = null;
  for (const p of obj.properties) {
    if (p.type === 'SpreadElement') return undefined;
    if (p.computed && p.key.type !== 'StringLiteral') return undefined;
    const key = p.key.type === 'Identifier' ? p.key.name : p.key.type === 'StringLiteral' ? p.key.value : null;
    if (key !== prop) continue;
    found = p.type === 'ObjectMethod' ? null : (p.value as t.Node);
  }
  return found;
}

/** A literal, or the literal a const identifier is initialised with: `const UUID = /^…$/`. */
function literalOf(node: t.Node, scope: Scope): t.Node {
  const n = unwrap(node);
  if (n.type !== 'Identifier') return n;
  const b = scope.getBinding(n.name);
  if (!b || !b.constant || !b.path.isVariableDeclarator() || !b.path.node.init) return n;
  const init = unwrap(b.path.node.init);
  return init.type === 'StringLiteral' || init.type === 'RegExpLiteral' || init.type === 'TemplateLiteral' ? init : n;
}

function patternBindings(node: t.Node, scope: Scope, out: Binding[]): void {
  switch (node.type) {
    case 'Identifier': {
      const b = scope.getBinding(node.name);
      if (b) out.push(b);
      return;
    }
    case 'ObjectPattern':
      for (const p of node.properties) patternBindings(p.type === 'RestElement' ? p.argument : p.value, scope, out);
      return;
    case 'ArrayPattern':
      for (const e of node.elements) if (e) patternBindings(e, scope, out);
      return;
    case 'AssignmentPattern':
      patternBindings(node.left, scope, out);
      return;
    case 'RestElement':
      patternBindings(node.argument, scope, out);
      return;
    case 'TSParameterProperty':
      patternBindings(node.parameter, scope, out);
      return;
    default:
      return;
  }
}

/** The variable an assignment target writes into: `a.b[c].d = …` writes into `a`. */
function rootBinding(node: t.Node, scope: Scope): Binding | null {
  let n = unwrap(node);
  while (n.type === 'MemberExpression' || n.type === 'OptionalMemberExpression') n = unwrap(n.object);
  return n.type === 'Identifier' ? (scope.getBinding(n.name) ?? null) : null;
}

function terminates(stmt: t.Statement): boolean {
  if (stmt.type === 'ReturnStatement' || stmt.type === 'ThrowStatement' || stmt.type === 'ContinueStatement' || stmt.type === 'BreakStatement') return true;
  if (stmt.type === 'BlockStatement') {
    const last = stmt.body[stmt.body.length - 1];
    return !!last && terminates(last);
  }
  if (stmt.type === 'IfStatement') return terminates(stmt.consequent) && !!stmt.alternate && terminates(stmt.alternate);
  return false;
}

export function createTaintProject(input: TaintProjectInput): TaintProject {
  const asts = new Map<string, t.File | null>();
  const analyses = new Map<string, FileAnalysis>();
  const fnByLabel = new Map<number, { fn: FnInfo; index: number }>();
  let nextId = 1;
  let version = 0;
  const summaryCache = new Map<FnInfo, { version: number; val: Val | null }>();

  // --- which files can carry input at all: handler-shaped ones and what they import, transitively ---
  const importers = new Map<string, string[]>();
  const resolveSpecifier = (from: string, spec: string): string | null => {
    const base = posix.normalize(posix.join(dirname(from).replaceAll('\\', '/'), spec));
    const bare = base.replace(/\.(?:[cm]?js|jsx)$/, '');
    for (const cand of [base, ...resolveExtensions.map((e) => bare + e)]) if (input.sources.has(cand)) return cand;
    return null;
  };
  const reachable = new Set<string>();
  {
    const queue: string[] = [];
    for (const [file, text] of input.sources) if (handlerShaped(text)) queue.push(file);
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (reachable.has(file)) continue;
      reachable.add(file);
      const deps: string[] = [];
      for (const m of input.sources.get(file)!.matchAll(relativeImport)) {
        const target = resolveSpecifier(file, m[1]!);
        if (target) deps.push(target);
      }
      for (const d of deps) {
        const list = importers.get(d) ?? [];
        list.push(file);
        importers.set(d, list);
        queue.push(d);
      }
    }
  }

  const astOf = (file: string): t.File | null => {
    if (!asts.has(file)) {
      const text = input.sources.get(file);
      asts.set(file, text === undefined ? null : input.parse(file, text));
    }
    return asts.get(file) ?? null;
  };

  const loc = (file: string, node: t.Node): Location => ({
    file,
    line: node.loc?.start.line ?? 1,
    column: (node.loc?.start.column ?? 0) + 1,
  });

  // --- phase 1: one traversal per analysed file collects flows, functions, guards, calls, exports ---
  function collect(file: string): FileAnalysis | null {
    const existing = analyses.get(file);
    if (existing) return existing;
    if (!reachable.has(file)) return null;
    const ast = astOf(file);
    if (!ast) return null;
    const a: FileAnalysis = {
      file, ast, flows: [], guards: new Map(), state: new Map(), fnByNode: new Map(), exports: new Map(), calls: [],
      linked: false, solved: false, solving: false,
    };
    analyses.set(file, a);
    const sources: { fn: t.Function; name: string }[] = [];
    const exported = (name: string, value: t.Node | null | undefined, scope: Scope) => {
      if (!value) return;
      let v = unwrap(value);
      if (v.type === 'Identifier') {
        const b = scope.getBinding(v.name);
        const init = b?.path.isVariableDeclarator() ? b.path.node.init : b?.path.node;
        if (init) v = unwrap(init);
      }
      a.exports.set(name, v);
      // export const handler = middy(baseHandler).use(jsonBodyParser()): the wrapped function is the handler.
      if (name === 'handler' && (v.type === 'CallExpression' || v.type === 'AwaitExpression')) {
        const inner = wrappedFunction(v, scope);
        if (inner) v = inner;
      }
      if (isFunctionNode(v)) {
        const first = v.params[0];
        const firstName = first?.type === 'Identifier' ? first.name : null;
        // `handler` and HTTP-method exports take any first parameter; other exports only a request-like one.
        if (first && (name === 'handler' || httpExportNames.has(name) || (firstName !== null && sourceParamNames.has(firstName)))) {
          sources.push({ fn: v, name: firstName ?? 'event' });
        }
      } else if (v.type === 'ObjectExpression') {
        // export default { fetch(request, env) }; module.exports = { handler }
        for (const p of v.properties) {
          if (p.type === 'SpreadElement') continue;
          const key = !p.computed && p.key.type === 'Identifier' ? p.key.name : p.key.type === 'StringLiteral' ? p.key.value : null;
          if (key === null) continue;
          if (name === 'default' || name === '*') exported(key, p.type === 'ObjectMethod' ? p : p.value, scope);
        }
      }
    };

    traverse(ast, {
      Function: {
        enter(path) {
          const labels: number[] = [];
          const paramBindings: Binding[][] = [];
          for (const [i, param] of path.node.params.entries()) {
            const label = nextId++;
            labels.push(label);
            const bs: Binding[] = [];
            patternBindings(param, path.scope, bs);
            for (const b of bs) a.state.set(b.identifier, { src: null, params: [label], clean: 0 });
            paramBindings.push(bs);
            fnByLabel.set(label, { fn: undefined as unknown as FnInfo, index: i });
          }
          const fn: FnInfo = { file, node: path.node, paramLabels: labels, paramBindings, returns: [], callSites: [] };
          for (const l of labels) fnByLabel.get(l)!.fn = fn;
          a.fnByNode.set(path.node, fn);
          if (path.node.type === 'ArrowFunctionExpression' && path.node.body.type !== 'BlockStatement') {
            fn.returns.push({ node: path.node.body, scope: path.scope });
          }
          // Route handlers: app.get('/x', (req, res) => …), createServer((req, res) => …), { handler(request, reply) }.
          const first = path.node.params[0];
          // A destructured request (`({ body, query }, res) => …`) is a request all the same.
          const firstName = first?.type === 'Identifier' ? first.name : first?.type === 'ObjectPattern' ? 'req' : null;
          const parent = path.parent;
          if (firstName && (sourceParamNames.has(firstName) || firstName === 'c') && firstName !== 'event') {
            const second = path.node.params[1];
            const secondName = second?.type === 'Identifier' ? second.name : null;
            const inCall = parent.type === 'CallExpression' && parent.arguments.includes(path.node as t.Expression);
            const calleeName = inCall ? nameOf((parent as t.CallExpression).callee) : null;
            const routeCall = inCall && calleeName !== null && (routeMethods.has(calleeName) || calleeName === 'createServer');
            // Hono's context is conventionally `c`: only a route with a literal path counts, not `stream.on('data', (c) => …)`.
            const pathArg = inCall ? (parent as t.CallExpression).arguments[0] : undefined;
            const pathRoute = routeCall && ((pathArg?.type === 'StringLiteral' && pathArg.value.startsWith('/')) || pathArg?.type === 'TemplateLiteral');
            const handlerProp = (parent.type === 'ObjectProperty' || path.node.type === 'ObjectMethod') &&
              nameOf(path.node.type === 'ObjectMethod' ? path.node.key : (parent as t.ObjectProperty).key) === 'handler';
            const reqRes = secondName !== null && /^(?:res|reply|response|next)$/.test(secondName);
            const destructured = first?.type === 'ObjectPattern';
            if (firstName === 'c' ? pathRoute : destructured ? (reqRes || pathRoute) : (routeCall || handlerProp || reqRes)) {
              sources.push({ fn: path.node, name: firstName });
            }
          }
        },
      },
      ReturnStatement(path) {
        const fnPath = path.getFunctionParent();
        if (!fnPath || !path.node.argument) return;
        a.fnByNode.get(fnPath.node)?.returns.push({ node: path.node.argument, scope: path.scope });
      },
      VariableDeclarator(path) {
        const init = path.node.init;
        if (!init) return;
        const bs: Binding[] = [];
        patternBindings(path.node.id, path.scope, bs);
        for (const b of bs) a.flows.push({ target: b, value: init, scope: path.scope, at: path.node });
      },
      AssignmentExpression(path) {
        const { left, right } = path.node;
        if (left.type === 'ObjectPattern' || left.type === 'ArrayPattern') {
          const bs: Binding[] = [];
          patternBindings(left, path.scope, bs);
          for (const b of bs) a.flows.push({ target: b, value: right, scope: path.scope, at: path.node });
          return;
        }
        const target = rootBinding(left, path.scope);
        if (target) a.flows.push({ target, value: right, scope: path.scope, at: path.node });
        // CommonJS exports
        if (left.type === 'MemberExpression') {
          const obj = left.object;
          const prop = propertyName(left);
          const isModuleExports = obj.type === 'MemberExpression' && obj.object.type === 'Identifier' && obj.object.name === 'module' && propertyName(obj) === 'exports';
          if (obj.type === 'Identifier' && obj.name === 'module' && prop === 'exports') exported('*', right, path.scope);
          else if (((obj.type === 'Identifier' && obj.name === 'exports') || isModuleExports) && prop) exported(prop, right, path.scope);
        }
      },
      ExportNamedDeclaration(path) {
        const d = path.node.declaration;
        if ((d?.type === 'FunctionDeclaration' || d?.type === 'ClassDeclaration') && d.id) exported(d.id.name, d, path.scope);
        if (d?.type === 'VariableDeclaration') {
          for (const decl of d.declarations) if (decl.id.type === 'Identifier') exported(decl.id.name, decl.init, path.scope);
        }
        if (!path.node.source) {
          for (const s of path.node.specifiers) {
            if (s.type !== 'ExportSpecifier') continue;
            const name = s.exported.type === 'Identifier' ? s.exported.name : s.exported.value;
            exported(name, s.local, path.scope);
          }
        }
      },
      ExportDefaultDeclaration(path) {
        const d = path.node.declaration;
        exported('default', d.type === 'TSDeclareFunction' ? null : d, path.scope);
      },
      'ForOfStatement|ForInStatement'(p) {
        const path = p as NodePath<t.ForOfStatement | t.ForInStatement>;
        const left = path.node.left;
        const bs: Binding[] = [];
        const id = left.type === 'VariableDeclaration' ? left.declarations[0]?.id : left;
        if (id) patternBindings(id, path.scope, bs);
        for (const b of bs) a.flows.push({ target: b, value: path.node.right, scope: path.scope, at: path.node });
      },
      'CallExpression|NewExpression'(p) {
        const path = p as NodePath<t.CallExpression | t.NewExpression>;
        const node = path.node;
        a.calls.push({ node, scope: path.scope });
        const callee = node.callee;
        if (callee.type !== 'MemberExpression' && callee.type !== 'OptionalMemberExpression') return;
        const method = propertyName(callee);
        if (!method) return;
        // arr.push(x), obj.set(k, x): the container now holds x.
        if (['push', 'unshift', 'set', 'append', 'add', 'splice'].includes(method)) {
          const target = rootBinding(callee.object, path.scope);
          // url.searchParams.set(k, x): x lands in the query string, never in the scheme or host.
          const query = callee.object.type === 'MemberExpression' && propertyName(callee.object) === 'searchParams' ? bits('ssrf') : undefined;
          if (target) for (const arg of node.arguments) a.flows.push({ target, value: arg, scope: path.scope, at: node, clean: query });
        }
        if (method === 'assign' && callee.object.type === 'Identifier' && callee.object.name === 'Object' && node.arguments[0]) {
          const target = rootBinding(node.arguments[0], path.scope);
          if (target) for (const arg of node.arguments.slice(1)) a.flows.push({ target, value: arg, scope: path.scope, at: node });
        }
        // tainted.map((x) => …): the callback's parameters see the receiver's data.
        if (callbackMethods.has(method)) {
          for (const [i, arg] of node.arguments.entries()) {
            if (!isFunctionNode(arg)) continue;
            const argPath = path.get(`arguments.${i}`) as NodePath<t.Function>;
            // The element parameter (and reduce's accumulator) sees the data; indexes are numbers.
            const bs: Binding[] = [];
            for (const param of arg.params.slice(0, method === 'reduce' ? 2 : 1)) patternBindings(param, argPath.scope, bs);
            for (const b of bs) a.flows.push({ target: b, value: callee.object, scope: path.scope, at: node });
          }
        }
      },
      IfStatement(path) {
        collectGuards(a, path.node, path.scope, path.parentPath);
      },
    });

    for (const s of sources) {
      const param = s.fn.params[0];
      const bs = a.fnByNode.get(s.fn)?.paramBindings[0];
      if (!param || !bs) continue;
      for (const b of bs) a.state.set(b.identifier, { src: { trace: [loc(file, param)], source: s.name }, params: [], clean: 0 });
    }
    return a;
  }

  // --- guards: `if (!ok(x)) return …` cleans x after the if; `if (ok(x)) { … }` inside the block ---
  function okChecks(test: t.Node, scope: Scope, negate: boolean, out: { binding: Binding; mask: number }[]): boolean {
    const n = unwrap(test);
    if (n.type === 'UnaryExpression' && n.operator === '!') return okChecks(n.argument, scope, !negate, out);
    if (n.type === 'LogicalExpression') {
      // exit form: if (!a || !b) return → both hold after; wrap form: if (a && b) { … }
      if ((negate && n.operator === '||') || (!negate && n.operator === '&&')) {
        const l = okChecks(n.left, scope, negate, out);
        const r = okChecks(n.right, scope, negate, out);
        return l || r;
      }
      return false;
    }
    if (negate) {
      // `bad(x)` as the exit condition: if (name.includes('..')) return
      if (isBadCheck(n, scope, out)) return true;
      // x !== 'a' && …: handled as a generic comparison below with negate flipped
      if (n.type === 'BinaryExpression' && (n.operator === '!==' || n.operator === '!=')) return okComparison(n, scope, out);
      // if (key === '__proto__' || key === 'constructor') continue
      if (n.type === 'BinaryExpression' && (n.operator === '===' || n.operator === '==')) {
        const r = unwrap(n.right);
        if (r.type === 'StringLiteral' && ['__proto__', 'constructor', 'prototype'].includes(r.value)) return addGuardTarget(n.left, scope, bits('proto'), out);
      }
      // if (['__proto__', 'constructor'].includes(key)) continue, also through a const array or Set
      const method = n.type === 'CallExpression' ? nameOf(n.callee) : null;
      if (n.type === 'CallExpression' && (method === 'includes' || method === 'has') && n.callee.type === 'MemberExpression' && n.arguments[0]) {
        if (isProtoKeyList(n.callee.object, scope)) return addGuardTarget(n.arguments[0], scope, bits('proto'), out);
      }
      return false;
    }
    if (n.type === 'BinaryExpression' && (n.operator === '===' || n.operator === '==')) return okComparison(n, scope, out);
    if (n.type === 'BinaryExpression' && (n.operator === '!==' || n.operator === '>' || n.operator === '>=') ) {
      // list.indexOf(x) !== -1 / > -1 / >= 0
      const l = unwrap(n.left);
      if (l.type === 'CallExpression' && nameOf(l.callee) === 'indexOf') return okCall(l, scope, out);
      return false;
    }
    if (n.type === 'CallExpression' || n.type === 'OptionalCallExpression') return okCall(n as t.CallExpression, scope, out);
    return false;
  }

  /** A literal list of dangerous keys: `['__proto__', …]`, `new Set([...])`, or a const holding either. */
  function isProtoKeyList(node: t.Node, scope: Scope): boolean {
    let n = unwrap(node);
    if (n.type === 'Identifier') {
      const b = scope.getBinding(n.name);
      if (!b?.constant || !b.path.isVariableDeclarator() || !b.path.node.init) return false;
      n = unwrap(b.path.node.init);
    }
    if (n.type === 'NewExpression' && n.callee.type === 'Identifier' && n.callee.name === 'Set' && n.arguments[0]) n = unwrap(n.arguments[0]);
    return n.type === 'ArrayExpression' && n.elements.some((e) => e?.type === 'StringLiteral' && (e.value === '__proto__' || e.value === 'constructor'));
  }

  function addGuardTarget(node: t.Node, scope: Scope, mask: number, out: { binding: Binding; mask: number }[]): boolean {
    const n = unwrap(node);
    if (n.type === 'Identifier') {
      const b = scope.getBinding(n.name);
      if (!b) return false;
      out.push({ binding: b, mask });
      // A URL parsed from a string: checking the URL vouches for the string as well.
      if (b.path.isVariableDeclarator()) {
        const init = b.path.node.init && unwrap(b.path.node.init);
        if (init?.type === 'NewExpression' && init.callee.type === 'Identifier' && init.callee.name === 'URL' && init.arguments[0]) {
          const arg = unwrap(init.arguments[0]);
          if (arg.type === 'Identifier') {
            const inner = b.path.scope.getBinding(arg.name);
            if (inner) out.push({ binding: inner, mask });
          }
        }
      }
      return true;
    }
    if (n.type === 'MemberExpression' || n.type === 'OptionalMemberExpression') {
      const prop = propertyName(n);
      // allowed.has(url.hostname) vouches for the URL as an outbound target only.
      const urlPart = prop !== null && ['host', 'hostname', 'origin', 'protocol', 'href'].includes(prop);
      return addGuardTarget(n.object, scope, urlPart ? bits('ssrf') : mask, out);
    }
    return false;
  }

  function okComparison(n: t.BinaryExpression, scope: Scope, out: { binding: Binding; mask: number }[]): boolean {
    const l = unwrap(n.left);
    const r = unwrap(n.right);
    // typeof x === 'number' / x === 'literal'
    if (l.type === 'UnaryExpression' && l.operator === 'typeof' && r.type === 'StringLiteral' && ['number', 'boolean'].includes(r.value)) {
      return addGuardTarget(l.argument, scope, ALL, out);
    }
    // a string cannot carry a query operator object
    if (l.type === 'UnaryExpression' && l.operator === 'typeof' && r.type === 'StringLiteral' && r.value === 'string') {
      return addGuardTarget(l.argument, scope, bits('nosql'), out);
    }
    if (r.type === 'StringLiteral' || r.type === 'NumericLiteral') return addGuardTarget(l, scope, ALL, out);
    return false;
  }

  function okCall(n: t.CallExpression, scope: Scope, out: { binding: Binding; mask: number }[]): boolean {
    const callee = n.callee;
    const method = nameOf(callee);
    const [a0, a1] = n.arguments;
    if (method === null) return false;
    if ((method === 'includes' || method === 'has' || method === 'indexOf') && a0 && callee.type === 'MemberExpression') {
      return addGuardTarget(a0, scope, ALL, out);
    }
    if (method === 'startsWith' && callee.type === 'MemberExpression') {
      const arg = a0 && literalOf(a0, scope);
      const isUrlPrefix = arg?.type === 'StringLiteral' && /^https?:\/\/[^/]+\//.test(arg.value);
      return addGuardTarget(callee.object, scope, isUrlPrefix ? bits('ssrf') : bits('path'), out);
    }
    if (method === 'test' && callee.type === 'MemberExpression' && a0) {
      const re = literalOf(callee.object, scope);
      if (re.type === 'RegExpLiteral' && isStrictRegex(re)) return addGuardTarget(a0, scope, ALL, out);
      return false;
    }
    if (method === 'isInteger' || method === 'isFinite' || method === 'isSafeInteger' || method === 'isUUID' || method === 'isUuid') {
      return !!a0 && addGuardTarget(a0, scope, ALL, out);
    }
    if (guardCallName.test(method)) {
      // validate(x) / ajv.validate(schema, x) / isValidUrl(x)
      let any = false;
      for (const arg of [a0, a1]) if (arg) any = addGuardTarget(arg, scope, ALL, out) || any;
      return any;
    }
    return false;
  }

  function isBadCheck(n: t.Node, scope: Scope, out: { binding: Binding; mask: number }[]): boolean {
    if (n.type !== 'CallExpression' || n.callee.type !== 'MemberExpression') return false;
    const method = propertyName(n.callee);
    const arg = n.arguments[0] && unwrap(n.arguments[0]);
    if ((method === 'includes' || method === 'startsWith') && arg?.type === 'StringLiteral' && (arg.value === '..' || arg.value === '/')) {
      return addGuardTarget(n.callee.object, scope, bits('path'), out);
    }
    const reNode = literalOf(n.callee.object, scope);
    if (method === 'test' && reNode.type === 'RegExpLiteral' && n.arguments[0]) {
      // if (/[^a-z0-9]/i.test(x)) return → x holds only the class
      const p = reNode.pattern;
      if (/^\[\^[^\]]*\]$/.test(p) && !/[./\\$;|&`'"<>(){}]/.test(p.slice(2, -1).replace(/\\[wds-]/g, ''))) {
        return addGuardTarget(n.arguments[0], scope, ALL, out);
      }
    }
    return false;
  }

  function collectGuards(a: FileAnalysis, node: t.IfStatement, scope: Scope, parent: NodePath | null): void {
    const out: { binding: Binding; mask: number }[] = [];
    let from: number;
    let to: number;
    if (terminates(node.consequent)) {
      if (!okChecks(node.test, scope, true, out)) return;
      const block = parent?.node;
      if (!block || node.end == null || block.end == null) return;
      from = node.end;
      to = block.end;
      // else-branch of an exit-form if is guarded too (if (!ok) return; else {…} is the same thing)
    } else {
      if (!okChecks(node.test, scope, false, out)) return;
      from = node.consequent.start ?? 0;
      to = node.consequent.end ?? 0;
    }
    for (const g of out) {
      const list = a.guards.get(g.binding.identifier) ?? [];
      list.push({ mask: g.mask, from, to });
      a.guards.set(g.binding.identifier, list);
    }
  }

  // --- evaluation ---
  interface EvalCtx {
    a: FileAnalysis;
    pos: number;
    depth: number;
  }

  function identVal(ctx: EvalCtx, name: string, scope: Scope): Val | null {
    const b = scope.getBinding(name);
    if (!b) return null;
    let v = ctx.a.state.get(b.identifier) ?? null;
    if (!v) {
      // Cross-module reads of imported values are not tracked, only calls.
      return null;
    }
    const guards = ctx.a.guards.get(b.identifier);
    if (guards) for (const g of guards) if (ctx.pos >= g.from && ctx.pos <= g.to) v = cleaned(v, g.mask);
    return v;
  }

  function evalExpr(ctx: EvalCtx, node: t.Node, scope: Scope): Val | null {
    if (ctx.depth > 40) return null;
    const c = { ...ctx, depth: ctx.depth + 1 };
    switch (node.type) {
      case 'Identifier':
        return identVal(ctx, node.name, scope);
      case 'TSAsExpression':
      case 'TSNonNullExpression':
      case 'TSSatisfiesExpression':
      case 'TSTypeAssertion':
      case 'ParenthesizedExpression':
        return evalExpr(c, node.expression, scope);
      case 'AwaitExpression':
        return evalExpr(c, node.argument, scope);
      case 'MemberExpression':
      case 'OptionalMemberExpression': {
        const prop = propertyName(node);
        if (prop === 'length') return null;
        // What middleware put on the request — passport's req.user, express-session, express-jwt's
        // req.auth, koa's ctx.state — is the server's own data, not the caller's.
        if (prop !== null && !node.computed && node.object.type === 'Identifier' && serverSet.test(`${node.object.name}.${prop}`)) return null;
        if (prop !== null && !node.computed) {
          const known = propertyVal(c, node.object, prop, scope);
          if (known !== undefined) return known;
        }
        return evalExpr(c, node.object, scope);
      }
      case 'TemplateLiteral': {
        const v = node.expressions.reduce<Val | null>((acc, e) => merge(acc, evalExpr(c, e, scope)), null);
        const head = node.quasis[0]?.value.cooked ?? '';
        return cleaned(v, bits('nosql') | (fixedOrigin.test(head) ? bits('ssrf') : 0));
      }
      case 'TaggedTemplateExpression': {
        // sql`…${x}` tags build parameterised queries; String.raw and friends keep the data.
        const tag = nameOf(node.tag);
        if (tag && /^(?:sql|SQL|Prisma\.sql|raw)$/.test(tag) && tag !== 'raw') return null;
        return evalExpr(c, node.quasi, scope);
      }
      case 'BinaryExpression':
        if (node.operator === '+') {
          const v = merge(evalExpr(c, node.left, scope), evalExpr(c, node.right, scope));
          const head = leftmostString(node);
          return head === null ? v : cleaned(v, bits('nosql') | (fixedOrigin.test(head) ? bits('ssrf') : 0));
        }
        return null;
      case 'LogicalExpression':
        return merge(evalExpr(c, node.left, scope), evalExpr(c, node.right, scope));
      case 'ConditionalExpression':
        return merge(evalExpr(c, node.consequent, scope), evalExpr(c, node.alternate, scope));
      case 'SequenceExpression':
        return evalExpr(c, node.expressions[node.expressions.length - 1]!, scope);
      case 'AssignmentExpression':
        return evalExpr(c, node.right, scope);
      case 'ObjectExpression': {
        let acc: Val | null = null;
        for (const p of node.properties) {
          if (p.type === 'SpreadElement') acc = merge(acc, evalExpr(c, p.argument, scope));
          else if (p.type === 'ObjectProperty') {
            // { field: { $eq: x } } compares with x as a value, even an object: no operator gets in.
            const literalEq = !p.computed && nameOf(p.key) === '$eq';
            acc = merge(acc, literalEq ? cleaned(evalExpr(c, p.value, scope), bits('nosql')) : evalExpr(c, p.value, scope));
            if (p.computed) acc = merge(acc, evalExpr(c, p.key, scope));
          }
        }
        return acc;
      }
      case 'ArrayExpression': {
        let acc: Val | null = null;
        for (const e of node.elements) if (e) acc = merge(acc, evalExpr(c, e.type === 'SpreadElement' ? e.argument : e, scope));
        return acc;
      }
      case 'SpreadElement':
        return evalExpr(c, node.argument, scope);
      case 'CallExpression':
      case 'OptionalCallExpression':
      case 'NewExpression':
        return evalCall(c, node as t.CallExpression | t.NewExpression, scope);
      default:
        return null;
    }
  }

  function argsVal(ctx: EvalCtx, args: t.Node[], scope: Scope): Val | null {
    let acc: Val | null = null;
    for (const arg of args) acc = merge(acc, evalExpr(ctx, arg, scope));
    return acc;
  }

  function evalCall(ctx: EvalCtx, node: t.CallExpression | t.NewExpression, scope: Scope): Val | null {
    const callee = unwrap(node.callee);
    const args = node.arguments as t.Node[];
    // Named escapers are trusted even when written locally: their body is usually a replace() chain.
    const calleeId = nameOf(callee);
    const calleeName = callee.type === 'Identifier' || callee.type === 'MemberExpression' ? resolveNode(callee, scope) : null;
    if (calleeName !== null && /^(?:express-)?mongo-sanitize(?:\.sanitize)?$/.test(calleeName)) return cleaned(argsVal(ctx, args, scope), bits('nosql'));
    if (calleeId !== null && htmlEscaper.test(calleeId) && calleeId !== 'encode' && calleeId !== 'escape') {
      return cleaned(argsVal(ctx, args, scope), bits('xss', 'template') | (/^sanitize/i.test(calleeId) ? bits('nosql') : 0));
    }
    const fn = calleeFunction(ctx.a, node, scope);
    if (fn) return applySummary(ctx, fn, node, scope);
    if (callee.type === 'Identifier') {
      const name = callee.name;
      {
        const resolved = resolveNode(callee, scope) ?? name;
        const last = resolved.split('.').pop()!;
        if (['Number', 'parseInt', 'parseFloat', 'Boolean', 'encodeURIComponent', 'isNaN', 'Date', 'BigInt'].includes(last)) return null;
        if (last === 'String' || last === 'ObjectId' || last === 'ObjectID') return cleaned(argsVal(ctx, args, scope), bits('nosql'));
        if (/^escape(?:String)?Reg(?:Exp|ex)p?$|^escapeStringRegexp$|^escape-string-regexp$|^lodash\.escaperegexp$/i.test(last) || resolved === 'escape-string-regexp') {
          return cleaned(argsVal(ctx, args, scope), bits('regex'));
        }
        if (/^(?:mongoSanitize|mongo-sanitize)$/.test(last) || resolved === 'mongo-sanitize' || resolved === 'mongo-sanitize.sanitize') return cleaned(argsVal(ctx, args, scope), bits('nosql'));
        if (htmlEscaper.test(last)) return cleaned(argsVal(ctx, args, scope), bits('xss', 'template'));
        if (shellEscaper.test(last)) return cleaned(argsVal(ctx, args, scope), bits('cmd'));
        if (resolved === 'path.basename' || last === 'basename') return cleaned(argsVal(ctx, args, scope), bits('path'));
        // pg-format / sqlstring called as the module itself: format('… %I = %L', col, value) quotes its
        // arguments; pg-format's %s inserts one as is, so a format string with %s cleans nothing.
        const fmt = args[0] && unwrap(args[0]);
        const quotesAll = resolved.startsWith('sqlstring') || (fmt?.type === 'StringLiteral' && !fmt.value.includes('%s'));
        if (/^(?:pg-format|sqlstring)(?:\.format)?$/.test(resolved) && quotesAll) return cleaned(argsVal(ctx, args, scope), bits('sql'));
        if (/^(?:sanitize\w*|clean\w*|escape\w*)$/i.test(last)) return cleaned(argsVal(ctx, args, scope), bits('xss', 'sql', 'template'));
      }
      const b = scope.getBinding(name);
      if (b && !isFunctionNode(b.path.node) && !b.path.isVariableDeclarator() && b.kind !== 'module') return null;
      return argsVal(ctx, args, scope);
    }
    if (callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression') {
      const method = propertyName(callee);
      const resolved = resolveNode(callee, scope);
      if (method === null) return evalExpr(ctx, callee.object, scope);
      if (resolved === 'path.basename') return cleaned(argsVal(ctx, args, scope), bits('path'));
      if (resolved && /^(?:Number|Math|Date)\./.test(resolved)) return null;
      if (resolved && /(?:^|\.)(?:escape|encode|sanitize)$/.test(resolved) && /^(?:he|entities|DOMPurify|validator|lodash|_|html-entities|escape-html)/.test(resolved)) {
        return cleaned(argsVal(ctx, args, scope), bits('xss', 'template'));
      }
      if (sqlEscaper.test(method) && resolved && /^(?:mysql|mysql2|sqlstring|pg-format|pg)/.test(resolved)) return cleaned(argsVal(ctx, args, scope), bits('sql'));
      if (method === 'sanitize' || method === 'escapeHtml' || (method === 'escape' && resolved && !resolved.startsWith('querystring'))) {
        return cleaned(argsVal(ctx, args, scope), bits('xss', 'template', 'sql'));
      }
      if (method === 'ObjectId' || method === 'ObjectID') return cleaned(argsVal(ctx, args, scope), bits('nosql'));
      if (method === 'basename') return cleaned(argsVal(ctx, args, scope), bits('path'));
      if (method === 'escapeRegExp' || method === 'escapeRegex' || method === 'escapeRegExpString') return cleaned(argsVal(ctx, args, scope), bits('regex'));
      if ((method === 'replace' || method === 'replaceAll') && isRegexEscape(node)) return cleaned(evalExpr(ctx, callee.object, scope), bits('regex'));
      if ((method === 'replace' || method === 'replaceAll') && node.type === 'CallExpression' && isWhitelistReplace(node)) return null;
      if ((method === 'replace' || method === 'replaceAll') && isHtmlEscapeReplace(node)) return cleaned(evalExpr(ctx, callee.object, scope), bits('xss'));
      // zod/joi/yup: schema.parse(x) returns validated data
      if (['parse', 'safeParse', 'parseAsync', 'safeParseAsync', 'validateSync', 'cast'].includes(method)) {
        const recv = resolveNode(callee.object, scope);
        const objName = nameOf(callee.object);
        if (recv === null ? !(objName && /^(?:JSON|qs|querystring|url|cookie|yaml|YAML|parser|xml|csv|toml)$/i.test(objName)) : schemaReceivers.test(recv) && !nonSchemaParse.test(recv)) return null;
      }
      if (method === 'validate' && node.arguments.length >= 1) {
        const recv = resolveNode(callee.object, scope);
        if (recv === null || schemaReceivers.test(recv)) return null;
      }
      const recv = evalExpr(ctx, callee.object, scope);
      // tainted.map((x, i) => …): the result carries what the callback returns, with x standing for
      // the receiver's elements; ids.map((_, i) => '$' + (i + 1)) builds placeholders, not data.
      if ((method === 'map' || method === 'flatMap') && recv && args[0] && isFunctionNode(args[0])) {
        const cb = ctx.a.fnByNode.get(args[0]);
        if (cb) {
          const ret = summary(cb);
          if (!ret) return null;
          let out: Val | null = ret.src ? { src: ret.src, params: [], clean: ret.clean } : null;
          for (const label of ret.params) {
            const i = cb.paramLabels.indexOf(label);
            if (i === 0) out = merge(out, cleaned(recv, ret.clean));
            else if (i === -1) out = merge(out, { src: null, params: [label], clean: ret.clean });
          }
          return out;
        }
      }
      if (passThroughMethods.has(method)) {
        if (recv && stringMethods.has(method)) return cleaned(merge(recv, method === 'replace' || method === 'replaceAll' ? argsVal(ctx, args.slice(1), scope) : null), bits('nosql'));
        if (recv) return merge(recv, ['concat', 'replace', 'replaceAll', 'join', 'assign', 'from', 'fromEntries', 'stringify', 'parse', 'format', 'resolve', 'normalize', 'raw', 'decode', 'encode'].includes(method) ? argsVal(ctx, args.slice(method === 'replace' || method === 'replaceAll' ? 1 : 0), scope) : null);
      }
      if (recv) return recv;
      if (resolved && (propagatingNamespaces.test(resolved) || resolved.startsWith('decode'))) return argsVal(ctx, args, scope);
      if (resolved === null && passThroughMethods.has(method) && ['join', 'concat', 'from', 'assign', 'fromEntries', 'stringify', 'format', 'resolve', 'normalize'].includes(method) && callee.object.type !== 'Identifier') {
        return argsVal(ctx, args, scope);
      }
      return null;
    }
    return null;
  }

  function calleeFunction(a: FileAnalysis, node: t.CallExpression | t.NewExpression, scope: Scope): FnInfo | null {
    let callee = unwrap(node.callee);
    if (isFunctionNode(callee)) return a.fnByNode.get(callee) ?? null;
    let moduleFile: string | null = null;
    let exportName: string | null = null;
    if (callee.type === 'MemberExpression') {
      // util.run(x) where util = require('./util') or import * as util from './util.js'
      const prop = propertyName(callee);
      const obj = unwrap(callee.object);
      if (prop === null || obj.type !== 'Identifier') return null;
      const b = scope.getBinding(obj.name);
      if (!b) return null;
      const spec = moduleSpecOf(b);
      if (spec === null) {
        // a local object literal of functions: const helpers = { build(x) { … } }
        const init = b.path.isVariableDeclarator() ? b.path.node.init : null;
        if (init?.type === 'ObjectExpression') {
          for (const p of init.properties) {
            if (p.type === 'SpreadElement' || nameOf(p.key) !== prop) continue;
            const v = p.type === 'ObjectMethod' ? p : p.type === 'ObjectProperty' ? unwrap(p.value) : null;
            if (v && isFunctionNode(v)) return a.fnByNode.get(v) ?? null;
          }
        }
        // const reports = new ReportService(pool): the method of that class, here or in a local module
        if (init?.type === 'NewExpression' && init.callee.type === 'Identifier') return instanceMethod(a, init.callee.name, b.path.scope, prop);
        return null;
      }
      moduleFile = resolveSpecifier(a.file, spec.module);
      exportName = spec.name === '*' || spec.name === 'default' ? prop : `${spec.name}.${prop}`;
      if (spec.name === 'default') exportName = prop;
    } else if (callee.type === 'Identifier') {
      const b = scope.getBinding(callee.name);
      if (!b) return null;
      const spec = moduleSpecOf(b);
      if (spec) {
        moduleFile = resolveSpecifier(a.file, spec.module);
        exportName = spec.name;
      } else {
        const n = b.path.node;
        if (isFunctionNode(n)) return a.fnByNode.get(n) ?? null;
        if (b.path.isVariableDeclarator() && b.path.node.init) {
          callee = unwrap(b.path.node.init);
          if (isFunctionNode(callee)) return a.fnByNode.get(callee) ?? null;
        }
        return null;
      }
    } else {
      return null;
    }
    if (!moduleFile || exportName === null) return null;
    const other = collect(moduleFile);
    if (!other) return null;
    let target = other.exports.get(exportName) ?? null;
    if (!target && exportName === 'default') target = other.exports.get('*') ?? null;
    return target && isFunctionNode(target) ? (other.fnByNode.get(target) ?? null) : null;
  }

  /** Method `name` of the class bound to `className` in `scope` (declared here or imported from a local module). */
  function instanceMethod(a: FileAnalysis, className: string, scope: Scope, name: string): FnInfo | null {
    const cb = scope.getBinding(className);
    if (!cb) return null;
    const spec = moduleSpecOf(cb);
    if (spec === null) {
      const cls = cb.path.isVariableDeclarator() && cb.path.node.init ? unwrap(cb.path.node.init) : cb.path.node;
      const m = classMethod(cls, name);
      return m ? (a.fnByNode.get(m) ?? null) : null;
    }
    const file = resolveSpecifier(a.file, spec.module);
    const other = file ? collect(file) : null;
    if (!other) return null;
    const cls = other.exports.get(spec.name) ?? (spec.name === 'default' ? other.exports.get('*') : undefined);
    const m = cls ? classMethod(cls, name) : null;
    return m ? (other.fnByNode.get(m) ?? null) : null;
  }

  /** Relative module a binding was imported or required from, and under which export name. */
  function moduleSpecOf(b: Binding): { module: string; name: string } | null {
    const p = b.path;
    if (b.kind === 'module') {
      const decl = p.parentPath?.node;
      if (decl?.type !== 'ImportDeclaration' || !decl.source.value.startsWith('.')) return null;
      const spec = p.node;
      if (spec.type === 'ImportSpecifier') return { module: decl.source.value, name: spec.imported.type === 'Identifier' ? spec.imported.name : spec.imported.value };
      if (spec.type === 'ImportDefaultSpecifier') return { module: decl.source.value, name: 'default' };
      return { module: decl.source.value, name: '*' };
    }
    if (p.isVariableDeclarator()) {
      const init = p.node.init && unwrap(p.node.init);
      if (init?.type !== 'CallExpression' || init.callee.type !== 'Identifier' || init.callee.name !== 'require') return null;
      const arg = init.arguments[0];
      if (arg?.type !== 'StringLiteral' || !arg.value.startsWith('.')) return null;
      const id = p.node.id;
      if (id.type === 'Identifier') return { module: arg.value, name: '*' };
      if (id.type === 'ObjectPattern') {
        for (const prop of id.properties) {
          if (prop.type === 'ObjectProperty' && prop.value.type === 'Identifier' && prop.value.name === b.identifier.name) {
            return { module: arg.value, name: nameOf(prop.key) ?? '' };
          }
        }
      }
    }
    return null;
  }

  function summary(fn: FnInfo): Val | null {
    const cached = summaryCache.get(fn);
    if (cached && cached.version === version) return cached.val;
    summaryCache.set(fn, { version, val: null }); // recursion sees "nothing" while in progress
    const a = analyses.get(fn.file)!;
    solve(a);
    let acc: Val | null = null;
    for (const r of fn.returns) acc = merge(acc, evalExpr({ a, pos: r.node.start ?? 0, depth: 0 }, r.node, r.scope));
    summaryCache.set(fn, { version, val: acc });
    return acc;
  }

  function applySummary(ctx: EvalCtx, fn: FnInfo, node: t.CallExpression | t.NewExpression, scope: Scope): Val | null {
    return substitute(ctx, fn, summary(fn), node, scope);
  }

  /** A value computed inside `fn`, seen at one of its call sites: its parameters become the arguments. */
  function substitute(ctx: EvalCtx, fn: FnInfo, s: Val | null, node: t.CallExpression | t.NewExpression, scope: Scope): Val | null {
    if (!s) return null;
    let out: Val | null = s.src ? { src: s.src, params: [], clean: s.clean } : null;
    const keep: number[] = [];
    for (const label of s.params) {
      const i = fn.paramLabels.indexOf(label);
      if (i === -1) {
        keep.push(label);
        continue;
      }
      const arg = node.arguments[i];
      if (arg) out = merge(out, cleaned(evalExpr(ctx, arg, scope), s.clean));
    }
    if (keep.length > 0) out = merge(out, { src: null, params: keep, clean: s.clean });
    if (out?.src) out = { ...out, src: withStep(out.src, loc(ctx.a.file, node)) };
    return out;
  }

  /**
   * `obj.prop` where `obj` is a const holding an object literal, or the result of a local function that
   * returns object literals: the value of that property only, not of the whole object. Undefined when
   * the object's shape is not known that way (the caller then falls back to the whole object).
   */
  function propertyVal(ctx: EvalCtx, object: t.Node, prop: string, scope: Scope): Val | null | undefined {
    const base = unwrap(object);
    if (base.type !== 'Identifier') return undefined;
    const b = scope.getBinding(base.name);
    if (!b || !b.path.isVariableDeclarator() || b.path.node.id.type !== 'Identifier') return undefined;
    // const x = …, or `let x;` assigned exactly once later (x = await start() in a before hook)
    let initNode: t.Node | null | undefined = b.constant ? b.path.node.init : undefined;
    if (!b.constant && !b.path.node.init && b.constantViolations.length === 1) {
      const v = b.constantViolations[0]!.node;
      if (v.type === 'AssignmentExpression' && v.operator === '=') initNode = v.right;
    }
    if (!initNode) return undefined;
    const init = unwrap(initNode);
    if (init.type === 'ObjectExpression') {
      const value = objectProperty(init, prop);
      return value === undefined ? undefined : value === null ? null : evalExpr(ctx, value, b.path.scope);
    }
    if (init.type !== 'CallExpression') return undefined;
    const fn = calleeFunction(ctx.a, init, b.path.scope);
    if (!fn || fn.returns.length === 0) return undefined;
    const a = analyses.get(fn.file)!;
    solve(a);
    let acc: Val | null = null;
    for (const r of fn.returns) {
      const ret = unwrap(r.node);
      if (ret.type !== 'ObjectExpression') return undefined;
      const value = objectProperty(ret, prop);
      if (value === undefined) return undefined;
      if (value) acc = merge(acc, evalExpr({ a, pos: value.start ?? 0, depth: ctx.depth + 1 }, value, r.scope));
    }
    return substitute(ctx, fn, acc, init, b.path.scope);
  }

  // --- phase 2: fixpoint over the file's flows ---
  function solve(a: FileAnalysis): void {
    if (a.solved || a.solving) return;
    a.solving = true;
    for (let pass = 0; pass < 6; pass++) {
      let changed = false;
      for (const f of a.flows) {
        const raw = evalExpr({ a, pos: f.at.start ?? 0, depth: 0 }, f.value, f.scope);
        const v = f.clean ? cleaned(raw, f.clean) : raw;
        if (!v) continue;
        const old = a.state.get(f.target.identifier) ?? null;
        const next = merge(old, v.src ? { ...v, src: withStep(v.src, loc(a.file, f.at)) } : v)!;
        if (!old || (next.src && !old.src) || next.params.length !== old.params.length || next.clean !== old.clean) {
          a.state.set(f.target.identifier, next);
          changed = true;
          version++;
        }
      }
      if (!changed) break;
    }
    a.solving = false;
    a.solved = true;
  }

  function link(a: FileAnalysis): void {
    if (a.linked) return;
    a.linked = true;
    for (const c of a.calls) {
      const fn = calleeFunction(a, c.node, c.scope);
      if (fn) fn.callSites.push({ file: a.file, node: c.node, scope: c.scope });
    }
  }

  /** Source data reaching parameter `label` through any call site, not sanitised for `kind`. */
  function paramSrc(label: number, kind: number, visited: Set<number>): Src | null {
    if (visited.has(label) || visited.size > 64) return null;
    visited.add(label);
    const entry = fnByLabel.get(label);
    if (!entry) return null;
    const { fn, index } = entry;
    link(analyses.get(fn.file)!);
    for (const imp of importers.get(fn.file) ?? []) {
      const other = collect(imp);
      if (other) link(other);
    }
    for (const site of fn.callSites) {
      const arg = site.node.arguments[index];
      if (!arg) continue;
      const a = analyses.get(site.file)!;
      solve(a);
      const v = evalExpr({ a, pos: site.node.start ?? 0, depth: 0 }, arg, site.scope);
      if (!v || v.clean & kind) continue;
      const step = loc(site.file, site.node);
      if (v.src) return withStep(v.src, step);
      for (const p of v.params) {
        const s = paramSrc(p, kind, visited);
        if (s) return withStep(s, step);
      }
    }
    return null;
  }

  function isConstantNode(node: t.Node, scope: Scope, depth: number): boolean {
    if (depth > 8) return false;
    const n = unwrap(node);
    switch (n.type) {
      case 'StringLiteral':
      case 'NumericLiteral':
      case 'BooleanLiteral':
      case 'NullLiteral':
      case 'RegExpLiteral':
        return true;
      case 'TemplateLiteral':
        return n.expressions.every((e) => isConstantNode(e, scope, depth + 1));
      case 'BinaryExpression':
        return isConstantNode(n.left, scope, depth + 1) && isConstantNode(n.right, scope, depth + 1);
      case 'Identifier': {
        if (n.name === 'undefined') return true;
        const b = scope.getBinding(n.name);
        if (!b || !b.constant || !b.path.isVariableDeclarator()) return false;
        const init = b.path.node.init;
        return !!init && b.path.node.id.type === 'Identifier' && isConstantNode(init, b.path.scope, depth + 1);
      }
      default:
        return false;
    }
  }

  const queries = new Map<string, TaintQuery>();
  function queryFor(file: string): TaintQuery {
    let q = queries.get(file);
    if (q) return q;
    q = {
      possible: reachable.has(file),
      of(path: NodePath, kind: SinkKind): TaintHit | null {
        const a = collect(file);
        if (!a) return null;
        solve(a);
        const mask = kindBits[kind];
        const v = evalExpr({ a, pos: path.node.start ?? 0, depth: 0 }, path.node, path.scope);
        if (!v || v.clean & mask) return null;
        const here = loc(file, path.node);
        if (v.src) return { trace: withStep(v.src, here).trace, source: v.src.source };
        const visited = new Set<number>();
        for (const p of v.params) {
          const s = paramSrc(p, mask, visited);
          if (s) return { trace: withStep(s, here).trace, source: s.source };
        }
        return null;
      },
      isConstant(path: NodePath): boolean {
        return isConstantNode(path.node, path.scope, 0);
      },
    };
    queries.set(file, q);
    return q;
  }

  return {
    astOf,
    queryFor,
    release(file: string) {
      // Files the analysis reads stay parsed: their bindings are what the taint state is keyed by.
      if (!reachable.has(file)) asts.delete(file);
    },
  };
}
