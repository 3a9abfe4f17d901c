// bulwark.yaml → Manifest. Three passes, each reporting every problem it finds at the file:line:col of
// the offending node: YAML syntax, the JSON Schema in schema.ts (shapes and formats), then the rules a
// schema cannot say (ranges in the author's units, real dates, route conflicts, queue subjects, cron
// expressions, egress syntax, the input schema files). The same function runs in the CLI and again on
// the server, which never trusts the client's parse.

import { posix } from 'node:path';
import { parseDocument, visit, LineCounter } from 'yaml';
import { Ajv, type ErrorObject } from 'ajv';
import ipaddr from 'ipaddr.js';
import { BulwarkError } from '../errors.ts';
import { normaliseBudget, type AuthorBudget } from '../metering/budget.ts';
import { normaliseInjection, type AuthorInjection } from './injection.ts';
import { parseRate } from '../limits/rate.ts';
import { KV_NAMESPACE, manifestSchema, hints, plannedKeys } from './schema.ts';
import { compileInputSchema, describeSchemaFailure, LinearPatternError } from './input-schema.ts';
import type { EgressRule, HttpMethod, HttpTrigger, InputPart, InputSchemas, KvAccess, Manifest, QueueTrigger, ScheduleTrigger } from './types.ts';
import { subjectProblem } from '../bus/subject.ts';
import { locate, pathOf, type YamlPath as Path } from './yaml-positions.ts';
import { cronProblem } from '../triggers/cron.ts';

export interface ManifestProblem {
  file: string;
  line: number;
  col: number;
  message: string;
}

const LIMITS = {
  timeoutMs: { min: 100, max: 900_000, default: 3_000 },
  memoryMb: { min: 32, max: 4096, default: 128 },
  concurrency: { default: 10 },
  bodyBytes: { min: 1, max: 6 * 1024 * 1024, default: 1024 * 1024 },
} as const;

const HANDLER_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];


const validateShape = new Ajv({ allErrors: true, verbose: true, strict: true, strictTypes: false, logger: false })
  .compile(manifestSchema);

/**
 * Parses and validates a manifest. `file` is the name used in messages (e.g. "bulwark.yaml");
 * `readFile` returns referenced files (the input schema) by path relative to the manifest.
 * Throws BWK_E_MANIFEST_SYNTAX or BWK_E_MANIFEST_INVALID listing every problem, one per line.
 */
export function parseManifest(source: string, file: string, readFile: (relPath: string) => string | undefined): Manifest {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const problemAt = (offset: number, message: string): ManifestProblem => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col, message };
  };

  // Only the first syntax error: after one, the parser's recovery produces a cascade of errors at
  // every following token that say nothing the first one does not.
  const first = doc.errors[0] ?? doc.warnings[0];
  if (first) fail('BWK_E_MANIFEST_SYNTAX', [problemAt(first.pos[0], syntaxMessage(first, source))]);
  if (doc.contents === null) fail('BWK_E_MANIFEST_INVALID', [problemAt(0, 'the manifest is empty: it needs at least name, handler, owner, expires and triggers')]);

  const at = (path: Path, part: 'key' | 'value' = 'value', message: string) => problemAt(locate(doc, path, part), message);
  let raw: unknown;
  try {
    // maxAliasCount bounds "billion laughs" expansion; a manifest has little reason to use aliases.
    raw = doc.toJS({ maxAliasCount: 20 });
  } catch (err) {
    let offset = 0;
    visit(doc, { Alias: (_, node) => ((offset = node.range?.[0] ?? 0), visit.BREAK) });
    fail('BWK_E_MANIFEST_SYNTAX', [problemAt(offset, `YAML aliases expand too much (${(err as Error).message}); write the values out`)]);
  }

  if (!validateShape(raw)) {
    const problems = shapeProblems(validateShape.errors ?? [], at);
    fail('BWK_E_MANIFEST_INVALID', problems);
  }
  const { manifest, problems } = normalise(raw as AuthorManifest, at, readFile);
  if (problems.length > 0) fail('BWK_E_MANIFEST_INVALID', problems);
  return manifest!;
}

/** `expires: never`: the function does not expire; the manifest must then say why (expiresReason). */
export const NEVER_EXPIRES = 'never';

const DAY_MS = 86_400_000;
/**
 * The UTC day (YYYY-MM-DD) last asked for and the epoch-ms span it covers. Every invocation checks
 * expiry twice (before and after the guard chain), and formatting the date each time cost ~2 % of the
 * gateway's main thread; epoch days are exactly DAY_MS long, so the text changes only at the bounds.
 */
let lastDay = { text: '', from: 0, until: 0 };

function utcDay(ms: number): string {
  // An invalid date matches no cached span and must not fall through to the last day asked for.
  if (!Number.isFinite(ms)) throw new RangeError('Invalid time value');
  if (ms < lastDay.from || ms >= lastDay.until) {
    const from = Math.floor(ms / DAY_MS) * DAY_MS;
    lastDay = { text: new Date(from).toISOString().slice(0, 10), from, until: from + DAY_MS };
  }
  return lastDay.text;
}

/** True once the `expires` day is over (UTC): a function expiring 2027-06-30 still runs that day. */
export function isExpired(manifest: Pick<Manifest, 'expires'>, now: Date = new Date()): boolean {
  return manifest.expires !== NEVER_EXPIRES && manifest.expires < utcDay(now.getTime());
}

function syntaxMessage(e: { code: string; message: string; pos: [number, number] }, source: string): string {
  if (e.code === 'DUPLICATE_KEY') {
    const key = /^("[^"\n]*"|'[^'\n]*'|[^:\n]*)/.exec(source.slice(e.pos[0]))![1]!.trim();
    return `duplicate key '${key}': each key may appear only once in a mapping`;
  }
  const message = e.message.split('\n')[0]!;
  // `{ path: /items/{id} }`: braces inside a flow mapping end it early. The fix is quoting.
  if (/flow-map-(start|end)/.test(message)) return `${message}: a value containing { or } must be quoted, like path: "/items/{id}"`;
  return message;
}

function fail(code: 'BWK_E_MANIFEST_SYNTAX' | 'BWK_E_MANIFEST_INVALID', problems: ManifestProblem[]): never {
  problems.sort((a, b) => a.line - b.line || a.col - b.col);
  const lines = problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`);
  const head = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  throw new BulwarkError(code, [`${head}\n${lines.join('\n')}`], { problems });
}

// ---- positions -------------------------------------------------------------------------------------

function display(path: Path): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

// ---- pass 2: JSON Schema ---------------------------------------------------------------------------

const REQUIRED_EXAMPLES: Record<string, string> = {
  name: 'name: hello',
  handler: 'handler: src/index.ts#handler',
  owner: 'owner: team@example.com',
  expires: 'expires: 2027-06-30',
  triggers: 'triggers: [{ http: { method: POST, path: / } }]',
  method: 'method: POST',
  path: 'path: /',
  subject: 'subject: images.uploaded',
  cron: 'cron: "*/5 * * * *"',
};

type At = (path: Path, part: 'key' | 'value', message: string) => ManifestProblem;

function shapeProblems(errors: ErrorObject[], at: At): ManifestProblem[] {
  const out: ManifestProblem[] = [];
  const valueReported = new Set<string>();
  for (const e of errors) {
    const path = pathOf(e.instancePath);
    const where = path.length === 0 ? 'at the top level' : `in ${display(path)}`;
    if (e.keyword === 'additionalProperties') {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      out.push(at([...path, key], 'key', unknownKeyMessage(key, where, allowed, path)));
    } else if (e.keyword === 'required') {
      const key = (e.params as { missingProperty: string }).missingProperty;
      const example = REQUIRED_EXAMPLES[key];
      out.push(at(path, 'value', `missing required key '${key}' ${where}${example ? ` (add e.g. ${example})` : ''}`));
    } else if (!valueReported.has(e.instancePath)) {
      // One message per value: a wrong type also fails its pattern/enum, and one fix covers both.
      valueReported.add(e.instancePath);
      const hintKey = path.map((s) => (typeof s === 'number' ? '*' : s)).join('.');
      const got = describeValue(e.data);
      out.push(at(path, 'value', `${hints[hintKey] ?? `${display(path)} ${e.message}`} (got ${got})`));
    }
  }
  return out;
}

function unknownKeyMessage(key: string, where: string, allowed: string[], path: Path): string {
  const container = path.filter((s) => typeof s === 'string').join('.');
  if (plannedKeys[container]?.includes(key)) return `'${key}' ${where} is not supported yet (planned); remove it`;
  const suggestion = closest(key, allowed);
  return suggestion
    ? `unknown key '${key}' ${where} — did you mean '${suggestion}'?`
    : `unknown key '${key}' ${where}; allowed keys: ${allowed.join(', ')}`;
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(best.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  const text = JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

// ---- pass 3: rules beyond the schema, and normalisation --------------------------------------------

interface AuthorManifest {
  name: string;
  handler: string;
  owner: string;
  expires: string;
  expiresReason?: string;
  runtime?: { payloadFormat?: '1.0' | '2.0' | 1 | 2; allowCodeGeneration?: boolean };
  triggers: Array<{
    http?: { method: HttpMethod; path: string; auth?: HttpTrigger['auth'] };
    queue?: { subject: string };
    schedule?: { cron: string; payload?: Record<string, unknown> };
  }>;
  input?: string | Partial<Record<InputPart, string>>;
  limits?: { timeout?: string; memory?: string; concurrency?: number; queue?: number; body?: string; rate?: string };
  permissions?: { egress?: string[]; secrets?: string[]; kv?: Record<string, unknown>; invoke?: string[] };
  budget?: AuthorBudget;
  injection?: AuthorInjection;
}

function normalise(m: AuthorManifest, at: At, readFile: (relPath: string) => string | undefined) {
  const problems: ManifestProblem[] = [];
  const report = (path: Path, message: string, part: 'key' | 'value' = 'value') => problems.push(at(path, part, message));

  const hash = m.handler.indexOf('#');
  const handlerFile = hash === -1 ? m.handler : m.handler.slice(0, hash);
  const handlerExport = hash === -1 ? 'handler' : m.handler.slice(hash + 1);
  const handlerPath = relativeInside(handlerFile);
  if (!handlerPath) report(['handler'], `handler file '${handlerFile}' must be a relative path inside the function directory, like src/index.ts`);
  else if (!HANDLER_EXTENSIONS.includes(posix.extname(handlerPath))) {
    report(['handler'], `handler file '${handlerFile}' must be a ${HANDLER_EXTENSIONS.join(', ')} file`);
  }

  // Every function ends somewhere; one that must not (a platform hook) says why, so the exception is
  // a decision someone wrote down and the inventory can show.
  const expiresReason = m.expiresReason?.trim();
  if (m.expires === NEVER_EXPIRES) {
    if (!expiresReason) report(['expires'], 'expires: never needs expiresReason, a sentence saying why this function must never expire (or set a date like 2027-06-30)');
  } else {
    if (!isRealDate(m.expires)) report(['expires'], `expires must be a date like 2027-06-30 ('${m.expires}' is not a calendar date)`);
    if (m.expiresReason !== undefined) report(['expiresReason'], 'expiresReason is only for expires: never; remove it, or set expires: never', 'key');
  }

  const http: HttpTrigger[] = [];
  const queues: QueueTrigger[] = [];
  const schedule: Array<ScheduleTrigger & { index: number }> = [];
  const subjects = new Map<string, number>();
  const routes = new Map<string, { method: HttpMethod; index: number }[]>();
  const caseless = new Map<string, { shape: string; index: number }>();
  m.triggers.forEach((t, i) => {
    if (t.queue) {
      const { subject } = t.queue;
      const problem = subjectProblem(subject);
      const twin = subjects.get(subject);
      if (problem) report(['triggers', i, 'queue', 'subject'], `subject '${subject.slice(0, 80)}' ${problem}`);
      // Two triggers on one subject would run the function twice for every message.
      else if (twin !== undefined) report(['triggers', i, 'queue', 'subject'], `subject '${subject}' is already consumed by triggers[${twin}]; list each subject once`);
      else subjects.set(subject, i);
      queues.push({ subject });
    }
    if (t.schedule) {
      const { cron } = t.schedule;
      const problem = cronProblem(cron);
      if (problem) report(['triggers', i, 'schedule', 'cron'], `cron '${cron.slice(0, 80)}' ${problem}`);
      schedule.push({ cron, payload: t.schedule.payload ?? {}, index: i });
    }
    if (!t.http) return;
    const { method, path, auth } = t.http;
    const pathProblem = checkRoutePath(path);
    if (pathProblem) report(['triggers', i, 'http', 'path'], pathProblem);
    const shape = path.replace(/\{[^}]*\+\}/g, '{+}').replace(/\{[^}+]*\}/g, '{}');
    // The gateway refuses requests that match a trigger only ignoring case (route confusion, see
    // src/gateway/routes.ts), so two triggers differing only in case could not both be reached.
    const caseTwin = caseless.get(shape.toLowerCase());
    if (caseTwin && caseTwin.shape !== shape) {
      report(['triggers', i, 'http', 'path'], `path '${path}' differs from triggers[${caseTwin.index}] only in letter case; routers inside functions often ignore case, so use one spelling`);
    }
    if (!caseTwin) caseless.set(shape.toLowerCase(), { shape, index: i });
    const same = routes.get(shape) ?? [];
    const clash = same.find((r) => r.method === method || r.method === 'ANY' || method === 'ANY');
    if (clash) {
      report(['triggers', i, 'http'], `http trigger ${method} ${path} overlaps triggers[${clash.index}] (${clash.method} on the same path); each method and path may be routed once`);
    }
    routes.set(shape, [...same, { method, index: i }]);
    http.push(auth === undefined ? { method, path } : { method, path, auth });
  });

  let input: InputSchemas | undefined;
  if (m.input !== undefined) {
    input = {};
    for (const part of INPUT_PARTS) {
      const file = typeof m.input === 'string' ? (part === 'body' ? m.input : undefined) : m.input[part];
      if (file === undefined) continue;
      const at: Path = typeof m.input === 'string' ? ['input'] : ['input', part];
      const rel = relativeInside(file);
      if (!rel) report(at, `input '${file}' must be a relative path inside the function directory, like ./schemas/input.json`);
      else {
        const schema = loadInputSchema(rel, readFile, part, (msg) => report(at, msg));
        if (schema) input[part] = schema;
      }
    }
  }

  const limits = m.limits ?? {};
  const timeoutMs = limits.timeout === undefined ? LIMITS.timeoutMs.default : parseDuration(limits.timeout);
  if (timeoutMs < LIMITS.timeoutMs.min || timeoutMs > LIMITS.timeoutMs.max) {
    report(['limits', 'timeout'], `timeout ${limits.timeout} is out of range: use 100ms to 900s`);
  }
  const memoryMb = limits.memory === undefined ? LIMITS.memoryMb.default : parseMemory(limits.memory);
  if (memoryMb < LIMITS.memoryMb.min || memoryMb > LIMITS.memoryMb.max) {
    report(['limits', 'memory'], `memory ${limits.memory} is out of range: use 32MB to 4096MB (4GB)`);
  }
  const bodyBytes = limits.body === undefined ? LIMITS.bodyBytes.default : parseSize(limits.body);
  if (bodyBytes < LIMITS.bodyBytes.min || bodyBytes > LIMITS.bodyBytes.max) {
    report(['limits', 'body'], `body ${limits.body} is out of range: use 1B to 6MB`);
  }
  const concurrency = limits.concurrency ?? LIMITS.concurrency.default;
  const queue = limits.queue ?? 2 * concurrency;

  const egress: EgressRule[] = [];
  (m.permissions?.egress ?? []).forEach((entry, i) => {
    const rule = parseEgress(entry);
    if (typeof rule === 'string') report(['permissions', 'egress', i], rule);
    else if (!egress.some((r) => r.host === rule.host && r.port === rule.port)) egress.push(rule);
  });

  const kv = m.permissions?.kv;
  for (const [namespace, access] of Object.entries(kv ?? {})) {
    if (!KV_NAMESPACE.test(namespace)) {
      report(['permissions', 'kv', namespace], `kv namespace '${namespace.slice(0, 80)}' is not a valid name: use lowercase letters, digits, '-' and '_', starting with a letter, at most 63 characters (like orders)`, 'key');
    } else if (access !== 'read' && access !== 'read-write') {
      report(['permissions', 'kv', namespace], `kv access for ${namespace} must be read or read-write (got ${describeValue(access)})`);
    }
  }

  const budget = m.budget && normaliseBudget(m.budget, (field, message) => report(['budget', field], message));
  const injection = m.injection && normaliseInjection(m.injection, http, report);

  for (const { payload, index } of schedule) {
    const at: Path = ['triggers', index, 'schedule', ...(m.triggers[index]!.schedule!.payload ? ['payload'] : [])];
    // The payload is the body of every run: one that the function's own limits or schema refuse would
    // be dead-lettered at every tick, so it is refused here instead.
    const size = Buffer.byteLength(JSON.stringify(payload));
    if (size > bodyBytes) report(at, `schedule payload is ${size} bytes, over limits.body (${bodyBytes} bytes): make it smaller or raise limits.body`);
    if (input?.body) {
      const validate = compileInputSchema(input.body);
      if (!validate(payload)) report(at, `schedule payload does not match the input body schema: ${describeSchemaFailure(validate, 'body')}`);
    }
  }

  if (problems.length > 0) return { problems };
  const payloadFormat = m.runtime?.payloadFormat;
  const manifest: Manifest = {
    name: m.name,
    handler: { file: handlerPath!, export: handlerExport },
    owner: m.owner,
    expires: m.expires,
    ...(m.expires === NEVER_EXPIRES ? { expiresReason: expiresReason! } : {}),
    runtime: {
      payloadFormat: payloadFormat === '1.0' || payloadFormat === 1 ? '1.0' : '2.0',
      allowCodeGeneration: m.runtime?.allowCodeGeneration ?? false,
    },
    triggers: { http, queue: queues, schedule: schedule.map(({ cron, payload }) => ({ cron, payload })) },
    ...(input ? { input } : {}),
    limits: { timeoutMs, memoryMb, concurrency, queue, bodyBytes, ...(limits.rate ? { rate: parseRate(limits.rate)! } : {}) },
    permissions: {
      egress,
      ...(m.permissions?.secrets ? { secrets: [...new Set(m.permissions.secrets)] } : {}),
      ...(kv ? { kv: kv as Record<string, KvAccess> } : {}),
      ...(m.permissions?.invoke ? { invoke: [...new Set(m.permissions.invoke)] } : {}),
    },
    ...(budget ? { budget } : {}),
    ...(injection ? { injection } : {}),
  };
  return { manifest, problems };
}

/** Normalised posix path when `p` stays inside the function directory, else undefined. */
function relativeInside(p: string): string | undefined {
  if (p.includes('\\') || p.includes('\0') || posix.isAbsolute(p)) return undefined;
  const n = posix.normalize(p);
  if (n === '.' || n === '..' || n.startsWith('../')) return undefined;
  return n;
}

function isRealDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** RFC 3986 pchar without `%` and `;` (a request path with `;` is refused: matrix-parameter confusion). */
const SEGMENT = /^[A-Za-z0-9._~!$&'()*+,=:@-]+$/;
const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}$/;

function checkRoutePath(path: string): string | undefined {
  if (!path.startsWith('/')) return `path '${path}' must start with /, like /items/{id}`;
  if (path === '/') return undefined;
  const segments = path.slice(1).split('/');
  const names = new Set<string>();
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const param = PARAM.exec(seg);
    if (param) {
      if (names.has(param[1]!)) return `path '${path}' uses the parameter {${param[1]}} twice`;
      names.add(param[1]!);
      if (param[2] && i !== segments.length - 1) return `path '${path}': a greedy {${param[1]}+} parameter must be the last segment`;
    } else if (seg === '' && i === segments.length - 1) {
      return `path '${path}' must not end with /`;
    } else if (!SEGMENT.test(seg) || seg === '.' || seg === '..' || seg.includes('{') || seg.includes('}')) {
      return `path '${path}' has an invalid segment '${seg}': use literal text or a whole-segment parameter like {id} or {proxy+}`;
    }
  }
  return undefined;
}

const INPUT_PARTS: readonly InputPart[] = ['body', 'query', 'params', 'headers'];

/** Header names reach the schema guard lower-cased (as Node parses them); a name with capitals never matches. */
function headerNameProblem(schema: Record<string, unknown>): string | undefined {
  const properties = schema.properties && typeof schema.properties === 'object' ? Object.keys(schema.properties) : [];
  const required = Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : [];
  const upper = [...properties, ...required].find((name) => name !== name.toLowerCase());
  return upper === undefined ? undefined : `header names must be lower case ('${upper}' → '${upper.toLowerCase()}'): request header names are lower-cased before validation`;
}

function loadInputSchema(rel: string, readFile: (relPath: string) => string | undefined, part: InputPart, report: (msg: string) => void) {
  const text = readFile(rel);
  if (text === undefined) return void report(`input schema file '${rel}' was not found next to the manifest`);
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (err) {
    return void report(`input schema file '${rel}' is not valid JSON: ${(err as Error).message}`);
  }
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    return void report(`input schema file '${rel}' must contain a JSON Schema object, like { "type": "object" }`);
  }
  try {
    compileInputSchema(schema as Record<string, unknown>, { coerce: part !== 'body' });
  } catch (err) {
    if (err instanceof LinearPatternError) return void report(`input schema file '${rel}': ${err.message}`);
    return void report(`input schema file '${rel}' is not a usable JSON Schema (draft-07): ${(err as Error).message}`);
  }
  const headerProblem = part === 'headers' ? headerNameProblem(schema as Record<string, unknown>) : undefined;
  if (headerProblem) return void report(`input schema file '${rel}': ${headerProblem}`);
  return schema as Record<string, unknown>;
}

function parseDuration(s: string): number {
  const [, n, unit] = /^([0-9]+)(ms|s|m)$/.exec(s)!;
  return Number(n) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000);
}

function parseMemory(s: string): number {
  const [, n, unit] = /^([0-9]+)(MB|GB)$/.exec(s)!;
  return Number(n) * (unit === 'GB' ? 1024 : 1);
}

function parseSize(s: string): number {
  const [, n, unit] = /^([0-9]+)(B|KB|MB)$/.exec(s)!;
  return Number(n) * (unit === 'B' ? 1 : unit === 'KB' ? 1024 : 1024 * 1024);
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Egress hosts are compared as text by the allowlist but resolved by URL parsers and inet_aton, which
 * read `0x7f000001`, `2130706433`, `0177.0.0.1` or `0x7f.1` as 127.0.0.1 (and `0xa9fea9fe` as the cloud
 * metadata address). A reviewer reading the manifest sees none of that, so the only IP literals accepted
 * are dotted-quad decimal IPv4 and bracketed IPv6: a name whose last label is a number is an IP address
 * to those parsers, and must then be canonical. Trailing dots and non-ASCII names (which resolve to
 * their punycode form) are refused for the same reason: the entry must say exactly what is reached.
 */
function hostProblem(host: string): string | undefined {
  if (/[^\x00-\x7f]/.test(host)) return `has a non-ASCII host '${host}': write internationalised names in punycode, like xn--bcher-kva.example`;
  if (host.endsWith('.')) return `has a host ending in a dot ('${host}'): write it without the trailing dot`;
  const last = host.slice(host.lastIndexOf('.') + 1);
  if (/^(0x[0-9a-f]*|[0-9]+)$/.test(last)) {
    if (ipaddr.IPv4.isValidFourPartDecimal(host)) {
      // 0.0.0.0/8 is "this host": connecting to 0.0.0.0 reaches the gateway's own loopback services on Linux.
      if (ipaddr.IPv4.parse(host).range() === 'unspecified') return `names the unspecified address '${host}', which reaches this machine itself: name the real host`;
      return undefined;
    }
    return `writes an IP address in a non-canonical form ('${host}'): use dotted-quad decimal like 192.0.2.10, or brackets for IPv6`;
  }
  if (!HOSTNAME.test(host)) return `has an invalid host '${host}': use a DNS name like api.example.com or an IPv4 address`;
  return undefined;
}

/** host:port → EgressRule, or a message saying how to write it. IPv6 hosts come back without brackets. */
function parseEgress(entry: string): EgressRule | string {
  const fix = `egress entry '${entry}'`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry)) return `${fix} is a URL: write host:port, like api.example.com:443`;
  if (entry.includes('*')) return `${fix} uses a wildcard: list each host:port explicitly`;
  let host: string;
  let portText: string;
  const v6 = /^\[([^\]]+)\]:([0-9]+)$/.exec(entry);
  if (v6) {
    if (v6[1]!.includes('%')) return `${fix} has an IPv6 zone id: write the address without %<zone>`;
    if (!ipaddr.IPv6.isValid(v6[1]!)) return `${fix} has an invalid IPv6 address`;
    const address = ipaddr.IPv6.parse(v6[1]!);
    if (address.isIPv4MappedAddress()) {
      return `${fix} is an IPv4 address written as IPv6: write it as ${address.toIPv4Address().toString()}:${v6[2]}`;
    }
    if (address.range() === 'unspecified') return `${fix} names the unspecified address '::', which reaches this machine itself: name the real host`;
    host = address.toString();
    portText = v6[2]!;
  } else {
    const parts = entry.split(':');
    if (parts.length > 2) return `${fix}: write IPv6 addresses in brackets, like [2001:db8::1]:443`;
    if (parts.length < 2 || parts[1] === '') return `${fix} needs a port, like ${parts[0]}:443`;
    host = parts[0]!.toLowerCase();
    portText = parts[1]!;
    const problem = hostProblem(host);
    if (problem) return `${fix} ${problem}`;
  }
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) return `${fix} has an invalid port '${portText}': use 1-65535`;
  return { host, port };
}
