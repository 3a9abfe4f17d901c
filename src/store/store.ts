// The store seam. Callers depend on these narrow interfaces only; the embedded implementation is
// src/store/sqlite/, the cluster one (PostgreSQL) comes later and must pass src/store/store.contract.ts
// unchanged. Every method that writes more than one row is one transaction.

import { createHash } from 'node:crypto';
import type { Manifest } from '../manifest/types.ts';

/** A bundle's content address: the lowercase hex SHA-256 of its bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export type Role = 'admin' | 'deployer' | 'invoker' | 'viewer';

export interface FunctionVersion {
  name: string;
  version: number;
  sha256: string;
  manifest: Manifest;
  /** The manifest source as deployed, for `bulwark list --json` and audits. */
  manifestSource: string;
  deployedAt: string;
  deployedBy: string;
  sizeBytes: number;
}

export interface FunctionSummary {
  name: string;
  activeVersion: number;
  latestVersion: number;
  sha256: string;
  owner: string;
  expires: string;
  updatedAt: string;
  /** Publisher key id the active version's signature was verified with at deploy; null: deployed unsigned. */
  signedBy: string | null;
}

/** A publisher signature a version was verified with at deploy (src/signing/), kept to verify it again on rollback. */
export interface NewVersionSignature {
  keyId: string;
  /** Ed25519 signature over the statement (src/signing/signature.ts), base64. */
  signature: string;
  /** The referenced files the statement covers, by path (the version itself does not keep them). */
  files: Record<string, string>;
}

export interface VersionSignature extends NewVersionSignature {
  name: string;
  version: number;
  verifiedAt: string;
}

export interface NewFunctionVersion {
  name: string;
  manifest: Manifest;
  manifestSource: string;
  bundle: Uint8Array;
  sha256: string;
  deployedBy: string;
  /** Present only when the signature was verified: stored in the same transaction as the version. */
  signature?: NewVersionSignature;
}

export interface FunctionRegistry {
  /**
   * Stores bundle bytes under their sha256 without creating a version, so a sandbox can prove the
   * bundle loads (getBundle) before deploy() makes it active. Idempotent. Bundles no version refers to
   * are pruned by later deploys once they are an hour old.
   */
  putBundle(sha256: string, bundle: Uint8Array): Promise<void>;
  /**
   * Stores a new immutable version and makes it active, atomically. Version numbers of a name are
   * never reused, not even after remove(). Throws BWK_E_DEPLOY_DIGEST_MISMATCH when the bytes do not
   * hash to `sha256`.
   */
  deploy(input: NewFunctionVersion): Promise<FunctionVersion>;
  /** The active version of a function, or undefined when there is no such function. */
  getActive(name: string): Promise<FunctionVersion | undefined>;
  getVersion(name: string, version: number): Promise<FunctionVersion | undefined>;
  /** Bundle bytes of a stored version (content-addressed by its sha256). */
  getBundle(sha256: string): Promise<Uint8Array | undefined>;
  list(): Promise<FunctionSummary[]>;
  listVersions(name: string): Promise<FunctionVersion[]>;
  /** The signature a version was deployed with, or undefined when it was deployed without a verified one. */
  getSignature(name: string, version: number): Promise<VersionSignature | undefined>;
  /** The signatures of a function's versions, by version (versions deployed unsigned have none). */
  listSignatures(name: string): Promise<VersionSignature[]>;
  /** Points the function at an existing version. Throws BWK_E_REGISTRY_* when absent. */
  activate(name: string, version: number): Promise<FunctionVersion>;
  /** Removes the function and all its versions. Returns false when there was none. */
  remove(name: string): Promise<boolean>;
}

export interface ApiKeyRecord {
  /** Public, non-secret lookup id (the part of the key before the secret). */
  id: string;
  /** SHA-256 of the secret part, hex. The secret itself is never stored. */
  secretHash: string;
  role: Role;
  /** Function names the key may act on; ['*'] for all. */
  functions: string[];
  label: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface ApiKeyStore {
  insert(key: ApiKeyRecord): Promise<void>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  list(): Promise<ApiKeyRecord[]>;
  /** Returns false when the key does not exist or was already revoked. */
  revoke(id: string, at: string): Promise<boolean>;
}

export interface FunctionLogEntry {
  at: string;
  function: string;
  version: number;
  requestId: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields?: Record<string, unknown>;
}

/** Function log entries kept per function; older ones are deleted as new ones arrive. */
export const FUNCTION_LOG_RETENTION = 5000;

export interface FunctionLogStore {
  append(entries: FunctionLogEntry[]): Promise<void>;
  /** Newest last. `limit` caps the number returned (most recent first, then reversed). */
  query(q: { function: string; requestId?: string; limit: number }): Promise<FunctionLogEntry[]>;
}

/**
 * Budget scopes (src/metering/ledger.ts): all functions together ('*'), one function (its name), one
 * caller of one function ("<function>/<caller>"), one caller across all functions (the caller).
 */
export type SpendScope = 'global' | 'global-caller' | 'function' | 'caller';
export type BudgetTier = 'open' | 'throttle' | 'exhausted';

/** One scope's metered spend in one period. Amounts are integer nano units (src/metering/pricing.ts). */
export interface SpendRecord {
  scope: SpendScope;
  key: string;
  /** Epoch ms, inclusive. */
  periodStart: number;
  /** Epoch ms, exclusive. */
  periodEnd: number;
  spendNanos: number;
  invocations: number;
  tier: BudgetTier;
  /** Highest alert threshold (percent of the limit) announced this period: 0, 50 or 80. */
  alerted: number;
  /** When the scope entered the throttle tier this period (epoch ms), null while it has not. */
  throttledAt: number | null;
  /**
   * Function and global scopes: the most any per-caller entry under this scope and period had spent when
   * the ledger evicted it (memory cap). A caller with no entry of its own starts from here. 0 otherwise.
   */
  callerFloorNanos: number;
}

/** Which row of the spend table. */
export type SpendKey = Pick<SpendRecord, 'scope' | 'key' | 'periodStart' | 'periodEnd'>;

/** Entries the ledger evicted from memory (budgets.maxTracked): deleted from the store too. */
export interface SpendEvictions {
  /** Per-caller rows, whose spend their parent scope's callerFloorNanos now covers. */
  spend: SpendKey[];
  /** Caller history: the caller loses its good standing with it. */
  callers: Array<Pick<CallerHistory, 'scopeKey' | 'caller'>>;
}

/** A durable upper bound on a scope's spend, written before the spend it covers is admitted. */
export interface SpendClaim {
  scope: SpendScope;
  key: string;
  periodStart: number;
  periodEnd: number;
  claimedNanos: number;
}

export interface StoredSpend extends SpendRecord {
  claimedNanos: number;
}

/** When a caller was first and last served successfully under a scope key (a function name, or '*'). */
export interface CallerHistory {
  scopeKey: string;
  caller: string;
  firstServedAt: number;
  lastServedAt: number;
}

/**
 * Persistence of the spend ledger. The gateway keeps the authoritative counters in memory and writes
 * them here in batches (save) and ahead of use (claim); see docs/guards/budget.md for what a crash can
 * lose. Values only ever move in their safe direction: spend, invocations, claims, alerts and caller
 * floors never go down (except claims, by releaseClaims), throttle and first-served times never move
 * later. The tier is the last one written. Rows are deleted only as the ledger evicts them (a caller
 * row's spend is then in its parent's floor) and by prune.
 */
export interface SpendStore {
  /** Rows of every period that has not ended at `now`, with their claims. */
  current(now: number): Promise<StoredSpend[]>;
  /** History of callers last served at or after `since`. */
  callers(since: number): Promise<CallerHistory[]>;
  /** Raises each row's claim to at least `claimedNanos`, creating missing rows; durable once resolved. */
  claim(claims: SpendClaim[]): Promise<void>;
  /**
   * Writes settled spend and caller history, in one transaction, after deleting the evicted rows (so a row
   * evicted and written again in the same batch is the new one).
   */
  save(spend: SpendRecord[], callers: CallerHistory[], evicted?: SpendEvictions): Promise<void>;
  /** Lowers every claim to its row's spend: for a clean shutdown, when nothing is in flight. */
  releaseClaims(): Promise<void>;
  /** Deletes rows of periods that ended before `periodsBefore` and callers last served before `callersBefore`. */
  prune(periodsBefore: number, callersBefore: number): Promise<void>;
}

/** One security event that counted towards an automatic block (src/abuse/scorer.ts). */
export interface BlockEvidence {
  at: string;
  /** The security event type: guard.rejected, auth.failed, route.unknown. */
  type: string;
  requestId?: string;
  function?: string;
  /** guard.rejected: the refusing guard, its rule and error code. auth.failed: the reason. */
  guard?: string;
  rule?: string | null;
  code?: string;
  reason?: string;
  /** Score the event added. */
  weight: number;
}

export type BlockKind = 'automatic' | 'manual';

export interface IpBlock {
  /** Canonical IP address (src/net/address-set.ts). */
  address: string;
  kind: BlockKind;
  reason: string;
  /** 'abuse-scorer' for automatic blocks, the admin's actor id for manual ones. */
  actor: string;
  createdAt: string;
  /** When the block lifts; null: only when removed. */
  expiresAt: string | null;
  /** Automatic blocks: 1 for a first offence, n for the n-th within the repeat window. Manual: 0. */
  offence: number;
  /** The events that led to an automatic block, oldest first; empty for manual blocks. */
  evidence: BlockEvidence[];
}

/** Why a block ended: removed by an admin, its TTL ran out, or the address was allowlisted. */
export type UnblockKind = 'manual' | 'expired' | 'allowlisted';

export interface BlockHistoryEntry {
  id: number;
  address: string;
  action: 'blocked' | 'unblocked';
  kind: BlockKind | UnblockKind;
  reason: string;
  actor: string;
  at: string;
  /** blocked: the block's expiry; unblocked: null. */
  expiresAt: string | null;
  offence: number;
  evidence: BlockEvidence[];
}

/** History entries kept; older ones are deleted as new ones arrive (an attacker with many addresses causes many). */
export const BLOCK_HISTORY_RETENTION = 10_000;

export interface IpBlockStore {
  /** Records a block (replacing the address's current one, if any) with its history entry, in one transaction. */
  block(block: IpBlock): Promise<void>;
  /**
   * Lifts the address's block and records why, in one transaction. Returns the lifted block, or
   * undefined (and records nothing) when the address had none.
   */
  unblock(address: string, lift: { at: string; actor: string; reason: string; kind: UnblockKind }): Promise<IpBlock | undefined>;
  /** Every block on record, expired or not yet lifted, oldest first. */
  list(): Promise<IpBlock[]>;
  /** History, newest first, optionally for one address. */
  history(q: { address?: string; limit: number }): Promise<BlockHistoryEntry[]>;
  /** Automatic blocks of `address` recorded at or after `since` (ISO 8601). */
  countAutomatic(address: string, since: string): Promise<number>;
}

/**
 * A queue message or scheduled run that was given up on: refused by a guard, or failed by its handler
 * on every attempt (src/triggers/). Kept so that nothing is lost silently, and so it can be inspected.
 */
export interface DeadLetter {
  /** Unique per dead letter (one message consumed by two functions can give two). */
  id: string;
  at: string;
  source: 'queue' | 'schedule';
  /** The queue subject; null for a scheduled run. */
  subject: string | null;
  function: string;
  version: number;
  /** The message's id (queue) or the run's event id (schedule). */
  messageId: string;
  /** Who published the message ('key:<id>', 'jwt:<sub>'), or 'scheduler'. */
  actor: string;
  /** The payload as JSON text, cut to DEAD_LETTER_PAYLOAD_BYTES. */
  payload: string;
  /** The payload's full size in bytes: more than `payload` holds when it was cut. */
  payloadBytes: number;
  /** The error code that ended it: the guard's refusal, or the handler's last failure. */
  reason: string;
  /** The refusing guard and its rule; null when the handler failed. */
  guard: string | null;
  rule: string | null;
  /** Invocations attempted (0 when a guard refused before any ran). */
  attempts: number;
}

/** Bytes of payload a dead letter keeps (the rest is cut; payloadBytes says how much there was). */
export const DEAD_LETTER_PAYLOAD_BYTES = 256 * 1024;
/** Dead letters kept per function; older ones are deleted as new ones arrive. */
export const DEAD_LETTER_RETENTION = 10_000;

export interface DeadLetterStore {
  add(letter: DeadLetter): Promise<void>;
  /**
   * Newest first, at most `limit`. `functions` narrows to those names (the caller's scope); `function`
   * to one. Both absent: every function's.
   */
  list(q: { function?: string; functions?: readonly string[]; limit: number }): Promise<DeadLetter[]>;
}

/**
 * One sealed version of a secret (src/vault/). Only ciphertext is stored: the value is sealed with a
 * data key of its own (AES-256-GCM, additional data binding name and version), and the data key is
 * stored wrapped by the master key named by masterKeyId. Versions are immutable except for
 * re-wrapping their data key under a new master key (SecretStore.rewrap).
 */
export interface SealedSecret {
  name: string;
  version: number;
  /** The data key wrapped by the master key: 12-byte IV, ciphertext, 16-byte tag. */
  wrappedKey: Uint8Array;
  /** The value's 12-byte IV, ciphertext and 16-byte GCM tag. */
  iv: Uint8Array;
  ciphertext: Uint8Array;
  tag: Uint8Array;
  masterKeyId: string;
  createdAt: string;
  /** Actor that set the version ('key:<id>', 'jwt:<sub>'). */
  createdBy: string;
}

/** A secret's name and versions, never its value. */
export interface SecretSummary {
  name: string;
  activeVersion: number;
  latestVersion: number;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

/**
 * The master key check: a constant sealed under the master key when the vault is first opened, so a
 * wrong key is detected at start (it cannot open the canary) rather than at the first secret read.
 */
export interface VaultCanary {
  masterKeyId: string;
  sealed: Uint8Array;
  createdAt: string;
}

export interface SecretStore {
  canary(): Promise<VaultCanary | undefined>;
  /** Writes the first canary; returns false (and writes nothing) when one exists already. */
  initCanary(canary: VaultCanary): Promise<boolean>;
  /** Number of stored secret versions (all secrets, all versions). */
  countVersions(): Promise<number>;
  /** The version number the next put() of `name` must carry. Numbers are never reused, not even after remove(). */
  nextVersion(name: string): Promise<number>;
  /**
   * Stores a new version and makes it active, atomically. Throws BWK_E_VAULT_CONFLICT when `version` is
   * not nextVersion(name) (another writer got there first).
   */
  put(secret: SealedSecret): Promise<void>;
  getActive(name: string): Promise<SealedSecret | undefined>;
  getVersion(name: string, version: number): Promise<SealedSecret | undefined>;
  list(): Promise<SecretSummary[]>;
  /** Oldest first. */
  listVersions(name: string): Promise<SealedSecret[]>;
  /** Points the secret at an existing version (rollback). Throws BWK_E_VAULT_*_NOT_FOUND when absent. */
  activate(name: string, version: number, actor: string): Promise<void>;
  /** Removes the secret and all its versions. Returns false when there was none. */
  remove(name: string): Promise<boolean>;
  /** Every version, for re-wrapping. */
  all(): Promise<SealedSecret[]>;
  /**
   * Master key rotation, in one transaction: replaces the wrapped data key and master key id of every
   * listed version and the canary. Throws BWK_E_VAULT_CONFLICT (and changes nothing) when the set of
   * stored versions differs from the listed ones, or when the canary's key id is not `fromMasterKeyId`.
   */
  rewrap(fromMasterKeyId: string, rewrapped: Array<Pick<SealedSecret, 'name' | 'version' | 'wrappedKey' | 'masterKeyId'>>, canary: VaultCanary): Promise<void>;
}

/** A publisher's Ed25519 public key, registered for code signing (src/signing/). Never deleted: revoked. */
export interface PublisherKeyRecord {
  /** Derived from the public key (src/signing/signature.ts publisherKeyId). */
  id: string;
  name: string;
  /** Base64 SPKI DER. */
  publicKey: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface PublisherKeyStore {
  /** Throws BWK_E_SIGNING_KEY_EXISTS when a key with this id (the same public key) is registered already. */
  insert(key: PublisherKeyRecord): Promise<void>;
  get(id: string): Promise<PublisherKeyRecord | undefined>;
  /** Oldest first. */
  list(): Promise<PublisherKeyRecord[]>;
  /** Returns false when the key does not exist or was already revoked. */
  revoke(id: string, at: string): Promise<boolean>;
}

/**
 * Observed capability use of a function (src/policy/usage.ts), the run-time half of `bulwark policy`:
 * one row per function, capability ('secrets' | 'fetch'), target (a secret's name, or host:port) and
 * outcome. Counts only ever grow; first/last seen only ever widen.
 */
export interface CapabilityUse {
  function: string;
  capability: string;
  target: string;
  outcome: 'used' | 'denied';
  count: number;
  /** Epoch milliseconds. */
  firstSeen: number;
  lastSeen: number;
}

export interface CapabilityUseStore {
  /** Adds each entry's count to its row (creating it), widening first/last seen; one transaction. */
  record(uses: CapabilityUse[]): Promise<void>;
  /** Rows of one function, by capability, target, outcome. */
  list(fn: string): Promise<CapabilityUse[]>;
}

/**
 * Bounds of the function key-value store (context.kv, src/runtime/capabilities/kv.ts; docs/store.md),
 * enforced by every KvStore: a function cannot grow the database without limit through its grant.
 */
export const KV_LIMITS = {
  /** UTF-8 bytes of a key. */
  keyBytes: 512,
  /** UTF-8 bytes of a value's JSON text. */
  valueBytes: 64 * 1024,
  entriesPerNamespace: 10_000,
  /** Keys one list() returns at most (and by default). */
  listMax: 1000,
  listDefault: 100,
} as const;

/** One entry of a kv namespace. The value is JSON text; the store never interprets it. */
export interface KvEntry {
  namespace: string;
  key: string;
  value: string;
  updatedAt: string;
  /** The function that wrote it last. */
  updatedBy: string;
}

export interface KvStore {
  get(namespace: string, key: string): Promise<KvEntry | undefined>;
  /**
   * Creates or replaces an entry. Throws BWK_E_KV_KEY_INVALID (empty key, or over KV_LIMITS.keyBytes),
   * BWK_E_KV_VALUE_TOO_LARGE (over KV_LIMITS.valueBytes), or BWK_E_KV_NAMESPACE_FULL (a new key in a
   * namespace holding KV_LIMITS.entriesPerNamespace entries); nothing is written then.
   */
  put(entry: KvEntry): Promise<void>;
  /** Returns false when there was no such entry. */
  delete(namespace: string, key: string): Promise<boolean>;
  /** Keys starting with `prefix` (taken literally), in key order, at most `limit` (≤ KV_LIMITS.listMax). */
  list(namespace: string, opts: { prefix: string; limit: number }): Promise<string[]>;
}

/** Why a function is disabled (src/lifecycle/disable.ts). A function without one is enabled. */
export interface FunctionDisable {
  name: string;
  at: string;
  /** 'key:<id>', 'jwt:<sub>', or 'lifecycle-sweep'. */
  actor: string;
  reason: string;
  /** When it was offboarded without removal (expiry); null while it is only disabled. */
  offboardedAt: string | null;
}

/** What offboarding (src/lifecycle/offboard.ts) asks the store to do, in one transaction. */
export interface OffboardWrite {
  name: string;
  /** 'remove': the function goes as with FunctionRegistry.remove; 'disable': it stays, disabled and offboarded. */
  mode: 'disable' | 'remove';
  at: string;
  actor: string;
  reason: string;
  /** Secrets the function's active manifest grants: deleted unless another function not offboarded grants them too. */
  secrets: readonly string[];
  /** kv namespaces it grants: purged (same condition) when `purgeKv`, kept otherwise. */
  kvNamespaces: readonly string[];
  purgeKv: boolean;
}

export interface OffboardResult {
  /** mode 'remove': false when there was no such function (and nothing was written). */
  found: boolean;
  /** Keys scoped to this function only, revoked. */
  revokedKeys: string[];
  /** Keys scoped to this and other functions: this one was taken out of their scope. */
  narrowedKeys: string[];
  deletedSecrets: string[];
  /** Secrets kept because other functions grant them too, with those functions. */
  keptSecrets: Array<{ name: string; grantedBy: string[] }>;
  purgedKv: string[];
  keptKv: Array<{ namespace: string; grantedBy: string[] }>;
  kvEntriesDeleted: number;
}

export interface FunctionLifecycleStore {
  /** The function's disable record, or undefined when it is enabled. Read on every invocation (cached). */
  disabled(name: string): Promise<FunctionDisable | undefined>;
  listDisabled(): Promise<FunctionDisable[]>;
  /**
   * Disables an existing function. Returns false when it was disabled already (the first record is
   * kept). Throws BWK_E_REGISTRY_FUNCTION_NOT_FOUND when there is no such function.
   */
  disable(d: Omit<FunctionDisable, 'offboardedAt'>): Promise<boolean>;
  /** Enables a function; returns the lifted record, or undefined when it was not disabled. */
  enable(name: string): Promise<FunctionDisable | undefined>;
  /** Raises each function's last invocation time to at least `at` (ISO 8601); one transaction. */
  recordInvocations(last: ReadonlyArray<{ name: string; at: string }>): Promise<void>;
  lastInvocations(): Promise<Array<{ name: string; at: string }>>;
  /**
   * Offboards a function in one transaction: disables (and marks offboarded) or removes it, revokes the
   * API keys scoped to it alone, takes it out of the scope of keys that name other functions too (keys
   * for '*' are left), deletes the secrets and (when asked) purges the kv namespaces no other function
   * that is not offboarded grants. The "other functions grant it" check runs inside the transaction,
   * so a concurrent deploy cannot lose a secret it was just granted.
   */
  offboard(w: OffboardWrite): Promise<OffboardResult>;
}

export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';
export type IncidentSeverity = 'low' | 'medium' | 'high' | 'critical';

/** One line of an incident's timeline (src/incidents/). Never a secret value. */
export interface IncidentEntry {
  at: string;
  /** trigger: the rule matched (summary of the events); action: a playbook action and its outcome. */
  kind: 'trigger' | 'action' | 'acknowledged' | 'resolved';
  /** 'rule:<rule id>' for triggers, 'incident:<id>' for actions, the admin's actor id for ack and resolve. */
  actor: string;
  summary: string;
  detail?: Record<string, unknown>;
}

export interface Incident {
  id: string;
  /** The rule's id (src/incidents/rules.ts). */
  rule: string;
  severity: IncidentSeverity;
  status: IncidentStatus;
  /** What the rule groups by, for this incident: an address, an actor, a function name. */
  key: string;
  openedAt: string;
  updatedAt: string;
  /** Times the rule matched for this incident (the first included). */
  matches: number;
  /** Oldest first. */
  timeline: IncidentEntry[];
}

/**
 * Timeline entries kept per incident: beyond, further triggers only count in `matches` and further action
 * outcomes are only in the audit ledger (playbook.action); acknowledging and resolving are always kept.
 */
export const INCIDENT_TIMELINE_LIMIT = 500;

export interface IncidentStore {
  /**
   * In one transaction: appends `entry` (a trigger) to the incident of (rule, key) that is not resolved,
   * counting the match, or opens a new one with id `id` when there is none. At most one incident per
   * (rule, key) is ever not resolved.
   */
  recordMatch(match: { id: string; rule: string; severity: IncidentSeverity; key: string; entry: IncidentEntry }): Promise<{ incident: Incident; opened: boolean }>;
  /**
   * Appends an entry (an action and its outcome), unless the timeline holds INCIDENT_TIMELINE_LIMIT
   * entries already; returns the incident, undefined when there is none.
   */
  append(id: string, entry: IncidentEntry): Promise<Incident | undefined>;
  /**
   * Moves an incident to `to` with its entry, in one transaction, when its status is one of `from`.
   * Returns the incident as it is afterwards, or as it is when its status did not allow the move
   * (changed: false); undefined when there is no such incident.
   */
  transition(id: string, from: readonly IncidentStatus[], to: IncidentStatus, entry: IncidentEntry): Promise<{ incident: Incident; changed: boolean } | undefined>;
  get(id: string): Promise<Incident | undefined>;
  /** Newest (by last update) first, without timelines (empty arrays). */
  list(q: { status?: IncidentStatus; limit: number }): Promise<Incident[]>;
}

/**
 * One record of the tamper-evident audit ledger (src/audit/, docs/audit.md). `hash` is the SHA-256 of
 * the canonical serialisation of every other field (src/audit/record.ts), `prevHash` included, so the
 * records form a chain. Immutable once appended.
 */
export interface AuditRecord {
  /** 1, 2, 3… without gaps. */
  seq: number;
  at: string;
  actor: string;
  /** The security event type. */
  action: string;
  /** What it was done to: a function (name@version), key id, address, secret name…; '' when nothing. */
  target: string;
  outcome: string;
  requestId: string | null;
  sourceIp: string | null;
  /** Redacted details as canonical JSON text: the hash covers these exact bytes. */
  details: string;
  /** Hash of record seq - 1 (64 zeros for the first). */
  prevHash: string;
  hash: string;
}

/** A node-signed statement that the ledger held `seq` records ending in `hash` at `at`. */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  at: string;
  /** Public id of the node key that signed it (src/audit/node-key.ts). */
  keyId: string;
  /** Ed25519 signature over the canonical {seq, hash, at}, base64. */
  signature: string;
}

export interface AuditQuery {
  action?: string;
  actor?: string;
  target?: string;
  requestId?: string;
  /** Inclusive ISO timestamps. */
  since?: string;
  until?: string;
  /** Only records after this seq (paging forward). */
  afterSeq?: number;
  /** Newest records first when true (tail); oldest first otherwise. */
  newestFirst?: boolean;
  limit: number;
}

export interface AuditLog {
  /**
   * Appends records (and a checkpoint over them, when given) in one transaction. Throws
   * BWK_E_AUDIT_CONFLICT, appending nothing, when the first record does not continue the stored chain
   * (its seq is not latest + 1 or its prevHash is not the latest hash) or the records are not contiguous.
   */
  append(records: AuditRecord[], checkpoint?: AuditCheckpoint): Promise<void>;
  /** Stores a checkpoint over records already appended. */
  addCheckpoint(checkpoint: AuditCheckpoint): Promise<void>;
  latest(): Promise<AuditRecord | undefined>;
  /** Records with seq ≥ fromSeq in seq order, at most `limit`: how verification walks the whole ledger. */
  range(fromSeq: number, limit: number): Promise<AuditRecord[]>;
  query(filter: AuditQuery): Promise<AuditRecord[]>;
  /** Every stored checkpoint, oldest first. */
  checkpoints(): Promise<AuditCheckpoint[]>;
}

/**
 * The security scan recorded with a deployed version (src/scanner/gate/, docs/scanner.md): what the
 * deployer's scan reported, the waivers it used, and the gateway's own re-scan of the manifest.
 */
export interface ScanRecord {
  function: string;
  version: number;
  recordedAt: string;
  /** Who deployed (key id or JWT subject). */
  actor: string;
  /** 'cli': the deploy carried the deployer's scan; 'none': it did not (an older client, a raw API call). */
  source: 'cli' | 'none';
  /** Severity at or above which findings blocked (the gateway's scanner.failOn). */
  failOn: string;
  /** Finding counts by severity from the deployer's scan (waived ones included); {} when source is 'none'. */
  counts: Record<string, number>;
  /** Findings by severity of the gateway's re-scan of the manifest. */
  serverCounts: Record<string, number>;
  suppressed: number;
  files: number;
  /** Each finding let through by a waiver, with the waiver's reason, expiry and approver. */
  waived: Array<{ ruleId: string; severity: string; file: string; line: number; reason: string; expires: string; approvedBy?: string }>;
}

export interface ScanResultStore {
  /** Stores the record of a version; one left by a removed function of the same name and version is replaced. */
  record(r: ScanRecord): Promise<void>;
  get(fn: string, version: number): Promise<ScanRecord | undefined>;
  /** Every record of a function, oldest version first. */
  list(fn: string): Promise<ScanRecord[]>;
}

export interface Store {
  readonly kind: string;
  readonly functions: FunctionRegistry;
  readonly keys: ApiKeyStore;
  readonly logs: FunctionLogStore;
  readonly blocks: IpBlockStore;
  readonly spend: SpendStore;
  readonly deadLetters: DeadLetterStore;
  readonly secrets: SecretStore;
  readonly publishers: PublisherKeyStore;
  readonly capabilityUse: CapabilityUseStore;
  readonly kv: KvStore;
  readonly audit: AuditLog;
  readonly lifecycle: FunctionLifecycleStore;
  readonly incidents: IncidentStore;
  readonly scans: ScanResultStore;
  close(): Promise<void>;
}
