// Bundles on disk: $home/bundles/<sha256>.mjs, written once (temp file + rename, mode 0444) and
// verified against their SHA-256 before a worker is pointed at them. Content-addressed, so a file left
// behind by a crash is harmless and never wrong; the provider removes a file once no pool uses it (the
// store keeps the bytes, so it is written again if needed).

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BulwarkError } from '../../../errors.ts';
import { sha256Hex } from '../../../store/store.ts';

const SHA256 = /^[0-9a-f]{64}$/;

export class BundleFiles {
  readonly #dir: string;
  readonly #source: (sha256: string) => Promise<Uint8Array | undefined>;
  /** Paths verified in this process, so a warm pool does not re-hash on every spawn. */
  readonly #verified = new Map<string, Promise<string>>();
  /** Removals in progress: a path() asked for meanwhile writes the file again after them. */
  readonly #removing = new Map<string, Promise<void>>();

  constructor(dir: string, source: (sha256: string) => Promise<Uint8Array | undefined>) {
    this.#dir = dir;
    this.#source = source;
  }

  /** The verified on-disk path of a bundle. Throws BWK_E_SANDBOX_LOAD_FAILED when it cannot be had. */
  path(sha256: string, fn: string): Promise<string> {
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
    const existing = await readFile(file).catch(() => undefined);
    if (existing && sha256Hex(existing) === sha256) return file;
    if (existing) await rm(file, { force: true }); // corrupted or tampered: replace from the store

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
