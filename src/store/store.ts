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
}

export interface NewFunctionVersion {
  name: string;
  manifest: Manifest;
  manifestSource: string;
  bundle: Uint8Array;
  sha256: string;
  deployedBy: string;
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

export interface Store {
  readonly kind: string;
  readonly functions: FunctionRegistry;
  readonly keys: ApiKeyStore;
  readonly logs: FunctionLogStore;
  close(): Promise<void>;
}
