// Bundles on disk: $home/bundles/<sha256>.mjs, written once (temp file + rename, mode 0444) from the
// store's bytes (checked against their digest). Content-addressed; the provider removes a file once no
// pool uses it (the store keeps the bytes, so it is written again if needed).
//
// Load-time integrity: path() re-hashes the file on every call, i.e. right before each worker is started
// on it, in the gateway (not in the worker, whose process user code shares and which therefore cannot
// be trusted to report honestly). Writes are atomic (rename), so a file that does not hash to its name
// was modified after it was written: the worker is not started (BWK_E_SANDBOX_BUNDLE_TAMPERED), the
// file is deleted (the next load writes it again from the store) and onTampered records it. The window
// between this hash and the worker opening the file is closed by ownership rather than by time: the
// directory is 0700 and the file 0444, both owned by the gateway's user, and the sandbox mounts the
// file read-only (bubblewrap) under another uid, so only the gateway's own user could swap it in
// between — and that user can change the gateway itself. See docs/signing.md.

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BulwarkError } from '../../../errors.ts';
import { sha256Hex } from '../../../store/store.ts';

const SHA256 = /^[0-9a-f]{64}$/;

/** A bundle file found modified on disk: what was expected and what was there. */
export interface TamperedBundle {
  function: string;
  sha256: string;
  actual: string;
}

export class BundleFiles {
  readonly #dir: string;
  readonly #source: (sha256: string) => Promise<Uint8Array | undefined>;
  /** Files written (or found) in this process; path() still hashes them before every use. */
  readonly #verified = new Map<string, Promise<string>>();
  /** Removals in progress: a path() asked for meanwhile writes the file again after them. */
  readonly #removing = new Map<string, Promise<void>>();
  readonly #onTampered: (tampered: TamperedBundle) => Promise<void>;

  constructor(dir: string, source: (sha256: string) => Promise<Uint8Array | undefined>, onTampered: (tampered: TamperedBundle) => Promise<void>) {
    this.#dir = dir;
    this.#source = source;
    this.#onTampered = onTampered;
  }

  /**
   * The on-disk path of a bundle, its bytes hashed just now. Throws BWK_E_SANDBOX_LOAD_FAILED when it
   * cannot be had, BWK_E_SANDBOX_BUNDLE_TAMPERED when the file no longer hashes to `sha256`.
   */
  async path(sha256: string, fn: string): Promise<string> {
    const file = await this.#written(sha256, fn);
    const bytes = await readFile(file).catch(() => undefined);
    // Gone (removed by a retire meanwhile): write it again, which verifies the store's bytes.
    if (!bytes) {
      this.#verified.delete(sha256);
      return this.#written(sha256, fn);
    }
    const actual = sha256Hex(bytes);
    if (actual === sha256) return file;
    this.#verified.delete(sha256);
    await rm(file, { force: true });
    await this.#onTampered({ function: fn, sha256, actual });
    throw new BulwarkError('BWK_E_SANDBOX_BUNDLE_TAMPERED', [fn], { sha256, actual });
  }

  /** Writes the file once per process (or after remove()), from the store. */
  #written(sha256: string, fn: string): Promise<string> {
    let p = this.#verified.get(sha256);
    if (!p) {
      const removing = this.#removing.get(sha256);
      p = removing ? removing.then(() => this.#materialise(sha256, fn)) : this.#materialise(sha256, fn);
      this.#verified.set(sha256, p);
      p.catch(() => this.#verified.delete(sha256));
    }
    return p;
  }

  /** Deletes the file of a bundle no pool uses any more. */
  remove(sha256: string): Promise<void> {
    if (!SHA256.test(sha256)) return Promise.resolve();
    this.#verified.delete(sha256);
    const gone = rm(join(this.#dir, `${sha256}.mjs`), { force: true }).catch(() => undefined)
      .finally(() => { if (this.#removing.get(sha256) === gone) this.#removing.delete(sha256); });
    this.#removing.set(sha256, gone);
    return gone;
  }

  async #materialise(sha256: string, fn: string): Promise<string> {
    if (!SHA256.test(sha256)) throw new BulwarkError('BWK_E_SANDBOX_LOAD_FAILED', [fn], { why: 'malformed sha256' });
    const file = join(this.#dir, `${sha256}.mjs`);
    // A file from an earlier run is used as it is: path() hashes it before any worker loads it.
    if (await readFile(file).then(() => true, () => false)) return file;

    const bytes = await this.#source(sha256);
    if (!bytes) throw new BulwarkError('BWK_E_SANDBOX_LOAD_FAILED', [fn], { why: `bundle ${sha256} not found` });
    if (sha256Hex(bytes) !== sha256) throw new BulwarkError('BWK_E_SANDBOX_LOAD_FAILED', [fn], { why: `bundle ${sha256} digest mismatch` });
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const tmp = join(this.#dir, `.${sha256}.${randomBytes(6).toString('hex')}.tmp`);
    await writeFile(tmp, bytes, { mode: 0o444 });
    await rename(tmp, file);
    return file;
  }
}
