// The normalised manifest every other module works with. parseManifest (src/manifest/parse.ts) turns a
// bulwark.yaml into this shape after JSON Schema validation: durations are milliseconds, sizes are
// bytes, defaults are filled in, and the input schema files are inlined.

import type { Rate } from '../limits/rate.ts';

export type HttpAuth = 'api-key' | 'jwt' | 'public';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS' | 'ANY';
/** AWS API Gateway payload format the handler receives: 2.0 (HTTP API) or 1.0 (REST API). */
export type PayloadFormat = '2.0' | '1.0';

export interface HttpTrigger {
  method: HttpMethod;
  /** Path under /fn/<name>, e.g. "/" or "/items/{id}". */
  path: string;
  /** Absent: an API key or a JWT is accepted. 'public' must be said explicitly. */
  auth?: HttpAuth;
}

/** A queue trigger: the function consumes every message published on `subject` (src/bus/subject.ts). */
export interface QueueTrigger {
  subject: string;
}

/** A schedule trigger: the function runs at each time `cron` names (UTC), with `payload` as its input. */
export interface ScheduleTrigger {
  /** Five fields (minute precision) or six (a leading seconds field), validated at deploy. */
  cron: string;
  /** The JSON value handed to the handler (the event's `detail`); {} when the manifest gives none. */
  payload: Record<string, unknown>;
}

/**
 * Kinds of trigger, which are also the sources an event reaches the guard chain from. 'invoke' (a call
 * from another function, context.invoke) is never declared in a manifest: every function can be called,
 * and the caller's manifest says whom it may call (permissions.invoke).
 */
export type TriggerKind = 'http' | 'queue' | 'schedule' | 'invoke';

/** A manifest trigger tagged with its kind: what the guard chain is told an event came through. */
export type Trigger =
  | (HttpTrigger & { kind: 'http' })
  | (QueueTrigger & { kind: 'queue' })
  | (ScheduleTrigger & { kind: 'schedule' })
  | { kind: 'invoke' };

/** The parts of an HTTP request an input schema can constrain. */
export type InputPart = 'params' | 'query' | 'headers' | 'body';

/** Inlined JSON Schemas by part; queue and schedule payloads are checked against `body`. */
export type InputSchemas = Partial<Record<InputPart, Record<string, unknown>>>;

export interface EgressRule {
  host: string;
  port: number;
}

/** What a permissions.kv grant allows on a namespace: get and list, or also put and delete. */
export type KvAccess = 'read' | 'read-write';

export interface Manifest {
  name: string;
  /** Path to the handler module relative to the manifest, and the export name ("src/index.ts#handler"). */
  handler: { file: string; export: string };
  owner: string;
  /** ISO date (YYYY-MM-DD) after which the function is disabled, or 'never' (with expiresReason). */
  expires: string;
  /** Why the function never expires; present exactly when expires is 'never'. */
  expiresReason?: string;
  runtime: { payloadFormat: PayloadFormat; allowCodeGeneration: boolean };
  triggers: { http: HttpTrigger[]; queue: QueueTrigger[]; schedule: ScheduleTrigger[] };
  /** Inlined JSON Schemas the request (or queue/schedule payload) must match, if any. */
  input?: InputSchemas;
  limits: {
    timeoutMs: number;
    memoryMb: number;
    concurrency: number;
    /** Requests allowed to wait for a free worker before 429. */
    queue: number;
    bodyBytes: number;
    /** Requests per period for the whole function, all callers together (guard caller-rate-limit); absent: the config's rateLimit.perFunction. */
    rate?: Rate;
  };
  permissions: {
    egress: EgressRule[];
    /** Vault secrets the function may read with context.secrets.get (src/runtime/capabilities/secrets.ts); absent: none. */
    secrets?: string[];
    /** kv namespaces the function may use through context.kv (src/runtime/capabilities/kv.ts), by access; absent: none. */
    kv?: Record<string, KvAccess>;
    /** Functions this one may call with context.invoke (src/runtime/capabilities/invoke.ts); absent: none. */
    invoke?: string[];
  };
  /** Denial-of-wallet cap (src/metering/, src/guards/budget/); absent: metered, never capped per function. */
  budget?: Budget;
  /** Absent when the manifest has no `injection` key: block mode, nothing exempt, nothing base64. */
  injection?: InjectionPolicy;
}

/** 'month' is the UTC calendar month; a number is a fixed length in ms aligned to the Unix epoch. */
export type BudgetPeriod = 'month' | number;

/** A spending cap per period, in the configured currency (config `pricing.currency`). */
export interface Budget {
  limit: number;
  period: BudgetPeriod;
  /** What one caller may spend per period, within `limit`. */
  perCaller?: number;
  /** Fraction of `limit` (0.01–0.99) where the throttle tier begins. */
  throttleAt: number;
  /** Fraction (0–1) of the budget left at `throttleAt` that only callers in good standing may spend. */
  reserve: number;
}

/** A request field named in the manifest (`body.user.bio`, `query.q`, `headers.x-signature`). */
export interface FieldPath {
  source: 'body' | 'query' | 'params' | 'headers';
  /** Object keys from the source down; '*' stands for any one key, arrays are passed through. */
  path: string[];
}

/** How the injection guard treats this function's input (src/guards/injection/). */
export interface InjectionPolicy {
  /** block refuses a request with a finding; monitor lets it through and records the finding. */
  mode: 'block' | 'monitor';
  /** Fields (and everything inside them) whose content is not inspected; key checks still apply. */
  exempt: FieldPath[];
  /** Fields whose string values are also inspected base64-decoded. */
  base64: FieldPath[];
}

export type FunctionName = string;
