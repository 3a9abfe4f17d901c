// Gateway configuration: one validated object with explicit defaults, read once at start-up and passed
// down. Source: $BULWARK_HOME/config.yaml (optional) — the environment only says where home is and
// which port to use, never secrets. Invalid config fails at boot with BWK_E_CONFIG_INVALID naming the key.

import { readFileSync, existsSync, accessSync, statSync, constants } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { Ajv } from 'ajv';
import { BulwarkError } from './errors.ts';
import { BUDGET_SCHEMA, PERIOD_PATTERN, normaliseBudget, parsePeriod, type AuthorBudget } from './metering/budget.ts';
import type { Budget, BudgetPeriod } from './manifest/types.ts';
import { addressEntryProblem } from './net/address-set.ts';
import { RATE_PATTERN } from './limits/rate.ts';

export type IsolationMode = 'strict' | 'auto' | 'permission-only';

/**
 * Code signing of deploys (src/signing/, docs/signing.md). off: signatures are not checked; warn (the
 * default, so a fresh install works before any publisher key exists): every deploy is checked, a bad
 * or missing signature is logged and recorded but accepted; enforce: it is refused.
 */
export type SigningMode = 'off' | 'warn' | 'enforce';

export interface JwtConfig {
  issuer: string;
  audience: string;
  algorithms: Array<'HS256' | 'RS256' | 'ES256'>;
  /** Exactly one key source. Paths are relative to BULWARK_HOME. */
  jwksFile?: string;
  jwksUrl?: string;
  hs256SecretFile?: string;
  /** Claim listing the roles of the subject (default "roles"). */
  rolesClaim: string;
  /** Claim listing the functions the subject may act on (default "functions"). */
  functionsClaim: string;
  clockToleranceSec: number;
}

/** A token bucket: refills at `rate` ("600/min", see src/limits/rate.ts) and holds at most `burst` requests. */
export interface RateLimitRule {
  rate: string;
  burst: number;
}

export interface RateLimitConfig {
  /** Per client address, before authentication (guard rate-limit). null: off. */
  perAddress: RateLimitRule | null;
  /** Per authenticated caller: API key or JWT subject (guard caller-rate-limit). null: off. */
  perCaller: RateLimitRule | null;
  /** Per function, for functions whose manifest sets no limits.rate (guard caller-rate-limit). null: none. */
  perFunction: RateLimitRule | null;
  /** Buckets remembered per kind; beyond it the least recently used is forgotten (bounded memory). */
  maxTracked: number;
}

export interface IpBlockConfig {
  /** IPs or CIDRs that are never blocked, automatically or by hand. Empty by default. */
  allowlist: string[];
  /** Score at which an address is blocked. */
  threshold: number;
  /** A score halves every scoreHalfLifeMs without new signals. */
  scoreHalfLifeMs: number;
  /** Length of a first automatic block; it doubles with each repeat offence… */
  blockTtlMs: number;
  /** …up to this. */
  maxBlockTtlMs: number;
  /** Automatic blocks within this window before a new one count as repeat offences. */
  repeatWindowMs: number;
  /** Score added per signal (src/abuse/scorer.ts). */
  weights: {
    /** guard.rejected, by the refusing guard's id; a guard not listed adds nothing. */
    guards: Record<string, number>;
    /** auth.failed: a missing, wrong or expired credential (credential guessing). */
    authFailed: number;
    /** route.unknown: a request for a route that does not exist (scanning). */
    routeUnknown: number;
  };
  /** Addresses whose score is remembered; beyond it the least recently seen is forgotten. */
  maxTracked: number;
}

export interface Config {
  home: string;
  listen: { host: string; port: number };
  isolation: IsolationMode;
  signing: SigningMode;
  store: { kind: 'sqlite' };
  bus: { kind: 'in-process' };
  gateway: {
    /** Largest request body accepted on any function route, before the manifest's own limit. */
    maxBodyBytes: number;
    /** Largest admin API body (a deploy carries a bundle). */
    maxAdminBodyBytes: number;
    /** Time allowed to receive a whole request, body included (slow POST). */
    requestTimeoutMs: number;
    /** Time allowed to receive the request line and headers (slowloris); capped at requestTimeoutMs. */
    headersTimeoutMs: number;
    /** How long an idle keep-alive connection stays open between requests. */
    keepAliveTimeoutMs: number;
    /** Largest request line plus headers, in bytes; more is refused with 431. */
    maxHeaderBytes: number;
    /** Most header fields in one request; more is refused with 431. */
    maxHeaderCount: number;
    /**
     * Proxies (IPs or CIDRs) whose X-Forwarded-For is believed, read from the right: see
     * src/gateway/client-address.ts. Empty (the default): the TCP peer is the client.
     */
    trustedProxies: string[];
  };
  rateLimit: RateLimitConfig;
  ipBlock: IpBlockConfig;
  sandbox: {
    /** Warm workers kept per active function version. */
    warmWorkers: number;
    /**
     * Workers on this host, all functions together, beyond which pools stop growing (a pool's first
     * worker is always started, so every function can run). Each worker is a process of ~50 MB plus
     * its function's memory: without a ceiling, a few functions with high `limits.concurrency` under
     * load would grow until the host runs out of memory.
     */
    maxWorkers: number;
    /** Largest response body a function may return. */
    maxResponseBytes: number;
    /**
     * Where per-worker scratch roots live. Default: a directory on /dev/shm when it is a writable
     * tmpfs (scratch never reaches a disk, and a fresh tmpdir per invocation costs ~13 µs there
     * against ~250 µs on this project's ext4 CI disks), else $home/scratch.
     */
    scratchDir: string;
  };
  egress: { timeoutMs: number; maxResponseBytes: number };
  /** Queue and schedule triggers (src/triggers/, docs/manifest.md). */
  triggers: {
    /** Largest payload `POST /admin/v1/publish` accepts, as JSON text. */
    maxMessageBytes: number;
    /** Deliveries of one message (or scheduled run) before it is dead-lettered, the first included. */
    maxAttempts: number;
    /** Wait before the first retry; it doubles for each further one. */
    retryDelayMs: number;
  };
  /** Function lifecycle (src/lifecycle/, docs/inventory.md): the expiry sweep and the inventory's flags. */
  lifecycle: {
    /** How often the gateway offboards functions past their expiry date (it also sweeps once at start). */
    sweepIntervalMs: number;
    /** A function not invoked for this many days is flagged stale by `bulwark inventory`. */
    staleAfterDays: number;
    /** Whether the expiry sweep purges the kv namespaces only the expired function granted (default: keep). */
    purgeKvOnOffboard: boolean;
    /** How often last invocations are written to the store (src/lifecycle/last-seen.ts). */
    lastSeenFlushMs: number;
  };
  /** Function-to-function calls (context.invoke, docs/invoke.md). */
  invoke: {
    /** Calls deep a chain may go (A→B is 1, A→B→C 2): a call beyond is refused, so a loop stops. */
    maxHops: number;
    /** How long a signed call token is valid: a call is delivered at once, so seconds are plenty. */
    tokenTtlSeconds: number;
  };
  auth: { jwt?: JwtConfig };
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
  pricing: PricingConfig;
  budgets: BudgetsConfig;
  /** Leak prevention (docs/dlp.md). Function and gateway logs are always redacted; only responses have a mode. */
  dlp: {
    /** What happens to a function response carrying a credential: refused (502), redacted, or not scanned. */
    responses: 'block' | 'redact' | 'off';
  };
  /** Alert rules and incident playbooks (src/incidents/, docs/incidents.md). */
  incidents: {
    /** Off: no rule is evaluated; incidents on record stay readable. */
    enabled: boolean;
    /** Rules replacing, adding to or disabling the shipped ones; relative to BULWARK_HOME. null: the shipped rules only. */
    rulesFile: string | null;
    /** Keys (addresses, callers, functions) tracked per rule; the least recently seen are forgotten beyond. */
    maxTracked: number;
    /** Where notify-webhook actions send; null: they are skipped. The secret is a file or vault reference, never inline. */
    webhook: IncidentWebhookConfig | null;
  };
  /** The tamper-evident audit ledger of security events (src/audit/, docs/audit.md). */
  audit: {
    /** Off: no record is written (and no node key created); what is stored stays verifiable. */
    enabled: boolean;
    /** A signed checkpoint every this many records… */
    checkpointEvery: number;
    /** …or this often when records came since the last one. */
    checkpointIntervalMs: number;
    /** Records of one group commit at most. */
    maxBatch: number;
  };
  /** Prometheus metrics on GET /metrics (src/telemetry/metrics.ts, docs/metrics.md). */
  metrics: {
    enabled: boolean;
    /**
     * File holding the scrape token, relative to BULWARK_HOME. null (the default): $home/metrics-token,
     * generated on first start. A configured file must exist: it is never generated.
     */
    tokenFile: string | null;
  };
  /** The security scan before a deploy (src/scanner/gate/, docs/scanner.md). */
  scanner: {
    /** Findings at or above this severity refuse a deploy unless waived (bulwark.waivers.yaml). */
    failOn: 'info' | 'low' | 'medium' | 'high' | 'critical';
    /**
     * Refuse a deploy that carries no scan summary (a raw admin API call, an older CLI, `serve
     * --quickstart`). Off by default: the summary is the deployer's claim, so requiring it only stops
     * deploys that skip the gate by accident, and it makes the manifest re-scan binding on every deploy.
     */
    requireScan: boolean;
  };
  /** OpenTelemetry traces of the request path (src/telemetry/tracing.ts, docs/metrics.md). Off by default. */
  tracing: {
    enabled: boolean;
    /** OTLP/HTTP traces endpoint (JSON encoding), e.g. http://127.0.0.1:4318/v1/traces. */
    otlpEndpoint: string;
    serviceName: string;
    /** Share of new traces recorded, 0..1; also of sampled incoming traceparents (a caller cannot force sampling). */
    sampleRatio: number;
  };
}

/** incidents.webhook (src/incidents/webhook.ts). */
export interface IncidentWebhookConfig {
  url: string;
  /** File holding the HMAC signing secret, relative to BULWARK_HOME. Exactly one of secretFile / secretName. */
  secretFile?: string;
  /** Vault secret holding the HMAC signing secret. */
  secretName?: string;
  timeoutMs: number;
  maxAttempts: number;
  /** Wait before the first retry; doubled for each further one. */
  backoffMs: number;
}

/** The price model every invocation is metered with (src/metering/pricing.ts), like public FaaS pricing. */
export interface PricingConfig {
  /** A label only: amounts are never converted. */
  currency: string;
  perMillionRequests: number;
  /** Per GB-second of the manifest memory limit × billed duration. */
  perGbSecond: number;
  /** Billed duration is the measured one rounded up to a multiple of this. */
  granularityMs: number;
}

/** Denial-of-wallet budgets beyond the per-function ones in manifests (src/metering/ledger.ts). */
export interface BudgetsConfig {
  /** A cap on the spend of all functions together (and per caller across them). null: none. */
  global: Budget | null;
  /** The metering period of functions without a budget of their own (what `bulwark spend` shows). */
  defaultPeriod: BudgetPeriod;
  /** Settled spend and caller history are written to the store this often. */
  flushIntervalMs: number;
  /** Spend is claimed durably ahead of use in steps of this fraction of a limit (the crash over-count bound). */
  claimChunk: number;
  /** A caller's history is forgotten after this many days without a successful invocation. */
  historyDays: number;
  /**
   * Per-caller spend entries kept, and caller-history entries kept (each), in memory and in the store;
   * beyond it the least useful are evicted (src/metering/ledger.ts says which, and why that is safe).
   */
  maxTracked: number;
}

/** A token bucket, or null to switch that limit off. */
const rateLimitRuleSchema = {
  type: ['object', 'null'], additionalProperties: false, required: ['rate', 'burst'],
  properties: { rate: { type: 'string', pattern: RATE_PATTERN }, burst: { type: 'integer', minimum: 1 } },
} as const;

const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    listen: {
      type: 'object', additionalProperties: false,
      properties: { host: { type: 'string', minLength: 1 }, port: { type: 'integer', minimum: 0, maximum: 65535 } },
    },
    isolation: { enum: ['strict', 'auto', 'permission-only'] },
    signing: { enum: ['off', 'warn', 'enforce'] },
    store: { type: 'object', additionalProperties: false, properties: { kind: { const: 'sqlite' } } },
    bus: { type: 'object', additionalProperties: false, properties: { kind: { const: 'in-process' } } },
    gateway: {
      type: 'object', additionalProperties: false,
      properties: {
        maxBodyBytes: { type: 'integer', minimum: 1 },
        maxAdminBodyBytes: { type: 'integer', minimum: 1 },
        requestTimeoutMs: { type: 'integer', minimum: 1 },
        headersTimeoutMs: { type: 'integer', minimum: 1 },
        keepAliveTimeoutMs: { type: 'integer', minimum: 1 },
        maxHeaderBytes: { type: 'integer', minimum: 1024, maximum: 1048576 },
        maxHeaderCount: { type: 'integer', minimum: 8, maximum: 2000 },
        trustedProxies: { type: 'array', items: { type: 'string' } },
      },
    },
    rateLimit: {
      type: 'object', additionalProperties: false,
      properties: {
        perAddress: rateLimitRuleSchema,
        perCaller: rateLimitRuleSchema,
        perFunction: rateLimitRuleSchema,
        maxTracked: { type: 'integer', minimum: 1 },
      },
    },
    ipBlock: {
      type: 'object', additionalProperties: false,
      properties: {
        allowlist: { type: 'array', items: { type: 'string' } },
        threshold: { type: 'number', exclusiveMinimum: 0 },
        scoreHalfLifeMs: { type: 'integer', minimum: 1 },
        blockTtlMs: { type: 'integer', minimum: 1 },
        maxBlockTtlMs: { type: 'integer', minimum: 1 },
        repeatWindowMs: { type: 'integer', minimum: 0 },
        weights: {
          type: 'object', additionalProperties: false,
          properties: {
            guards: { type: 'object', additionalProperties: { type: 'number', minimum: 0 } },
            authFailed: { type: 'number', minimum: 0 },
            routeUnknown: { type: 'number', minimum: 0 },
          },
        },
        maxTracked: { type: 'integer', minimum: 1 },
      },
    },
    sandbox: {
      type: 'object', additionalProperties: false,
      properties: {
        warmWorkers: { type: 'integer', minimum: 0, maximum: 64 },
        maxWorkers: { type: 'integer', minimum: 1, maximum: 4096 },
        maxResponseBytes: { type: 'integer', minimum: 1 },
        scratchDir: { type: 'string', minLength: 1 },
      },
    },
    egress: {
      type: 'object', additionalProperties: false,
      properties: { timeoutMs: { type: 'integer', minimum: 1 }, maxResponseBytes: { type: 'integer', minimum: 1 } },
    },
    dlp: {
      type: 'object', additionalProperties: false,
      properties: { responses: { enum: ['block', 'redact', 'off'] } },
    },
    incidents: {
      type: 'object', additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        rulesFile: { type: ['string', 'null'], minLength: 1 },
        maxTracked: { type: 'integer', minimum: 100, maximum: 1_000_000 },
        webhook: {
          type: ['object', 'null'], additionalProperties: false,
          // No inline secret: the config file is not a secret store (it is readable by whoever runs the CLI).
          required: ['url'],
          properties: {
            url: { type: 'string', pattern: '^https?://[^\\s]+$' },
            secretFile: { type: 'string', minLength: 1 },
            secretName: { type: 'string', pattern: '^[A-Z][A-Z0-9_]{0,63}$' },
            timeoutMs: { type: 'integer', minimum: 100, maximum: 60_000 },
            maxAttempts: { type: 'integer', minimum: 1, maximum: 10 },
            backoffMs: { type: 'integer', minimum: 10, maximum: 60_000 },
          },
        },
      },
    },
    audit: {
      type: 'object', additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        checkpointEvery: { type: 'integer', minimum: 1, maximum: 10_000_000 },
        checkpointIntervalMs: { type: 'integer', minimum: 100, maximum: 86_400_000 },
        maxBatch: { type: 'integer', minimum: 1, maximum: 100_000 },
      },
    },
    metrics: {
      type: 'object', additionalProperties: false,
      properties: { enabled: { type: 'boolean' }, tokenFile: { type: ['string', 'null'], minLength: 1 } },
    },
    scanner: {
      type: 'object', additionalProperties: false,
      properties: { failOn: { enum: ['info', 'low', 'medium', 'high', 'critical'] }, requireScan: { type: 'boolean' } },
    },
    tracing: {
      type: 'object', additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        otlpEndpoint: { type: 'string', pattern: '^https?://[^\\s]+$' },
        serviceName: { type: 'string', minLength: 1, maxLength: 128 },
        sampleRatio: { type: 'number', minimum: 0, maximum: 1 },
      },
    },
    auth: {
      type: 'object', additionalProperties: false,
      properties: {
        jwt: {
          type: 'object', additionalProperties: false,
          required: ['issuer', 'audience', 'algorithms'],
          properties: {
            issuer: { type: 'string', minLength: 1 },
            audience: { type: 'string', minLength: 1 },
            algorithms: { type: 'array', minItems: 1, items: { enum: ['HS256', 'RS256', 'ES256'] } },
            jwksFile: { type: 'string' },
            jwksUrl: { type: 'string', pattern: '^https?://' },
            hs256SecretFile: { type: 'string' },
            rolesClaim: { type: 'string' },
            functionsClaim: { type: 'string' },
            clockToleranceSec: { type: 'integer', minimum: 0, maximum: 300 },
          },
          oneOf: [{ required: ['jwksFile'] }, { required: ['jwksUrl'] }, { required: ['hs256SecretFile'] }],
        },
      },
    },
    triggers: {
      type: 'object', additionalProperties: false,
      properties: {
        maxMessageBytes: { type: 'integer', minimum: 2, maximum: 6 * 1024 * 1024 },
        maxAttempts: { type: 'integer', minimum: 1, maximum: 10 },
        retryDelayMs: { type: 'integer', minimum: 1, maximum: 600_000 },
      },
    },
    lifecycle: {
      type: 'object', additionalProperties: false,
      properties: {
        // At least a second (a sweep reads every function), at most a day (expiry is by the day).
        sweepIntervalMs: { type: 'integer', minimum: 1000, maximum: 86_400_000 },
        staleAfterDays: { type: 'integer', minimum: 1, maximum: 3650 },
        purgeKvOnOffboard: { type: 'boolean' },
        lastSeenFlushMs: { type: 'integer', minimum: 100, maximum: 3_600_000 },
      },
    },
    invoke: {
      type: 'object', additionalProperties: false,
      properties: {
        maxHops: { type: 'integer', minimum: 1, maximum: 32 },
        tokenTtlSeconds: { type: 'integer', minimum: 1, maximum: 300 },
      },
    },
    logLevel: { enum: ['trace', 'debug', 'info', 'warn', 'error', 'silent'] },
    pricing: {
      type: 'object', additionalProperties: false,
      properties: {
        currency: { type: 'string', minLength: 1, maxLength: 12 },
        perMillionRequests: { type: 'number', minimum: 0, maximum: 1_000_000 },
        perGbSecond: { type: 'number', minimum: 0, maximum: 1000 },
        granularityMs: { type: 'integer', minimum: 1, maximum: 60_000 },
      },
    },
    budgets: {
      type: 'object', additionalProperties: false,
      properties: {
        // The object keywords do not apply to null, so a wrong field is reported by its own name.
        global: { ...BUDGET_SCHEMA, type: ['object', 'null'] },
        defaultPeriod: { type: 'string', pattern: PERIOD_PATTERN },
        flushIntervalMs: { type: 'integer', minimum: 10, maximum: 60_000 },
        claimChunk: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        historyDays: { type: 'integer', minimum: 1, maximum: 3660 },
        maxTracked: { type: 'integer', minimum: 100, maximum: 10_000_000 },
      },
    },
  },
} as const;

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? T[K] extends unknown[] ? T[K] : DeepPartial<T[K]> : T[K] };
export type ConfigOverrides = DeepPartial<Omit<Config, 'home'>>;

export function defaultConfig(home: string): Config {
  return {
    home,
    listen: { host: '127.0.0.1', port: 8787 },
    isolation: 'auto',
    signing: 'warn',
    store: { kind: 'sqlite' },
    bus: { kind: 'in-process' },
    gateway: {
      maxBodyBytes: 1024 * 1024, maxAdminBodyBytes: 32 * 1024 * 1024, requestTimeoutMs: 30_000, headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 5_000, maxHeaderBytes: 16 * 1024, maxHeaderCount: 100, trustedProxies: [],
    },
    rateLimit: {
      perAddress: { rate: '100/s', burst: 200 },
      perCaller: { rate: '200/s', burst: 400 },
      perFunction: null,
      maxTracked: 100_000,
    },
    ipBlock: {
      allowlist: [],
      // Weights are shares of the threshold: 5 injection attempts, 7 failed credentials or 13 rate-limit
      // overruns in quick succession block an address. No count lands exactly on 100, so decay between
      // requests never decides whether the last one blocks.
      threshold: 100,
      scoreHalfLifeMs: 10 * 60_000,
      blockTtlMs: 10 * 60_000,
      maxBlockTtlMs: 24 * 3_600_000,
      repeatWindowMs: 7 * 24 * 3_600_000,
      weights: {
        // Heavy: nobody sends an injection payload by accident. Light: schema failures are often a
        // client's bug. Medium: overrunning a rate limit. authn refusals count through auth.failed, and
        // refusals that say nothing about the caller (concurrency, budget, ip-block itself) count nothing.
        guards: { injection: 24, 'rate-limit': 8, 'caller-rate-limit': 8, authz: 8, schema: 3, 'body-limit': 3 },
        authFailed: 15,
        routeUnknown: 8,
      },
      // An address's score keeps its last 10 events as evidence, about 2.5 KB: at most ~50 MB in all.
      maxTracked: 20_000,
    },
    sandbox: { warmWorkers: 1, maxWorkers: 64, maxResponseBytes: 6 * 1024 * 1024, scratchDir: defaultScratchDir(home) },
    egress: { timeoutMs: 10_000, maxResponseBytes: 5 * 1024 * 1024 },
    triggers: { maxMessageBytes: 256 * 1024, maxAttempts: 3, retryDelayMs: 200 },
    invoke: { maxHops: 4, tokenTtlSeconds: 30 },
    // Hourly: expiry is by the UTC day, so a function runs at most an hour into the day after its date.
    lifecycle: { sweepIntervalMs: 3_600_000, staleAfterDays: 90, purgeKvOnOffboard: false, lastSeenFlushMs: 60_000 },
    auth: {},
    logLevel: 'info',
    pricing: { currency: 'USD', perMillionRequests: 0.2, perGbSecond: 0.0000166667, granularityMs: 1 },
    // About 0.35 KB per entry (measured), two kinds of entries: at most ~35 MB in all.
    budgets: { global: null, defaultPeriod: 'month', flushIntervalMs: 1000, claimChunk: 0.05, historyDays: 90, maxTracked: 50_000 },
    // Blocking by default: the shapes are prefixed formats (docs/dlp.md), so a refusal is a real leak.
    dlp: { responses: 'block' },
    incidents: { enabled: true, rulesFile: null, maxTracked: 10_000, webhook: null },
    // A checkpoint signature costs ~50 µs: every 1000 records or every minute keeps it negligible while
    // bounding what an undetected truncation of the tail can remove.
    audit: { enabled: true, checkpointEvery: 1000, checkpointIntervalMs: 60_000, maxBatch: 1000 },
    // Metrics cost a few map lookups per request and are behind their own token: on. Tracing sends data
    // to a collector that must be set up first: off.
    metrics: { enabled: true, tokenFile: null },
    tracing: { enabled: false, otlpEndpoint: 'http://127.0.0.1:4318/v1/traces', serviceName: 'bulwark', sampleRatio: 1 },
    // High, not critical: command injection, SSRF and public buckets are high, and each is a breach.
    scanner: { failOn: 'high', requireScan: false },
  };
}

/** One scratch directory per home, so two gateways on one machine never empty each other's. */
function defaultScratchDir(home: string): string {
  const shm = '/dev/shm';
  try {
    accessSync(shm, constants.W_OK);
    if (statSync(shm).isDirectory()) {
      return join(shm, `bulwark-${process.getuid?.() ?? 0}-${createHash('sha256').update(resolve(home)).digest('hex').slice(0, 12)}`);
    }
  } catch {
    // no writable /dev/shm: fall back to the home's own directory
  }
  return join(home, 'scratch');
}

/** Where Bulwark keeps its data: $BULWARK_HOME, default ./.bulwark. */
export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.BULWARK_HOME || '.bulwark');
}

/**
 * Loads $home/config.yaml over the defaults, then applies `overrides` (from CLI flags).
 * BULWARK_PORT / BULWARK_HOST are the only environment knobs besides BULWARK_HOME.
 */
export function loadConfig(home: string, overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const file = join(home, 'config.yaml');
  let fromFile: Record<string, unknown> = {};
  if (existsSync(file)) {
    const doc = parseDocument(readFileSync(file, 'utf8'));
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const pos = e.linePos?.[0];
      throw new BulwarkError('BWK_E_CONFIG_INVALID', [`${file}:${pos?.line ?? 1}:${pos?.col ?? 1}: ${e.message}`]);
    }
    const value = doc.toJS() ?? {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new BulwarkError('BWK_E_CONFIG_INVALID', [`${file}: top level must be a mapping`]);
    }
    fromFile = value as Record<string, unknown>;
  }
  const ajv = new Ajv({ allErrors: false });
  if (!ajv.validate(configSchema, fromFile)) {
    const e = ajv.errors![0]!;
    const where = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(top level)';
    const extra = e.keyword === 'additionalProperties' ? ` (unknown key "${(e.params as { additionalProperty: string }).additionalProperty}")` : '';
    throw new BulwarkError('BWK_E_CONFIG_INVALID', [`${file}: ${where} ${e.message}${extra}`]);
  }
  fromFile = withNormalisedBudgets(fromFile, file);
  const base = defaultConfig(home);
  const merged = deepMerge(deepMerge(base, fromFile), overrides as Record<string, unknown>) as Config;
  if (env.BULWARK_PORT !== undefined) {
    const port = Number(env.BULWARK_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new BulwarkError('BWK_E_CONFIG_INVALID', [`BULWARK_PORT must be an integer 0-65535, got "${env.BULWARK_PORT}"`]);
    }
    merged.listen.port = port;
  }
  if (env.BULWARK_HOST) merged.listen.host = env.BULWARK_HOST;
  checkAddressLists(merged, file);
  if (merged.ipBlock.maxBlockTtlMs < merged.ipBlock.blockTtlMs) {
    throw new BulwarkError('BWK_E_CONFIG_INVALID', [`${file}: ipBlock.maxBlockTtlMs must be at least ipBlock.blockTtlMs (${merged.ipBlock.blockTtlMs})`]);
  }
  if (merged.auth.jwt) {
    const jwtDefaults = { rolesClaim: 'roles', functionsClaim: 'functions', clockToleranceSec: 5 };
    merged.auth.jwt = Object.assign(jwtDefaults, merged.auth.jwt);
  }
  merged.incidents = normaliseIncidents(merged.incidents, home, file);
  return merged;
}

/** Paths resolved against the home, webhook defaults filled in, exactly one secret reference. */
function normaliseIncidents(incidents: Config['incidents'], home: string, file: string): Config['incidents'] {
  const out = { ...incidents, rulesFile: incidents.rulesFile === null ? null : resolve(home, incidents.rulesFile) };
  const hook = incidents.webhook;
  if (!hook) return out;
  if ((hook.secretFile === undefined) === (hook.secretName === undefined)) {
    throw new BulwarkError('BWK_E_CONFIG_INVALID', [`${file}: incidents.webhook needs exactly one of secretFile (a file holding the signing secret) or secretName (a vault secret)`]);
  }
  try {
    new URL(hook.url);
  } catch {
    throw new BulwarkError('BWK_E_CONFIG_INVALID', [`${file}: incidents.webhook.url is not a URL`]);
  }
  const defaults = { timeoutMs: 5000, maxAttempts: 4, backoffMs: 500 };
  out.webhook = Object.assign(defaults, hook, hook.secretFile !== undefined ? { secretFile: resolve(home, hook.secretFile) } : {});
  return out;
}

function deepMerge(base: object, over: Record<string, unknown>): object {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
      ? deepMerge(b, v as Record<string, unknown>)
      : v;
  }
  return out;
}

/** IP and CIDR lists are checked after merging, so entries from flags are held to the same rule as the file's. */
function checkAddressLists(config: Config, file: string): void {
  const lists: Array<[key: string, entries: string[]]> = [
    ['gateway.trustedProxies', config.gateway.trustedProxies],
    ['ipBlock.allowlist', config.ipBlock.allowlist],
  ];
  for (const [key, entries] of lists) {
    entries.forEach((entry, i) => {
      const problem = addressEntryProblem(entry);
      if (problem) throw new BulwarkError('BWK_E_CONFIG_INVALID', [`${file}: ${key}[${i}] ${problem}`]);
    });
  }
}

/** budgets.global and budgets.defaultPeriod as written (periods, percentages) → their Config form. */
function withNormalisedBudgets(fromFile: Record<string, unknown>, file: string): Record<string, unknown> {
  const budgets = fromFile.budgets as { global?: AuthorBudget | null; defaultPeriod?: string } | undefined;
  if (!budgets) return fromFile;
  const out: Record<string, unknown> = { ...budgets };
  if (budgets.global) {
    out.global = normaliseBudget(budgets.global, (field, message) => {
      throw new BulwarkError('BWK_E_CONFIG_INVALID', [`${file}: budgets.global.${field}: ${message}`]);
    });
  }
  if (budgets.defaultPeriod !== undefined) out.defaultPeriod = parsePeriod(budgets.defaultPeriod);
  return { ...fromFile, budgets: out };
}
