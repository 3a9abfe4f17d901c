// The secrets vault: envelope encryption over the SecretStore. Each secret version gets a random 256-bit
// data key; the value is sealed with it (AES-256-GCM, AAD = name and version), and the data key is
// wrapped by the master key (AES-256-GCM, AAD = name and version too). Wrapping uses GCM rather than
// AES-KW (RFC 3394) so that one authenticated primitive, with one AAD discipline, covers everything: a
// wrapped key copied to another row fails to unwrap exactly as a moved value fails to decrypt.
// Plaintext exists in memory only: it is never logged, never put in an error, never written.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BulwarkError } from '../errors.ts';
import type { SealedSecret, SecretStore, SecretSummary, VaultCanary } from '../store/store.ts';
import { KEY_BYTES, masterKeyId, rotationProof, seal, sealBlob, unseal, unsealBlob } from './seal.ts';
import { loadMasterKey, MASTER_KEY_FILE, NEXT_MASTER_KEY_FILE, readKeyFile, replaceFile, writeKeyFile, type MasterKey } from './master-key.ts';

/** Secret names: like environment variable names, so `permissions.secrets` reads like one. */
export const SECRET_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;
export const MAX_SECRET_BYTES = 64 * 1024;

const CANARY_AAD = 'bulwark-vault/canary';
const CANARY = Buffer.from('bulwark-vault-canary-v1', 'utf8');
const valueAad = (name: string, version: number) => `bulwark-vault/value\u0000${name}\u0000${version}`;
const dataKeyAad = (name: string, version: number) => `bulwark-vault/data-key\u0000${name}\u0000${version}`;

export interface SecretVersionInfo {
  name: string;
  version: number;
  createdAt: string;
  createdBy: string;
}

export interface MasterRotation {
  masterKeyId: string;
  /** Secret versions whose data key was re-wrapped. */
  rewrapped: number;
}

/** A BULWARK_MASTER_KEY rotation's first step: the new key, handed out once, not yet sealing anything. */
export interface PreparedRotation {
  /** The new key's public id: what commit names. */
  masterKeyId: string;
  /** The new key, base64: the only copy outside gateway memory. */
  newKey: string;
  expiresAt: string;
}

/** How long a prepared key waits for its commit before it is forgotten. */
export const PREPARED_ROTATION_TTL_MS = 15 * 60 * 1000;

/**
 * Also the leak scanner's KnownSecretSource (src/dlp/scanner.ts): the gateway redacts and blocks these
 * values wherever they would leave (logs, responses), so it must know them; they are decrypted once at
 * open and after each change, and held in memory only.
 */
export interface Vault {
  /** Every stored version's value, as text. The same array until a secret changes. */
  secretValues(): readonly string[];
  /** The id of the master key in use (public; see masterKeyId in seal.ts). */
  masterKeyId(): string;
  /** Seals `value` as a new version of `name` (the first, for a new name) and makes it active. */
  set(name: string, value: Uint8Array, actor: string): Promise<SecretVersionInfo>;
  /** Like set, but `name` must exist already. */
  rotate(name: string, value: Uint8Array, actor: string): Promise<SecretVersionInfo>;
  /** The active version's plaintext, or undefined when there is no such secret. */
  get(name: string): Promise<Buffer | undefined>;
  list(): Promise<SecretSummary[]>;
  versions(name: string): Promise<SecretVersionInfo[]>;
  /** Makes an earlier (or later) stored version active again. */
  rollback(name: string, version: number, actor: string): Promise<void>;
  remove(name: string): Promise<boolean>;
  /** Key file only: re-wraps every data key under a new master key, in one store transaction; see docs/vault.md. */
  rotateMaster(): Promise<MasterRotation>;
  /**
   * BULWARK_MASTER_KEY only, step 1: a new key held in memory (replacing any earlier prepared one) until
   * it is committed, PREPARED_ROTATION_TTL_MS pass, or the gateway stops. Changes nothing stored.
   */
  prepareMasterRotation(): Promise<PreparedRotation>;
  /**
   * Step 2: re-wraps every data key under the prepared key `keyId`, in one store transaction, once `proof`
   * (rotationProof in seal.ts, computed from the key the operator saved) shows the operator holds it.
   */
  commitMasterRotation(keyId: string, proof: string): Promise<MasterRotation>;
}

export interface VaultOptions {
  store: SecretStore;
  home: string;
  env: NodeJS.ProcessEnv;
  /** Milliseconds since the epoch; tests move it to expire a prepared rotation. */
  now?: () => number;
}

function checkName(name: string): void {
  if (!SECRET_NAME.test(name)) throw new BulwarkError('BWK_E_VAULT_SECRET_INVALID', ['its name must match [A-Z][A-Z0-9_]{0,63}']);
}

function checkValue(value: Uint8Array): void {
  if (value.length === 0) throw new BulwarkError('BWK_E_VAULT_SECRET_INVALID', ['it is empty']);
  if (value.length > MAX_SECRET_BYTES) throw new BulwarkError('BWK_E_VAULT_SECRET_INVALID', [`it exceeds ${MAX_SECRET_BYTES} bytes`]);
}

const opensCanary = (key: Uint8Array, canary: VaultCanary) => unsealBlob(key, canary.sealed, CANARY_AAD)?.equals(CANARY) === true;

function info(s: SealedSecret): SecretVersionInfo {
  return { name: s.name, version: s.version, createdAt: s.createdAt, createdBy: s.createdBy };
}

/**
 * Loads the master key and proves it opens this store's canary (written on first open), finishing an
 * interrupted master key rotation if one left its new key in master.key.next.
 */
async function openMasterKey(opts: VaultOptions): Promise<MasterKey> {
  const canary = await opts.store.canary();
  const sealedDataExists = canary !== undefined || (await opts.store.countVersions()) > 0;
  const master = loadMasterKey(opts.home, opts.env, sealedDataExists);
  const next = join(opts.home, NEXT_MASTER_KEY_FILE);
  if (!canary) {
    await opts.store.initCanary({ masterKeyId: masterKeyId(master.key), sealed: sealBlob(master.key, CANARY, CANARY_AAD), createdAt: new Date().toISOString() });
    return openMasterKey(opts);
  }
  if (opensCanary(master.key, canary)) {
    // A rotation that stopped before its store commit: its new key never sealed anything.
    if (master.source === 'file' && existsSync(next)) unlinkSync(next);
    return master;
  }
  // A rotation that committed but stopped before renaming its new key file into place.
  if (master.source === 'file' && existsSync(next)) {
    const key = readKeyFile(next);
    if (opensCanary(key, canary)) {
      replaceFile(next, master.where);
      return { ...master, key };
    }
  }
  throw new BulwarkError('BWK_E_VAULT_KEY_WRONG', [master.where], { expectedKeyId: canary.masterKeyId, keyId: masterKeyId(master.key) });
}

export async function openVault(opts: VaultOptions): Promise<Vault> {
  const { store, home } = opts;
  const now = opts.now ?? Date.now;
  let master = await openMasterKey(opts);
  let keyId = masterKeyId(master.key);
  let known: readonly string[] = [];

  const sealVersion = async (name: string, value: Uint8Array, actor: string, mustExist: boolean): Promise<SecretVersionInfo> => {
    checkName(name);
    checkValue(value);
    if (mustExist && !(await store.getActive(name))) throw new BulwarkError('BWK_E_VAULT_SECRET_NOT_FOUND', [name]);
    const version = await store.nextVersion(name);
    const dataKey = randomBytes(KEY_BYTES);
    try {
      const sealed = seal(dataKey, value, valueAad(name, version));
      const record: SealedSecret = {
        name, version, ...sealed,
        wrappedKey: sealBlob(master.key, dataKey, dataKeyAad(name, version)),
        masterKeyId: keyId, createdAt: new Date().toISOString(), createdBy: actor,
      };
      await store.put(record);
      return info(record);
    } finally {
      dataKey.fill(0);
    }
  };

  const open = (s: SealedSecret): Buffer => {
    const dataKey = unsealBlob(master.key, s.wrappedKey, dataKeyAad(s.name, s.version));
    if (!dataKey) throw new BulwarkError('BWK_E_VAULT_CORRUPT', [s.name, s.version], { masterKeyId: s.masterKeyId, keyId });
    try {
      const value = unseal(dataKey, s, valueAad(s.name, s.version));
      if (!value) throw new BulwarkError('BWK_E_VAULT_CORRUPT', [s.name, s.version]);
      return value;
    } finally {
      dataKey.fill(0);
    }
  };

  // Old versions too: a value rotated away may still be in use somewhere and must not leak either.
  const refreshKnown = async () => {
    known = (await store.all()).map((s) => open(s).toString('utf8'));
  };
  await refreshKnown();
  // Every change runs alone, in arrival order. Two master rotations interleaved would each write
  // master.key.next and one would rename the other's key over master.key after committing its own: the
  // store sealed under a key kept nowhere. A set between a rotation's commit and its switch to the new
  // key would wrap under the retired one.
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(change: () => Promise<T>): Promise<T> => {
    const run = queue.then(change, change);
    queue = run.catch(() => undefined);
    return run;
  };
  const changing = <T>(change: () => Promise<T>): Promise<T> => exclusive(async () => {
    try {
      return await change();
    } finally {
      await refreshKnown();
    }
  });

  // A prepared BULWARK_MASTER_KEY rotation: memory only, so a restart forgets it.
  let prepared: { key: Buffer; keyId: string; expiresAt: number } | undefined;
  const forgetPrepared = () => {
    prepared?.key.fill(0);
    prepared = undefined;
  };

  /** Every data key wrapped under `newKey`, and a canary for it; nothing is stored yet. */
  const rewrapAll = async (newKey: Buffer) => {
    const newId = masterKeyId(newKey);
    const rewrapped = (await store.all()).map((s) => {
      const dataKey = unsealBlob(master.key, s.wrappedKey, dataKeyAad(s.name, s.version));
      if (!dataKey) throw new BulwarkError('BWK_E_VAULT_CORRUPT', [s.name, s.version], { masterKeyId: s.masterKeyId, keyId });
      try {
        return { name: s.name, version: s.version, wrappedKey: sealBlob(newKey, dataKey, dataKeyAad(s.name, s.version)), masterKeyId: newId };
      } finally {
        dataKey.fill(0);
      }
    });
    const canary: VaultCanary = { masterKeyId: newId, sealed: sealBlob(newKey, CANARY, CANARY_AAD), createdAt: new Date().toISOString() };
    return { rewrapped, canary };
  };

  const switchTo = (newKey: Buffer, rewrapped: number): MasterRotation => {
    master = { ...master, key: newKey };
    keyId = masterKeyId(newKey);
    return { masterKeyId: keyId, rewrapped };
  };

  return {
    secretValues: () => known,
    masterKeyId: () => keyId,
    set: (name, value, actor) => changing(() => sealVersion(name, value, actor, false)),
    rotate: (name, value, actor) => changing(() => sealVersion(name, value, actor, true)),
    async get(name) {
      const s = await store.getActive(name);
      return s && open(s);
    },
    list: () => store.list(),
    async versions(name) {
      return (await store.listVersions(name)).map(info);
    },
    rollback: (name, version, actor) => exclusive(() => store.activate(name, version, actor)),
    remove: (name) => changing(() => store.remove(name)),
    rotateMaster: () => exclusive(async () => {
      if (master.source === 'env') throw new BulwarkError('BWK_E_VAULT_ROTATION_MODE', [master.where, 'prepare and commit (POST /admin/v1/vault/rotate-master/prepare, then /commit)']);
      const newKey = randomBytes(KEY_BYTES);
      const { rewrapped, canary } = await rewrapAll(newKey);
      // The new key is on disk (master.key.next) before the store commits, and replaces master.key after:
      // a crash between the two is finished by the next start (openMasterKey), never leaving sealed data
      // without its key.
      const next = join(home, NEXT_MASTER_KEY_FILE);
      if (existsSync(next)) unlinkSync(next);
      writeKeyFile(next, newKey, true);
      try {
        await store.rewrap(keyId, rewrapped, canary);
      } catch (err) {
        unlinkSync(next);
        throw err;
      }
      replaceFile(next, join(home, MASTER_KEY_FILE));
      return switchTo(newKey, rewrapped.length);
    }),
    // The gateway cannot change its own environment, so the operator must hold the new key before anything
    // is sealed under it: prepare hands it out and changes nothing; commit, which needs proof that the
    // operator kept it, re-wraps. An answer lost between the two costs a new prepare, never the vault.
    prepareMasterRotation: () => exclusive(async () => {
      if (master.source === 'file') throw new BulwarkError('BWK_E_VAULT_ROTATION_MODE', [master.where, 'one step (POST /admin/v1/vault/rotate-master)']);
      forgetPrepared();
      const key = randomBytes(KEY_BYTES);
      prepared = { key, keyId: masterKeyId(key), expiresAt: now() + PREPARED_ROTATION_TTL_MS };
      return { masterKeyId: prepared.keyId, newKey: key.toString('base64'), expiresAt: new Date(prepared.expiresAt).toISOString() };
    }),
    commitMasterRotation: (commitKeyId, proof) => exclusive(async () => {
      if (prepared && now() >= prepared.expiresAt) forgetPrepared();
      if (!prepared || prepared.keyId !== commitKeyId) throw new BulwarkError('BWK_E_VAULT_ROTATION_NOT_PREPARED', [commitKeyId]);
      const expected = Buffer.from(rotationProof(prepared.key), 'utf8');
      const offered = Buffer.from(proof, 'utf8');
      if (offered.length !== expected.length || !timingSafeEqual(offered, expected)) {
        throw new BulwarkError('BWK_E_VAULT_ROTATION_PROOF_WRONG', [commitKeyId]);
      }
      const newKey = prepared.key;
      // Re-read at commit time: secrets set between prepare and commit are re-wrapped too.
      const { rewrapped, canary } = await rewrapAll(newKey);
      await store.rewrap(keyId, rewrapped, canary);
      prepared = undefined;
      return switchTo(newKey, rewrapped.length);
    }),
  };
}
