// The composition root: opens the store, the bus and the sandbox provider, builds the logger and the
// server, and hands back one object that can close it all. Nothing below this file creates its own
// store, bus or logger; everything is passed down.

import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { pino, type DestinationStream } from 'pino';
import type { Config } from '../config.ts';
import { openStore } from '../store/index.ts';
import type { Store } from '../store/store.ts';
import { createBus } from '../bus/index.ts';
import { auditedBus, openAuditLedger } from '../audit/ledger.ts';
import { loadOrCreateNodeKey } from '../audit/node-key.ts';
import { configLoaded } from '../audit/config-change.ts';
import { publishSecurityEvent, type EventBus } from '../bus/bus.ts';
import { createProcessSandbox } from '../runtime/sandbox/process/index.ts';
import type { SandboxProvider } from '../runtime/sandbox/sandbox.ts';
import { createLogger, type Logger } from '../telemetry/logger.ts';
import { createApiKey, isUsable } from '../auth/api-keys.ts';
import { createAuthenticator } from '../auth/authenticate.ts';
import { createJwtVerifier } from '../auth/jwt.ts';
import { createChain, type BENCH_ONLY_DISABLE_ALL_GUARDS } from '../guards/chain.ts';
import { createRouteTable } from './routes.ts';
import { createInvokeHandler } from './invoke.ts';
import { createDispatcher, type Dispatcher } from './dispatch.ts';
import { createFunctionCalls, type FunctionCallGateway } from './function-calls.ts';
import { createCallTokenIssuer, type CallTokenIssuer } from '../auth/call-token.ts';
import { startTriggers } from '../triggers/index.ts';
import { createSpendLedger, type SpendLedger } from '../metering/ledger.ts';
import { startUsageRecorder } from '../policy/usage.ts';
import { createPricing } from '../metering/pricing.ts';
import { createAdmission } from './admission.ts';
import { createBlocklist } from '../abuse/blocklist.ts';
import { startAbuseScorer } from '../abuse/scorer.ts';
import { createAdminApi } from './admin/index.ts';
import { buildServer } from './server.ts';
import { openVault, type Vault } from '../vault/vault.ts';
import { registerKnownSecrets } from '../telemetry/redact.ts';
import { createScanner } from '../dlp/scanner.ts';
import { loadRules } from '../incidents/rules.ts';
import { startIncidentEngine, type IncidentEngine } from '../incidents/engine.ts';
import { createWebhookNotifier } from '../incidents/webhook.ts';
import { createCallerThrottles } from '../limits/caller-throttles.ts';
import { disableFunction } from '../lifecycle/disable.ts';
import { createMetrics } from '../telemetry/metrics.ts';
import { loadMetricsToken } from '../telemetry/metrics-token.ts';
import { createTracing } from '../telemetry/tracing.ts';
import { createMetricsRoute } from './metrics-route.ts';
import { startLastSeen } from '../lifecycle/last-seen.ts';
import { startExpirySweep, type ExpirySweep } from '../lifecycle/sweep.ts';

export interface PlatformOptions {
  /** Where log lines go instead of stdout ($home/logs/gateway.log is always written too). */
  logDestination?: DestinationStream;
  /** See BENCH_ONLY_DISABLE_ALL_GUARDS in src/guards/chain.ts. Never set outside bench/. */
  benchOnlyDisableGuards?: typeof BENCH_ONLY_DISABLE_ALL_GUARDS;
  /** Where BULWARK_MASTER_KEY is read from (src/vault/master-key.ts); process.env when absent. */
  env?: NodeJS.ProcessEnv;
  /** The lifecycle clock (expiry sweep, inventory flags; src/lifecycle/); default: now. Tests move it. */
  now?: () => Date;
}

export interface Platform {
  /** Base URL the gateway answers on, e.g. http://127.0.0.1:8787. */
  url: string;
  config: Config;
  store: Store;
  bus: EventBus;
  sandbox: SandboxProvider;
  logger: Logger;
  vault: Vault;
  /** Signs and verifies function-to-function call tokens (src/auth/call-token.ts). */
  callTokens: CallTokenIssuer;
  /** context.invoke's gateway half: how a call is signed and delivered (src/gateway/function-calls.ts). */
  functionCalls: FunctionCallGateway;
  /** The expiry sweep (src/lifecycle/sweep.ts): runs at start and every lifecycle.sweepIntervalMs; run() sweeps now. */
  expirySweep: Pick<ExpirySweep, 'run'>;
  /** Stops accepting requests, lets in-flight ones finish, then closes sandbox, bus, store and logs. */
  close(): Promise<void>;
}

export const CREDENTIALS_FILE = 'credentials.json';

function openLogger(config: Config, opts: PlatformOptions): { logger: Logger; closeFile: () => Promise<void> } {
  const dir = join(config.home, 'logs');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = pino.destination({ dest: join(dir, 'gateway.log'), sync: false, mode: 0o600 });
  const streams = pino.multistream([
    { level: 'trace', stream: opts.logDestination ?? process.stdout },
    { level: 'trace', stream: file },
  ]);
  const logger = createLogger({ level: config.logLevel, destination: streams });
  const closeFile = () => new Promise<void>((resolve) => {
    file.once('close', () => resolve());
    file.end();
  });
  return { logger, closeFile };
}

function urlOf(address: AddressInfo): string {
  // A wildcard bind is reachable on loopback; that is what the local CLI should use.
  const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

/**
 * Call ids remembered against replay, each for its token's few seconds: far more calls than a gateway
 * makes in tokenTtlSeconds. Full of unexpired ids, calls are refused rather than an id forgotten.
 */
const CALL_REPLAY_CACHE = 100_000;

/** How often observed capability use is written (src/policy/usage.ts); a crash forgets at most this much. */
const USAGE_FLUSH_MS = 5000;
/**
 * How long a stopping gateway lets invocations still running finish before their workers are stopped
 * (they then fail with BWK_E_SANDBOX_UNAVAILABLE, not as crashes). Each is also bounded by its own
 * timeout; 10 s keeps the whole stop well inside the 30 s orchestrators usually wait before SIGKILL.
 */
const SHUTDOWN_GRACE_MS = 10_000;

/** Writes credentials.json atomically, readable by the owner only. */
function writeCredentials(home: string, value: { url: string; apiKey: string }): void {
  const file = join(home, CREDENTIALS_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/**
 * First start: no usable admin key exists, so one is created and written to credentials.json for the
 * CLI. Later starts keep the key and only refresh the URL (the port may differ). The key never reaches
 * a log line.
 */
async function ensureAdminCredentials(store: Store, bus: EventBus, home: string, url: string, logger: Logger): Promise<void> {
  const now = new Date();
  const keys = await store.keys.list();
  if (!keys.some((k) => k.role === 'admin' && isUsable(k, now))) {
    const { record, key } = await createApiKey(store.keys, { role: 'admin', functions: ['*'], label: 'bootstrap' }, now);
    writeCredentials(home, { url, apiKey: key });
    logger.info({ keyId: record.id, file: join(home, CREDENTIALS_FILE) }, 'created the bootstrap admin key');
    await bus.publish('security', { type: 'key.created', at: now.toISOString(), actor: 'bootstrap', detail: { keyId: record.id, role: 'admin', functions: ['*'] } });
    return;
  }
  const file = join(home, CREDENTIALS_FILE);
  if (!existsSync(file)) return;
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { apiKey?: unknown };
    if (typeof stored.apiKey === 'string') writeCredentials(home, { url, apiKey: stored.apiKey });
  } catch {
    logger.warn({ file }, 'credentials file is not valid JSON; left untouched');
  }
}

async function warmActiveVersions(store: Store, sandbox: SandboxProvider, logger: Logger): Promise<void> {
  for (const summary of await store.functions.list()) {
    const fn = await store.functions.getActive(summary.name);
    // A disabled function gets no workers: nothing may run it (src/lifecycle/admission.ts).
    if (!fn || (await store.lifecycle.disabled(fn.name))) continue;
    try {
      await sandbox.prepare({ name: fn.name, version: fn.version, sha256: fn.sha256, manifest: fn.manifest });
    } catch (err) {
      // One broken function must not keep the gateway from serving the others.
      logger.error({ function: fn.name, version: fn.version, err }, 'could not warm function');
    }
  }
}

export async function startPlatform(config: Config, opts: PlatformOptions = {}): Promise<Platform> {
  mkdirSync(config.home, { recursive: true, mode: 0o700 });
  const { logger, closeFile } = openLogger(config, opts);
  const closers: Array<() => Promise<void>> = [closeFile];
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) {
      try {
        await c();
      } catch (err) {
        logger.error({ err }, 'error while closing');
      }
    }
  };
  try {
    // First: a malformed rules file stops the start before anything is opened (BWK_E_INCIDENT_RULES_INVALID).
    const incidentRules = config.incidents.enabled ? loadRules(config.incidents.rulesFile) : [];
    const store = await openStore(config);
    closers.push(() => store.close());
    // Before anything listens: a missing or wrong master key stops the start (src/vault/master-key.ts).
    const vault = await openVault({ store: store.secrets, home: config.home, env: opts.env ?? process.env });
    // Known to log redaction (and to DLP below) from here on: a value never reaches a log line in clear.
    const forgetSecrets = registerKnownSecrets(vault);
    closers.push(async () => forgetSecrets());
    // The audit ledger (src/audit/): every security event is committed to it before the bus delivers it,
    // and publish resolves after that commit. Closed after the bus (pushed before it) and everything
    // that publishes, before the store: its final flush and checkpoint are the last writes.
    const audit = config.audit.enabled
      ? await openAuditLedger(config.audit, { log: store.audit, key: loadOrCreateNodeKey(config.home), logger })
      : undefined;
    if (audit) closers.push(() => audit.close());
    const innerBus = await createBus(config, { logger });
    closers.push(() => innerBus.close());
    const bus = audit ? auditedBus(innerBus, audit, logger) : innerBus;
    // A configuration change is a security-relevant change: each start says which sections differ.
    await publishSecurityEvent(bus, logger, { type: 'config.loaded', actor: 'gateway', detail: { ...await configLoaded(config, store.audit) } });
    const callTokens = createCallTokenIssuer({ ttlSeconds: config.invoke.tokenTtlSeconds, maxHops: config.invoke.maxHops, replayCacheSize: CALL_REPLAY_CACHE });
    // Bound late: the sandbox's broker makes the calls, and the dispatcher they go through needs the
    // sandbox. No function runs (so none calls) before the dispatcher is set below.
    let dispatcher: Dispatcher | undefined;
    const functionCalls = createFunctionCalls({ functions: store.functions, lifecycle: store.lifecycle, tokens: callTokens, dispatcher: () => dispatcher! });
    // Read before anything listens: a configured token file that is unusable stops the start.
    const metricsToken = config.metrics.enabled ? loadMetricsToken(config.home, config.metrics.tokenFile) : undefined;
    // Bound late like the dispatcher: the metrics read pool state from the sandbox and spend from the
    // ledger, and the sandbox reports its worker spawns to the metrics.
    let sandbox: SandboxProvider | undefined;
    let ledger: SpendLedger | undefined;
    const metrics = createMetrics({
      bus,
      pools: () => sandbox?.stats() ?? [],
      spend: async () => {
        const rows: Array<{ function: string; spend: number }> = [];
        for (const summary of await store.functions.list()) {
          const fn = await store.functions.getActive(summary.name);
          if (fn && ledger) rows.push({ function: fn.name, spend: ledger.view({ name: fn.name, budget: fn.manifest.budget }).spend });
        }
        return rows;
      },
      currency: config.pricing.currency,
    });
    closers.push(async () => metrics.close());
    sandbox = await createProcessSandbox({ config, logger, bus, logs: store.logs, secrets: vault, kv: store.kv, functionCalls, bundleSource: (sha) => store.functions.getBundle(sha), onWorkerStarted: metrics.workerStarted });
    closers.push(() => sandbox!.close());
    ledger = createSpendLedger({
      pricing: createPricing(config.pricing), budgets: config.budgets, store: store.spend, logger,
      publish: (event) => publishSecurityEvent(bus, logger, event),
    });
    await ledger.start();
    // Closed after the server (pushed before it): its final flush must see every invocation settled.
    closers.push(() => ledger.close());
    // Closed after the server and the triggers (pushed before them): their last invocations' use is written.
    const usage = startUsageRecorder({ bus, store: store.capabilityUse, logger, flushIntervalMs: USAGE_FLUSH_MS });
    closers.push(() => usage.close());
    // Same order, same reason: the last invocations before the stop are written.
    const lastSeen = startLastSeen({ store: store.lifecycle, logger, flushIntervalMs: config.lifecycle.lastSeenFlushMs });
    closers.push(() => lastSeen.close());
    // After the server and the triggers, which wait for the callers still connected and for the
    // deliveries in flight, what still runs is invocations whose HTTP caller went away. They get
    // SHUTDOWN_GRACE_MS to finish while the ledger, usage and last-seen recorders they settle into are
    // still open (pushed after them). The close pushed with the sandbox above then waits for this one; it
    // only does the closing when the start failed before this line.
    closers.push(() => sandbox!.close({ graceMs: SHUTDOWN_GRACE_MS }));
    const now = opts.now ?? (() => new Date());

    const jwt = config.auth.jwt ? createJwtVerifier(config.auth.jwt, config.home) : undefined;
    const authenticator = createAuthenticator({ keys: store.keys, ...(jwt ? { jwt } : {}) });
    // Blocks in force are loaded from the store before the gateway listens; the scorer turns the security
    // events of attacks into blocks from then on.
    const blocklist = await createBlocklist({ store: store.blocks, bus, logger, config: config.ipBlock });
    const scorer = startAbuseScorer({ bus, blocklist, config: config.ipBlock, logger });
    closers.push(async () => {
      scorer.stop();
      blocklist.close();
    });
    // Alert rules and playbooks (src/incidents/): they act through the blocklist, per-caller throttles (read
    // by the caller-rate-limit guard), the kill switch, the key store and the vault. Stopped before those
    // close (pushed after them) and after the server (pushed before it), so the last events are handled.
    const throttles = createCallerThrottles();
    let incidents: IncidentEngine | undefined;
    if (config.incidents.enabled) {
      const webhook = config.incidents.webhook
        ? createWebhookNotifier(config.incidents.webhook, { logger, readSecret: (name) => vault.get(name) })
        : undefined;
      incidents = startIncidentEngine({
        rules: incidentRules, store: store.incidents, bus, logger, maxTracked: config.incidents.maxTracked,
        ...(webhook ? { webhook } : {}),
        actions: {
          bus, logger, blocklist, throttles, keys: store.keys, functions: store.functions, secrets: vault,
          disabler: { disable: (name, reason, actor) => disableFunction({ store, sandbox: sandbox!, bus, logger }, { name, reason, actor }) },
        },
      });
      const engine = incidents;
      closers.push(() => engine.stop());
    }
    const chain = createChain({ authenticator, blocklist, rateLimit: config.rateLimit, ledger, callTokens, throttles }, { benchOnlyDisableGuards: opts.benchOnlyDisableGuards });
    if (chain.disabled) logger.warn('BENCH-ONLY: the guard chain is disabled; this gateway accepts unauthenticated calls');
    // Off: no Tracing exists, and neither dispatch nor invoke runs tracing code. Closed after the server
    // and the triggers (pushed before them), so the spans of their last requests are exported.
    const tracing = config.tracing.enabled ? createTracing(config.tracing) : undefined;
    if (tracing) closers.push(() => tracing.close());
    dispatcher = createDispatcher({ chain, sandbox, bus, logger, ledger, metrics, lastSeen, lifecycle: store.lifecycle, ...(tracing ? { tracing } : {}) });
    // Queue consumer and scheduler. Closed after the server (pushed before it), so no publish is accepted
    // once they stop, and before the sandbox, bus, ledger and store, which their last deliveries use.
    const triggers = await startTriggers({ store, bus, dispatcher, logger, config: config.triggers });
    closers.push(() => triggers.close());

    const app = buildServer({
      config,
      logger,
      invoke: createInvokeHandler({
        routes: createRouteTable(store.functions), dispatcher, bus, logger, jwtIssuer: config.auth.jwt?.issuer,
        dlp: { scanner: createScanner(vault), responses: config.dlp.responses },
        lifecycle: store.lifecycle,
        ...(tracing ? { tracing } : {}),
      }),
      admin: createAdminApi({ config, store, bus, sandbox, logger, authenticator, chain, blocklist, ledger, vault, usage, consumersOf: (subject) => triggers.consumersOf(subject), lastSeen, now, ...(incidents ? { incidents } : {}) }),
      admission: createAdmission({ chain, bus, logger }),
      ...(metricsToken ? { metrics: createMetricsRoute({ metrics, token: metricsToken, bus, logger }) } : {}),
    });
    closers.push(() => app.close());

    // Once before listening, so a function that expired while the gateway was down is offboarded
    // before anything can call it; then every lifecycle.sweepIntervalMs.
    const expirySweep = startExpirySweep({ store, sandbox, bus, logger, now, intervalMs: config.lifecycle.sweepIntervalMs, purgeKv: config.lifecycle.purgeKvOnOffboard });
    closers.push(() => expirySweep.close());
    await expirySweep.run();
    await warmActiveVersions(store, sandbox, logger);
    await app.listen({ host: config.listen.host, port: config.listen.port });
    const url = urlOf(app.server.address() as AddressInfo);
    await ensureAdminCredentials(store, bus, config.home, url, logger);
    logger.info({
      url, isolation: sandbox.isolation().mode, store: store.kind, bus: bus.kind,
      metrics: metricsToken ? { path: '/metrics', tokenFile: metricsToken.file } : 'off',
      tracing: tracing ? { endpoint: config.tracing.otlpEndpoint, sampleRatio: config.tracing.sampleRatio } : 'off',
    }, 'gateway listening');

    let closing: Promise<void> | undefined;
    return {
      url, config, store, bus, sandbox, logger, vault, callTokens, functionCalls, expirySweep,
      close: () => (closing ??= closeAll()),
    };
  } catch (err) {
    logger.error({ err }, 'gateway failed to start');
    await closeAll();
    throw err;
  }
}
