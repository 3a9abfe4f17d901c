// The process SandboxProvider: warm `node --permission` workers (inside bubblewrap when available),
// pooled per function bundle + runtime settings. See docs/sandbox.md for the layers and their audit.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BulwarkError } from '../../../errors.ts';
import type { Config } from '../../../config.ts';
import type { Logger } from '../../../telemetry/logger.ts';
import type { Manifest } from '../../../manifest/types.ts';
import { publishSecurityEvent, type EventBus } from '../../../bus/bus.ts';
import type { FunctionLogStore, KvStore } from '../../../store/store.ts';
import type { FunctionTarget, HttpResult, InvokeRequest, IsolationReport, PoolStats, SandboxProvider } from '../sandbox.ts';
import { grantedCapabilities } from '../../capabilities/index.ts';
import type { CapabilityDeps, FunctionCalls, SecretSource } from '../../capabilities/capability.ts';
import { normaliseResult } from '../result.ts';
import { BundleFiles } from './bundles.ts';
import { workerCommand } from './command.ts';
import { planIsolation, type IsolationPlan } from './probe.ts';
import { IDLE_REAP_MS, WorkerPool } from './pool.ts';
import { SandboxWorker } from './worker.ts';

export { probeIsolation } from './probe.ts';

/** What a queue or schedule invocation that returned (whatever it returned) results in; see InvokeRequest.source. */
function eventResult(): HttpResult {
  return { statusCode: 200, headers: {}, cookies: [], body: '', isBase64Encoded: false };
}

export interface ProcessSandboxOptions {
  config: Config;
  logger: Logger;
  bus: EventBus;
  logs: FunctionLogStore;
  bundleSource: (sha256: string) => Promise<Uint8Array | undefined>;
  /** The vault context.secrets reads from; absent (sandboxes outside a gateway: tests, benches), no secret exists. */
  secrets?: SecretSource;
  /** The store context.kv uses; absent (sandboxes outside a gateway), kv calls fail. */
  kv?: KvStore;
  /** How context.invoke calls another function; absent (sandboxes outside a gateway), every call is refused. */
  functionCalls?: FunctionCalls;
  /** The node binary for workers; the gateway's own by default (the pinned one). */
  nodePath?: string;
  /** Told of every worker spawn once it is ready or failed, with the seconds it took (src/telemetry/metrics.ts). */
  onWorkerStarted?: (fn: string, seconds: number, ok: boolean) => void;
}

const REAP_EVERY_MS = 5_000;
/** A pool only ever prepared (a deploy candidate never invoked) is dropped after this long unused. */
const CANDIDATE_TTL_MS = 2 * IDLE_REAP_MS;
const MiB = 1024 * 1024;

/**
 * Hash of the runtime-relevant manifest fields, per manifest object. The store hands out the same
 * (frozen) manifest object for every request until the version changes, so the JSON + SHA-256 (~4 µs)
 * runs once per version instead of once per invocation.
 */
const runtimeHashes = new WeakMap<Manifest, string>();

/** Pools are shared by versions with the same bundle and the same runtime-relevant manifest fields. */
function poolKey(t: FunctionTarget): string {
  const m = t.manifest;
  let hash = runtimeHashes.get(m);
  if (hash === undefined) {
    const relevant = JSON.stringify([m.handler.export, m.runtime, m.limits, m.permissions]);
    hash = createHash('sha256').update(relevant).digest('hex').slice(0, 16);
    runtimeHashes.set(m, hash);
  }
  return `${t.name}\0${t.sha256}\0${hash}`;
}

export async function createProcessSandbox(opts: ProcessSandboxOptions): Promise<SandboxProvider> {
  const nodePath = opts.nodePath ?? process.execPath;
  const plan = await planIsolation(opts.config, nodePath);
  if (opts.config.isolation === 'strict' && !plan.bwrap) {
    const why = plan.report.layers.find((l) => l.name === 'bubblewrap')?.detail ?? 'bubblewrap';
    throw new BulwarkError('BWK_E_CONFIG_ISOLATION_UNAVAILABLE', [`bubblewrap (${why})`]);
  }
  const scratchBase = resolve(opts.config.sandbox.scratchDir);
  // Scratch roots of a previous run are leftovers of killed workers: nothing in them is kept.
  await rm(scratchBase, { recursive: true, force: true });
  await mkdir(scratchBase, { recursive: true, mode: 0o700 });
  return new ProcessSandbox(opts, nodePath, plan, scratchBase);
}

class ProcessSandbox implements SandboxProvider {
  readonly kind = 'process';
  #opts: ProcessSandboxOptions;
  #nodePath: string;
  #plan: IsolationPlan;
  #scratchBase: string;
  #bundles: BundleFiles;
  #deps: CapabilityDeps;
  #pools = new Map<string, WorkerPool>();
  /** Retired pools whose busy workers are finishing, with their pool key. */
  #draining = new Map<WorkerPool, string>();
  #reaper: NodeJS.Timeout;
  #closed = false;
  /** The one close: a later call waits for it, with the first call's grace. */
  #closing: Promise<void> | undefined;
  /** Workers spawned and not yet exited, every pool together (sandbox.maxWorkers). */
  #workers = 0;

  constructor(opts: ProcessSandboxOptions, nodePath: string, plan: IsolationPlan, scratchBase: string) {
    this.#opts = opts;
    this.#nodePath = nodePath;
    this.#plan = plan;
    this.#scratchBase = scratchBase;
    this.#bundles = new BundleFiles(join(opts.config.home, 'bundles'), opts.bundleSource, async ({ function: fn, sha256, actual }) => {
      opts.logger.error({ function: fn, sha256, actual }, 'bundle file modified on disk after deploy: worker not started');
      await publishSecurityEvent(opts.bus, opts.logger, { type: 'sandbox.bundle-tampered', function: fn, detail: { sha256, actual } });
    });
    this.#deps = { config: opts.config, logger: opts.logger, bus: opts.bus, logs: opts.logs, ...(opts.secrets ? { secrets: opts.secrets } : {}), ...(opts.kv ? { kv: opts.kv } : {}), ...(opts.functionCalls ? { functionCalls: opts.functionCalls } : {}) };
    this.#reaper = setInterval(() => this.#reap(), REAP_EVERY_MS);
    this.#reaper.unref();
  }

  isolation(): IsolationReport {
    return this.#plan.report;
  }

  stats(): PoolStats[] {
    const byName = new Map<string, PoolStats>();
    for (const pool of [...this.#pools.values(), ...this.#draining.keys()]) {
      let s = byName.get(pool.name);
      if (!s) byName.set(pool.name, s = { function: pool.name, busy: 0, idle: 0, starting: 0, queued: 0 });
      const c = pool.counts();
      s.busy += c.busy;
      s.idle += c.idle;
      s.starting += c.starting;
      s.queued += c.queued;
    }
    return [...byName.values()];
  }

  async prepare(target: FunctionTarget): Promise<void> {
    const pool = this.#pool(target);
    let worker: SandboxWorker;
    try {
      worker = await pool.acquire();
    } catch (err) {
      // A saturated pool has workers that loaded this bundle already.
      if (err instanceof BulwarkError && err.code === 'BWK_E_SANDBOX_POOL_FULL') return;
      throw err;
    }
    pool.release(worker);
  }

  async invoke(target: FunctionTarget, req: InvokeRequest): Promise<HttpResult> {
    const pool = this.#pool(target);
    const worker = await pool.acquire();
    let value: unknown;
    try {
      value = await worker.run(target, req);
    } finally {
      pool.release(worker);
    }
    if (req.source !== undefined && req.source !== 'http' && req.source !== 'invoke') return eventResult();
    const m = target.manifest;
    return normaliseResult(value, m.runtime.payloadFormat, this.#opts.config.sandbox.maxResponseBytes, target.name);
  }

  /**
   * Idle workers stop at once; busy ones finish their invocation first (bounded by its timeout), so a
   * deploy neither fails in-flight callers nor waits for them. When the last worker of a pool is gone,
   * its bundle file goes too unless another pool uses the same bundle.
   */
  async retire(name: string, keepVersion?: number): Promise<void> {
    for (const [key, pool] of this.#pools) {
      if (pool.name !== name) continue;
      const real = [...pool.versions].filter((v) => v !== 0);
      // A pool holding only a deploy candidate (version 0) is the one about to be committed: keep it.
      const keep = keepVersion !== undefined && (real.length === 0 || pool.versions.has(keepVersion));
      if (keep) continue;
      this.#pools.delete(key);
      this.#drain(pool, key);
    }
  }

  #drain(pool: WorkerPool, key: string): void {
    this.#draining.set(pool, key);
    void pool.drain().finally(() => {
      this.#draining.delete(pool);
      const sha = key.split('\0')[1]!;
      const inUse = [...this.#pools.keys(), ...this.#draining.values()].some((k) => k.split('\0')[1] === sha);
      if (!inUse && !this.#closed) void this.#bundles.remove(sha);
    });
  }

  close(opts: { graceMs?: number } = {}): Promise<void> {
    this.#closing ??= this.#close(opts.graceMs ?? 0);
    return this.#closing;
  }

  async #close(graceMs: number): Promise<void> {
    this.#closed = true;
    clearInterval(this.#reaper);
    const pools = [...this.#pools.values(), ...this.#draining.keys()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.close(graceMs)));
    // Workers are gone; their scratch roots held nothing worth keeping (and on /dev/shm they hold RAM).
    await rm(this.#scratchBase, { recursive: true, force: true });
  }

  #pool(target: FunctionTarget): WorkerPool {
    if (this.#closed) throw new BulwarkError('BWK_E_SANDBOX_UNAVAILABLE', [target.name], { why: 'provider closed' });
    const key = poolKey(target);
    let pool = this.#pools.get(key);
    if (!pool) {
      const limits = target.manifest.limits;
      pool = new WorkerPool({
        name: target.name,
        warm: Math.min(this.#opts.config.sandbox.warmWorkers, limits.concurrency),
        concurrency: limits.concurrency,
        queue: limits.queue,
        logger: this.#opts.logger,
        spawn: (p) => this.#spawn(target, p),
        hostHasRoom: () => this.#workers < this.#opts.config.sandbox.maxWorkers,
        ...(this.#opts.onWorkerStarted ? { onStarted: (seconds: number, ok: boolean) => this.#opts.onWorkerStarted!(target.name, seconds, ok) } : {}),
      });
      this.#pools.set(key, pool);
    }
    pool.versions.add(target.version);
    return pool;
  }

  /** Counts the worker from the spawn request until its process is gone (or the spawn failed). */
  async #spawn(target: FunctionTarget, pool: WorkerPool): Promise<SandboxWorker> {
    this.#workers++;
    try {
      return await this.#startWorker(target, pool);
    } catch (err) {
      this.#workers--;
      throw err;
    }
  }

  async #startWorker(target: FunctionTarget, pool: WorkerPool): Promise<SandboxWorker> {
    const m = target.manifest;
    const bundle = await this.#bundles.path(target.sha256, target.name);
    const id = `w-${randomBytes(6).toString('hex')}`;
    const hostScratch = join(this.#scratchBase, id);
    await mkdir(hostScratch, { mode: 0o700 });
    const command = workerCommand({
      nodePath: this.#nodePath, bundle, scratch: hostScratch, memoryMb: m.limits.memoryMb,
      allowCodeGeneration: m.runtime.allowCodeGeneration, bwrap: this.#plan.bwrap, setpriv: this.#plan.setpriv,
    });
    const { sandbox, egress } = this.#opts.config;
    return new SandboxWorker({
      id, target, command, hostScratch,
      init: {
        t: 'init', bundle: command.inside.bundle, exportName: m.handler.export, functionName: target.name,
        functionVersion: target.version, payloadFormat: m.runtime.payloadFormat,
        allowCodeGeneration: m.runtime.allowCodeGeneration, capabilities: grantedCapabilities(m),
      },
      // Room for the runtime itself (~50 MB RSS) on top of what the manifest grants the function.
      rssLimitBytes: Math.round((m.limits.memoryMb * 1.5 + 64) * MiB),
      // Scratch lives on tmpfs (RAM) by default: it may hold as much as the function's memory limit.
      scratchQuotaBytes: m.limits.memoryMb * MiB,
      // A result body may grow ~6x when JSON-escaped; egress bodies travel as base64.
      maxFrameBytes: Math.max(sandbox.maxResponseBytes * 6, egress.maxResponseBytes * 2) + MiB,
      deps: this.#deps,
      onExit: (w) => {
        this.#workers--;
        pool.workerExited(w);
      },
    });
  }

  #reap(): void {
    const now = Date.now();
    for (const [key, pool] of this.#pools) {
      const candidateOnly = [...pool.versions].every((v) => v === 0);
      if (candidateOnly && pool.busy === 0 && now - pool.lastUsed > CANDIDATE_TTL_MS) {
        this.#pools.delete(key);
        this.#drain(pool, key);
        continue;
      }
      pool.reap(now);
    }
  }
}
