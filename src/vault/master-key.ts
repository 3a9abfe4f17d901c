// Where the master key comes from: BULWARK_MASTER_KEY (base64 of 32 bytes), else the key file
// $home/master.key (base64 text, mode 0600), created on first start. A key that is missing while
// secrets exist, malformed, or readable by other users stops the start; there is no plaintext fallback.

import { closeSync, existsSync, fsyncSync, lstatSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BulwarkError } from '../errors.ts';
import { KEY_BYTES } from './seal.ts';

export const MASTER_KEY_FILE = 'master.key';
/** A rotation's new key, written before the store commits and renamed over master.key after (vault.ts). */
export const NEXT_MASTER_KEY_FILE = 'master.key.next';
export const MASTER_KEY_ENV = 'BULWARK_MASTER_KEY';

export interface MasterKey {
  key: Buffer;
  /** 'env' when BULWARK_MASTER_KEY supplied it: rotation then hands the new key to the operator. */
  source: 'env' | 'file';
  /** What to name in messages: the variable, or the file path. Never the key. */
  where: string;
}

export function decodeMasterKey(text: string, where: string): Buffer {
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, 'base64');
  // Buffer.from ignores junk; a round trip proves the text was exactly base64 of 32 bytes.
  if (key.length !== KEY_BYTES || key.toString('base64') !== trimmed) throw new BulwarkError('BWK_E_VAULT_KEY_MALFORMED', [where]);
  return key;
}

export function readKeyFile(file: string): Buffer {
  const st = lstatSync(file);
  if (!st.isFile()) throw new BulwarkError('BWK_E_VAULT_KEY_MALFORMED', [file]);
  if ((st.mode & 0o077) !== 0) throw new BulwarkError('BWK_E_VAULT_KEY_PERMISSIONS', [file, (st.mode & 0o777).toString(8)]);
  return decodeMasterKey(readFileSync(file, 'utf8'), file);
}

/** Writes a key file with mode 0600 and syncs it; `exclusive` refuses to replace an existing file. */
export function writeKeyFile(file: string, key: Uint8Array, exclusive: boolean): void {
  const fd = openSync(file, exclusive ? 'wx' : 'w', 0o600);
  try {
    writeSync(fd, Buffer.from(key).toString('base64') + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Renames atomically and makes the rename durable (fsync of the directory). */
export function replaceFile(from: string, to: string): void {
  renameSync(from, to);
  const dir = openSync(dirname(to), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/**
 * The configured master key. `sealedDataExists` says whether the store holds anything sealed (a canary
 * or secrets): only when it does not may a new key file be created.
 */
export function loadMasterKey(home: string, env: NodeJS.ProcessEnv, sealedDataExists: boolean): MasterKey {
  const fromEnv = env[MASTER_KEY_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    return { key: decodeMasterKey(fromEnv, MASTER_KEY_ENV), source: 'env', where: MASTER_KEY_ENV };
  }
  const file = join(home, MASTER_KEY_FILE);
  if (existsSync(file)) return { key: readKeyFile(file), source: 'file', where: file };
  if (sealedDataExists) throw new BulwarkError('BWK_E_VAULT_KEY_MISSING', [file]);
  const key = randomBytes(KEY_BYTES);
  writeKeyFile(file, key, true);
  return { key, source: 'file', where: file };
}
