// The deploy service behind the admin API: deploy, rollback, remove. Read top to bottom, deployFunction
// is the whole gate a new version passes, and every early exit names its error:
//
//   re-parse the manifest (never trust the client's parse)   BWK_E_MANIFEST_*
//   expires in the past                                      BWK_E_DEPLOY_REJECTED
//   security scan gate: claim + manifest re-scan (failOn)     BWK_E_SCANNER_GATE_REFUSED, _WAIVERS_INVALID
//   bundle bytes vs declared sha256                          BWK_E_DEPLOY_DIGEST_MISMATCH
//   signature over name + bundle + manifest (signing mode)   BWK_E_SIGNING_*
//   same bundle, manifest and signing key as the active one  → unchanged, nothing written
//   the bundle loads in a real sandbox                       BWK_E_DEPLOY_REJECTED
//   store: new immutable version (+ its verified signature), activated in one transaction
//   sandbox: retire the workers of other versions
//   store: the scan record of the version; bus: scan.completed (+ scan.waived)
//   bus: deploy.succeeded / deploy.rejected
// (removeFunction is offboarding: src/lifecycle/offboard.ts.)
//
// A version only becomes active after a sandbox has loaded it, so a broken bundle never replaces a
// working one: the previous version keeps serving.

import { isDeepStrictEqual } from 'node:util';
import { BulwarkError, isBulwarkError } from '../errors.ts';
import { isExpired, parseManifest } from '../manifest/parse.ts';
import { MANIFEST_FILE } from '../manifest/load.ts';
import { publishSecurityEvent, type EventBus } from '../bus/bus.ts';
import { sha256Hex, type FunctionVersion, type Store } from '../store/store.ts';
import type { SandboxProvider } from '../runtime/sandbox/sandbox.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { SigningMode } from '../config.ts';
import type { DeploySignature } from '../signing/signature.ts';
import { checkDeploySignature, checkRollbackSignature } from '../signing/verify.ts';
import { checkScanGate, type ScanGate } from '../scanner/gate/server.ts';
import type { ScanClaim } from '../scanner/gate/gate.ts';
import { offboardFunction, type OffboardReport } from '../lifecycle/offboard.ts';

export interface DeployDeps {
  store: Store;
  sandbox: SandboxProvider;
  bus: EventBus;
  logger: Logger;
  /** config.signing: whether deploys must carry a publisher's signature (src/signing/verify.ts). */
  signing: SigningMode;
  /** The security scan gate (src/scanner/gate/server.ts); absent: no gate, nothing recorded. */
  scanGate?: ScanGate;
}

export interface DeployPayload {
  /** bulwark.yaml as written by the author. */
  manifest: string;
  /** Files the manifest references (the input schema), by the relative path the manifest uses. */
  files: Record<string, string>;
  bundle: Uint8Array;
  sha256: string;
  /** A publisher's signature over name, bundle and manifest (src/signing/signature.ts); absent: unsigned. */
  signature?: DeploySignature;
  /** The deployer's scan summary and the waivers it used (src/scanner/gate/gate.ts); absent: none sent. */
  scan?: ScanClaim;
}

export interface DeployResult {
  version: FunctionVersion;
  unchanged: boolean;
}

/** Version number the sandbox proves a candidate bundle under, before the store assigns the real one. */
const CANDIDATE_VERSION = 0;

export async function deployFunction(deps: DeployDeps, payload: DeployPayload, actor: string, requestId: string): Promise<DeployResult> {
  let name: string | undefined;
  try {
    const files = payload.files ?? {};
    const manifest = parseManifest(String(payload.manifest ?? ''), MANIFEST_FILE, (p) =>
      Object.hasOwn(files, p) && typeof files[p] === 'string' ? files[p] : undefined);
    name = manifest.name;
    if (isExpired(manifest)) {
      throw new BulwarkError('BWK_E_DEPLOY_REJECTED', [`expires ${manifest.expires} is in the past; set a future date in ${MANIFEST_FILE}`]);
    }
    const gate = deps.scanGate ? await checkScanGate(deps.scanGate, payload.manifest, files, payload.scan) : undefined;
    if (!(payload.bundle instanceof Uint8Array) || typeof payload.sha256 !== 'string' || sha256Hex(payload.bundle) !== payload.sha256.toLowerCase()) {
      throw new BulwarkError('BWK_E_DEPLOY_DIGEST_MISMATCH');
    }
    const sha256 = payload.sha256.toLowerCase();
    const verdict = await checkDeploySignature(
      { mode: deps.signing, publishers: deps.store.publishers, bus: deps.bus, logger: deps.logger },
      { name: manifest.name, sha256, manifestSource: payload.manifest, files }, payload.signature, actor, requestId,
    );
    // Stored with the version so that a rollback to it can verify it again (rollbackFunction).
    const signature = verdict === 'signed' && payload.signature ? { ...payload.signature, files } : undefined;

    const active = await deps.store.functions.getActive(manifest.name);
    // A signed redeploy of an active version stored without that key's signature is a new version:
    // otherwise the signature would be lost and a later rollback to this code refused.
    const signatureKept = !signature || (active !== undefined && (await deps.store.functions.getSignature(active.name, active.version))?.keyId === signature.keyId);
    if (active && active.sha256 === sha256 && active.manifestSource === payload.manifest && isDeepStrictEqual(active.manifest, manifest) && signatureKept) {
      await publishSecurityEvent(deps.bus, deps.logger, { type: 'deploy.succeeded', requestId, actor, function: active.name, version: active.version, detail: { sha256, unchanged: true } });
      return { version: active, unchanged: true };
    }

    // Staged first: the sandbox reads bundles from the store by sha256.
    await deps.store.functions.putBundle(sha256, payload.bundle);
    try {
      await deps.sandbox.prepare({ name: manifest.name, version: CANDIDATE_VERSION, sha256, manifest });
    } catch (err) {
      await deps.sandbox.retire(manifest.name, active?.version).catch(() => undefined);
      if (isBulwarkError(err) && err.code === 'BWK_E_SANDBOX_LOAD_FAILED') {
        throw new BulwarkError('BWK_E_DEPLOY_REJECTED', [`the bundle does not load in a sandbox: ${loadFailure(err)}`], { cause: err.detail });
      }
      throw err;
    }

    const version = await deps.store.functions.deploy({
      name: manifest.name, manifest, manifestSource: payload.manifest, bundle: payload.bundle, sha256, deployedBy: actor,
      ...(signature ? { signature } : {}),
    });
    await deps.sandbox.retire(manifest.name, version.version);
    deps.logger.info({ requestId, function: version.name, version: version.version, sha256, actor, previous: active?.version }, 'deploy succeeded');
    if (deps.scanGate && gate) await recordScan(deps, deps.scanGate, gate, payload.scan, version, actor, requestId);
    await publishSecurityEvent(deps.bus, deps.logger, {
      type: 'deploy.succeeded', requestId, actor, function: version.name, version: version.version,
      detail: { sha256, sizeBytes: version.sizeBytes, previousVersion: active?.version ?? null, unchanged: false },
    });
    return { version, unchanged: false };
  } catch (err) {
    const code = isBulwarkError(err) ? err.code : 'BWK_E_GATEWAY_INTERNAL';
    deps.logger.warn({ requestId, function: name, actor, code, err }, 'deploy rejected');
    await publishSecurityEvent(deps.bus, deps.logger, {
      type: 'deploy.rejected', requestId, actor, ...(name ? { function: name } : {}),
      detail: { code, reason: isBulwarkError(err) ? err.message : 'internal error' },
    });
    throw err;
  }
}

/**
 * Points a function back at an earlier version: `version`, or by default the newest one before the
 * active one. Like a deploy, the target's signature is checked (the one stored with it, against the
 * publisher keys of now) and it is loaded in a sandbox before it is activated.
 */
export async function rollbackFunction(deps: DeployDeps, name: string, version: number | undefined, actor: string, requestId: string): Promise<FunctionVersion> {
  const active = await deps.store.functions.getActive(name);
  if (!active) throw new BulwarkError('BWK_E_REGISTRY_FUNCTION_NOT_FOUND', [name]);
  let target: FunctionVersion | undefined;
  if (version === undefined) {
    target = (await deps.store.functions.listVersions(name)).filter((v) => v.version < active.version).at(-1);
    if (!target) throw new BulwarkError('BWK_E_REGISTRY_VERSION_NOT_FOUND', [name, `before ${active.version}`]);
  } else {
    target = await deps.store.functions.getVersion(name, version);
    if (!target) throw new BulwarkError('BWK_E_REGISTRY_VERSION_NOT_FOUND', [name, version]);
  }
  if (target.version === active.version) return active;
  if (isExpired(target.manifest)) {
    throw new BulwarkError('BWK_E_DEPLOY_REJECTED', [`version ${target.version} of ${name} expired on ${target.manifest.expires}`]);
  }
  await checkRollbackSignature(
    { mode: deps.signing, publishers: deps.store.publishers, bus: deps.bus, logger: deps.logger },
    target, await deps.store.functions.getSignature(name, target.version), actor, requestId,
  );
  try {
    await deps.sandbox.prepare({ name, version: target.version, sha256: target.sha256, manifest: target.manifest });
  } catch (err) {
    if (isBulwarkError(err) && err.code === 'BWK_E_SANDBOX_LOAD_FAILED') {
      throw new BulwarkError('BWK_E_DEPLOY_REJECTED', [`version ${target.version} does not load in a sandbox: ${loadFailure(err)}`], { cause: err.detail });
    }
    throw err;
  }
  const now = await deps.store.functions.activate(name, target.version);
  await deps.sandbox.retire(name, now.version);
  deps.logger.info({ requestId, function: name, from: active.version, to: now.version, actor }, 'function rolled back');
  await publishSecurityEvent(deps.bus, deps.logger, { type: 'function.rolled-back', requestId, actor, function: name, version: now.version, detail: { from: active.version } });
  return now;
}

/**
 * Removes a function, all its versions and logs, and stops its workers: offboarding in 'remove' mode
 * (src/lifecycle/offboard.ts), so its keys, secret grants and (when asked) kv go with it.
 */
export async function removeFunction(deps: DeployDeps, name: string, actor: string, requestId: string, opts: { purgeKv?: boolean } = {}): Promise<OffboardReport> {
  return offboardFunction(deps, { name, mode: 'remove', reason: 'removed with bulwark rm', actor, requestId, purgeKv: opts.purgeKv === true });
}

/** Stores the scan summary with the new version and publishes scan.completed (and scan.waived when waivers were used). */
async function recordScan(deps: DeployDeps, gate: ScanGate, outcome: { source: 'cli' | 'none'; serverCounts: Record<string, number> }, claim: ScanClaim | undefined, version: FunctionVersion, actor: string, requestId: string): Promise<void> {
  const record = {
    function: version.name, version: version.version, recordedAt: new Date().toISOString(), actor, source: outcome.source, failOn: gate.failOn,
    counts: claim?.counts ?? {}, serverCounts: outcome.serverCounts, suppressed: claim?.suppressed ?? 0, files: claim?.files ?? 0, waived: claim?.waived ?? [],
  };
  try {
    await deps.store.scans.record(record);
  } catch (err) {
    // The version is active and serving already: failing the deploy now would report a rejection for a
    // live version. The inventory shows it as not scanned; scan.completed below still carries the counts.
    deps.logger.error({ err, requestId, function: version.name, version: version.version }, 'scan record not stored');
  }
  const base = { requestId, actor, function: version.name, version: version.version };
  await publishSecurityEvent(deps.bus, deps.logger, {
    ...base, type: 'scan.completed',
    detail: { source: record.source, failOn: record.failOn, counts: record.counts, serverCounts: record.serverCounts, suppressed: record.suppressed, files: record.files, waived: record.waived.length },
  });
  if (record.waived.length > 0) {
    await publishSecurityEvent(deps.bus, deps.logger, { ...base, type: 'scan.waived', detail: { failOn: record.failOn, waivers: record.waived } });
  }
}

/** The worker's first-line load error for the deployer, with host paths taken out. */
function loadFailure(err: BulwarkError): string {
  const why = typeof err.detail?.why === 'string' ? err.detail.why : 'see the gateway log';
  return why.replace(/(?:\/[^\s/'"`:]+){2,}/g, '<path>').slice(0, 300);
}

