// Gateway configuration: one validated object with explicit defaults, read once at start-up and passed
// down. Source: $BULWARK_HOME/config.yaml (optional) — the environment only says where home is and
// which port to use, never secrets. Invalid config fails at boot with BWK_E_CONFIG_INVALID naming the key.

import { readFileSync, existsSync, accessSync, statSync, constants } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { Ajv } from 'ajv';
import { BulwarkError } from './errors.ts';

export type IsolationMode = 'strict' | 'auto' | 'permission-only';

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

export interface Config {
  home: string;
  listen: { host: string; port: number };
  isolation: IsolationMode;
  store: { kind: 'sqlite' };
  bus: { kind: 'in-process' };
  gateway: {
    /** Largest request body accepted on any function route, before the manifest's own limit. */
    maxBodyBytes: number;
    /** Largest admin API body (a deploy carries a bundle). */
    maxAdminBodyBytes: number;
    /** Time allowed to receive a whole request. */
    requestTimeoutMs: number;
    /** Trust X-Forwarded-For from these proxies only. */
    trustProxy: string[];
  };
  sandbox: {
    /** Warm workers kept per active function version. */
    warmWorkers: number;
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
  auth: { jwt?: JwtConfig };
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    listen: {
      type: 'object', additionalProperties: false,
      properties: { host: { type: 'string', minLength: 1 }, port: { type: 'integer', minimum: 0, maximum: 65535 } },
    },
    isolation: { enum: ['strict', 'auto', 'permission-only'] },
    store: { type: 'object', additionalProperties: false, properties: { kind: { const: 'sqlite' } } },
    bus: { type: 'object', additionalProperties: false, properties: { kind: { const: 'in-process' } } },
    gateway: {
      type: 'object', additionalProperties: false,
      properties: {
        maxBodyBytes: { type: 'integer', minimum: 1 },
        maxAdminBodyBytes: { type: 'integer', minimum: 1 },
        requestTimeoutMs: { type: 'integer', minimum: 1 },
        trustProxy: { type: 'array', items: { type: 'string' } },
      },
    },
    sandbox: {
      type: 'object', additionalProperties: false,
      properties: {
        warmWorkers: { type: 'integer', minimum: 0, maximum: 64 },
        maxResponseBytes: { type: 'integer', minimum: 1 },
        scratchDir: { type: 'string', minLength: 1 },
      },
    },
    egress: {
      type: 'object', additionalProperties: false,
      properties: { timeoutMs: { type: 'integer', minimum: 1 }, maxResponseBytes: { type: 'integer', minimum: 1 } },
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
    logLevel: { enum: ['trace', 'debug', 'info', 'warn', 'error', 'silent'] },
  },
} as const;

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? T[K] extends unknown[] ? T[K] : DeepPartial<T[K]> : T[K] };
export type ConfigOverrides = DeepPartial<Omit<Config, 'home'>>;

export function defaultConfig(home: string): Config {
  return {
    home,
    listen: { host: '127.0.0.1', port: 8787 },
    isolation: 'auto',
    store: { kind: 'sqlite' },
    bus: { kind: 'in-process' },
    gateway: { maxBodyBytes: 1024 * 1024, maxAdminBodyBytes: 32 * 1024 * 1024, requestTimeoutMs: 30_000, trustProxy: [] },
    sandbox: { warmWorkers: 1, maxResponseBytes: 6 * 1024 * 1024, scratchDir: defaultScratchDir(home) },
    egress: { timeoutMs: 10_000, maxResponseBytes: 5 * 1024 * 1024 },
    auth: {},
    logLevel: 'info',
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
  if (merged.auth.jwt) {
    const jwtDefaults = { rolesClaim: 'roles', functionsClaim: 'functions', clockToleranceSec: 5 };
    merged.auth.jwt = Object.assign(jwtDefaults, merged.auth.jwt);
  }
  return merged;
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
