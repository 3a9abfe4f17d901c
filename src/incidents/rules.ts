// The alert rule language (docs/incidents.md): YAML, validated with a JSON Schema and then for what a
// schema cannot say (unique ids, known event types, no rule over the incidents' own events). Every
// problem is reported as file:line:col, the way manifests are (src/manifest/parse.ts), and stops the
// gateway's start with BWK_E_INCIDENT_RULES_INVALID.
//
// The shipped rules (default-rules.yaml, beside this file) are always loaded first; incidents.rulesFile
// may replace a shipped rule (same id), add rules, and switch shipped rules off (`disable: [id, …]`).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import type { SecurityEventType } from '../bus/bus.ts';
import { BulwarkError } from '../errors.ts';
import { locate, pathOf } from '../manifest/yaml-positions.ts';
import { parseRate, RATE_PATTERN, type Rate } from '../limits/rate.ts';
import type { IncidentSeverity } from '../store/store.ts';

export const DEFAULT_RULES_FILE = fileURLToPath(new URL('./default-rules.yaml', import.meta.url));

/**
 * Event types a rule may match. Not derived from the SecurityEventType union (types are erased at run
 * time): a type added to src/bus/bus.ts becomes matchable once it is listed here. The incidents' own
 * events (incident.*, playbook.action) are deliberately absent, so no rule can feed on them.
 */
export const MATCHABLE_EVENTS: readonly SecurityEventType[] = [
  'deploy.succeeded', 'deploy.rejected', 'function.rolled-back', 'function.removed', 'key.created', 'key.revoked',
  'auth.failed', 'authz.denied', 'sandbox.permission-denied', 'sandbox.timeout', 'sandbox.memory-exceeded',
  'sandbox.crashed', 'sandbox.protocol-violation', 'egress.denied', 'guard.rejected', 'route.unknown',
  'injection.detected', 'ip.blocked', 'ip.unblocked', 'queue.dead-lettered', 'budget.alert', 'budget.tier-changed',
  'dlp.leak', 'deploy.signature-checked', 'rollback.signature-checked', 'sandbox.bundle-tampered', 'secret.changed',
  'vault.master-rotated', 'vault.master-rotation-prepared', 'capability.used', 'capability.denied',
  'publisher.added', 'publisher.revoked', 'function.disabled', 'function.enabled', 'function.offboarded',
  'scan.completed', 'scan.waived', 'config.loaded',
];

export type ActionType = 'block-address' | 'throttle-caller' | 'disable-function' | 'revoke-key' | 'rotate-secrets' | 'notify-webhook';

export type RuleAction =
  | { type: 'block-address'; ttlMs: number }
  | { type: 'throttle-caller'; rate: Rate; burst: number; ttlMs: number }
  | { type: 'disable-function' }
  | { type: 'revoke-key' }
  | { type: 'rotate-secrets' }
  | { type: 'notify-webhook' };

export interface EventMatch {
  type: SecurityEventType;
  /** Detail fields that must equal one of the listed values (compared as strings). */
  detail: Record<string, string[]>;
}

export interface Rule {
  id: string;
  description: string;
  severity: IncidentSeverity;
  match: EventMatch[];
  /** sourceIp, actor, function, or detail.<field>: the incident's key. */
  groupBy: string;
  threshold: number;
  windowMs: number;
  /** When set: the rule matches the first time each combination of these detail fields is seen per key. */
  firstSeen: string[] | undefined;
  actions: RuleAction[];
  /** Where it was written, for messages. */
  source: string;
}

const DURATION = '^[1-9][0-9]{0,6}(s|m|h|d)$';
const DURATION_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** Thirty days: a window or TTL longer than that is a typo rather than a policy. */
const MAX_DURATION_MS = 30 * 86_400_000;
const ID = '^[a-z][a-z0-9-]{0,62}$';
const FIELD = '^[A-Za-z][A-Za-z0-9_]{0,63}$';
const detailValue = { oneOf: [{ type: ['string', 'number', 'boolean'] }, { type: 'array', minItems: 1, maxItems: 50, items: { type: ['string', 'number', 'boolean'] } }] };

const actionSchema = {
  type: 'object',
  required: ['type'],
  properties: { type: { enum: ['block-address', 'throttle-caller', 'disable-function', 'revoke-key', 'rotate-secrets', 'notify-webhook'] } },
  allOf: [
    { if: { properties: { type: { const: 'block-address' } } }, then: { additionalProperties: false, properties: { type: true, ttl: { type: 'string', pattern: DURATION } } } },
    {
      if: { properties: { type: { const: 'throttle-caller' } } },
      then: {
        additionalProperties: false, required: ['rate'],
        properties: { type: true, rate: { type: 'string', pattern: RATE_PATTERN }, burst: { type: 'integer', minimum: 1, maximum: 100_000 }, ttl: { type: 'string', pattern: DURATION } },
      },
    },
    {
      if: { properties: { type: { enum: ['disable-function', 'revoke-key', 'rotate-secrets', 'notify-webhook'] } } },
      then: { additionalProperties: false, properties: { type: true } },
    },
  ],
} as const;

const rulesSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    rules: {
      type: 'array', maxItems: 200,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'severity', 'match', 'actions'],
        properties: {
          id: { type: 'string', pattern: ID },
          description: { type: 'string', maxLength: 500 },
          severity: { enum: ['low', 'medium', 'high', 'critical'] },
          match: {
            type: 'array', minItems: 1, maxItems: 20,
            items: {
              type: 'object', additionalProperties: false, required: ['type'],
              properties: {
                type: { type: 'string' },
                detail: { type: 'object', maxProperties: 10, propertyNames: { pattern: FIELD }, additionalProperties: detailValue },
              },
            },
          },
          groupBy: { type: 'string', pattern: `^(sourceIp|actor|function|detail\\.[A-Za-z][A-Za-z0-9_]{0,63})$` },
          threshold: { type: 'integer', minimum: 1, maximum: 1_000_000 },
          window: { type: 'string', pattern: DURATION },
          firstSeen: { type: 'array', minItems: 1, maxItems: 5, items: { type: 'string', pattern: FIELD } },
          actions: { type: 'array', maxItems: 10, items: actionSchema },
        },
      },
    },
    disable: { type: 'array', maxItems: 200, items: { type: 'string', pattern: ID } },
  },
} as const;

const validateShape = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, logger: false }).compile(rulesSchema);

type Path = Array<string | number>;

interface Problem {
  file: string;
  line: number;
  col: number;
  message: string;
}

interface AuthorRule {
  id: string;
  description?: string;
  severity: IncidentSeverity;
  match: Array<{ type: string; detail?: Record<string, unknown> }>;
  groupBy?: string;
  threshold?: number;
  window?: string;
  firstSeen?: string[];
  actions: Array<{ type: ActionType; ttl?: string; rate?: string; burst?: number }>;
}

export interface RulesFile {
  rules: Rule[];
  /** Ids of shipped rules this file switches off. */
  disable: string[];
}

function durationMs(text: string): number {
  const m = new RegExp(DURATION).exec(text)!;
  return Number(text.slice(0, -m[1]!.length)) * DURATION_MS[m[1] as keyof typeof DURATION_MS];
}

function shapeMessage(e: ErrorObject): string | undefined {
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown key '${(e.params as { additionalProperty: string }).additionalProperty}'`;
    case 'required':
      return `missing '${(e.params as { missingProperty: string }).missingProperty}'`;
    case 'enum':
      return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    case 'pattern': {
      const p = (e.params as { pattern: string }).pattern;
      if (p === DURATION) return 'must be a duration like 30s, 10m, 1h or 7d';
      if (p === RATE_PATTERN) return 'must be a rate like 10/s, 600/min or 5000/h';
      if (p === ID) return 'must be lowercase letters, digits and dashes, starting with a letter';
      return `must match ${p}`;
    }
    // The if/then branches and oneOf report their own failures underneath, or say nothing useful.
    case 'if':
    case 'oneOf':
      return undefined;
    default:
      return e.message ?? e.keyword;
  }
}

function fail(problems: Problem[]): never {
  problems.sort((a, b) => a.line - b.line || a.col - b.col);
  const unique = [...new Set(problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`))];
  throw new BulwarkError('BWK_E_INCIDENT_RULES_INVALID', [`${unique.length === 1 ? '1 problem' : `${unique.length} problems`}\n${unique.join('\n')}`], { problems });
}

/** Duplicate rule ids and unknown event types, on whatever part of `raw` has the right shape. */
function namingProblems(raw: unknown, problemAt: (path: Path, message: string) => Problem): Problem[] {
  const problems: Problem[] = [];
  const rules = (raw as { rules?: unknown })?.rules;
  if (!Array.isArray(rules)) return problems;
  const seen = new Set<string>();
  rules.forEach((r: { id?: unknown; match?: unknown } | null, i) => {
    if (typeof r?.id === 'string') {
      if (seen.has(r.id)) problems.push(problemAt(['rules', i, 'id'], `rules[${i}].id: '${r.id}' is already used by an earlier rule`));
      seen.add(r.id);
    }
    if (!Array.isArray(r?.match)) return;
    r.match.forEach((m: { type?: unknown } | null, j: number) => {
      if (typeof m?.type !== 'string' || (MATCHABLE_EVENTS as readonly string[]).includes(m.type)) return;
      const own = /^(incident\.|playbook\.)/.test(m.type);
      problems.push(problemAt(['rules', i, 'match', j, 'type'], own
        ? `rules[${i}].match[${j}].type: '${m.type}' is published by incidents themselves; a rule over it would feed on its own actions`
        : `rules[${i}].match[${j}].type: unknown security event type '${m.type}' (see src/bus/bus.ts)`));
    });
  });
  return problems;
}

/** Parses and validates one rules file's text; `file` names it in messages. */
export function parseRules(source: string, file: string): RulesFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const at = (offset: number, message: string): Problem => ({ file, ...lineCounter.linePos(offset), message });
  const first = doc.errors[0] ?? doc.warnings[0];
  if (first) fail([at(first.pos[0], first.message.split('\n')[0]!)]);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 20 }) ?? {};
  } catch (err) {
    fail([at(0, `YAML aliases expand too much (${(err as Error).message})`)]);
  }
  const problemAt = (path: Path, message: string) => at(locate(doc, path), message);
  // Ids and event types are checked even when the shape is wrong elsewhere, so one run names every problem.
  const problems = namingProblems(raw, problemAt);
  if (!validateShape(raw)) {
    for (const e of validateShape.errors ?? []) {
      const message = shapeMessage(e);
      if (message === undefined) continue;
      const path: Path = pathOf(e.instancePath);
      const name = path.length ? path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('').replace(/^\./, '') : '(top level)';
      problems.push(problemAt(path, `${name}: ${message}`));
    }
    fail(problems);
  }
  const author = raw as { rules?: AuthorRule[]; disable?: string[] };
  const rules: Rule[] = [];
  (author.rules ?? []).forEach((r, i) => {
    if (r.window !== undefined && durationMs(r.window) > MAX_DURATION_MS) problems.push(problemAt(['rules', i, 'window'], `rules[${i}].window: at most 30d`));
    if (r.firstSeen && r.threshold !== undefined && r.threshold !== 1) {
      problems.push(problemAt(['rules', i, 'threshold'], `rules[${i}].threshold: a firstSeen rule matches on the first sighting; leave threshold out`));
    }
    const actions: RuleAction[] = [];
    r.actions.forEach((a, j) => {
      const ttlMs = a.ttl === undefined ? undefined : durationMs(a.ttl);
      if (ttlMs !== undefined && ttlMs > MAX_DURATION_MS) problems.push(problemAt(['rules', i, 'actions', j, 'ttl'], `rules[${i}].actions[${j}].ttl: at most 30d`));
      switch (a.type) {
        case 'block-address':
          actions.push({ type: a.type, ttlMs: ttlMs ?? DURATION_MS.h });
          break;
        case 'throttle-caller': {
          const rate = parseRate(a.rate!)!;
          actions.push({ type: a.type, rate, burst: a.burst ?? rate.count, ttlMs: ttlMs ?? DURATION_MS.h });
          break;
        }
        default:
          actions.push({ type: a.type });
      }
    });
    rules.push({
      id: r.id,
      description: r.description ?? '',
      severity: r.severity,
      match: r.match.map((m) => ({
        type: m.type as SecurityEventType,
        detail: Object.fromEntries(Object.entries(m.detail ?? {}).map(([k, v]) => [k, (Array.isArray(v) ? v : [v]).map(String)])),
      })),
      groupBy: r.groupBy ?? 'sourceIp',
      threshold: r.threshold ?? 1,
      windowMs: r.window === undefined ? DURATION_MS.m : durationMs(r.window),
      firstSeen: r.firstSeen,
      actions,
      source: `${file}:${lineCounter.linePos(locate(doc, ['rules', i])).line}`,
    });
  });
  if (problems.length > 0) fail(problems);
  return { rules, disable: author.disable ?? [] };
}

/**
 * The rules in force: the shipped ones, minus those `rulesFile` disables, with its rules replacing
 * shipped ones of the same id and the others added. Reads the files once, at start.
 */
export function loadRules(rulesFile: string | null, defaultsFile: string = DEFAULT_RULES_FILE): Rule[] {
  const read = (file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new BulwarkError('BWK_E_INCIDENT_RULES_INVALID', [`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
    }
  };
  const shipped = parseRules(read(defaultsFile), defaultsFile);
  if (rulesFile === null) return shipped.rules;
  const own = parseRules(read(rulesFile), rulesFile);
  const unknown = own.disable.filter((id) => !shipped.rules.some((r) => r.id === id));
  if (unknown.length > 0) {
    throw new BulwarkError('BWK_E_INCIDENT_RULES_INVALID', [`${rulesFile}: disable names no shipped rule: ${unknown.join(', ')}`]);
  }
  const replaced = new Set(own.rules.map((r) => r.id));
  return [...shipped.rules.filter((r) => !own.disable.includes(r.id) && !replaced.has(r.id)), ...own.rules];
}
