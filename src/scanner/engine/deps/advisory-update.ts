// `bulwark advisories update`: loads an OSV dump — a directory of .json/.jsonl records, a zip such as
// OSV's npm/all.zip, or a URL serving either — validates every record, and replaces the advisory store
// in one step. Records are written to a fresh sibling directory first and swapped in by rename, so a
// scan never reads a half-written store and a bad source leaves the old one untouched.

import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { once } from 'node:events';
import yauzl from 'yauzl';
import { BulwarkError } from '../../../errors.ts';
import { isNpmRecord, parseOsvText, type OsvRecord } from './advisories.ts';

/** Above this an entry is not an advisory: refusing it keeps a hostile zip from filling memory. */
const maxEntryBytes = 64 * 1024 * 1024;
/** All entries of one zip together: a zip of many entries just under maxEntryBytes is a bomb too. */
const maxZipTotalBytes = 4 * 1024 * 1024 * 1024;
/** OSV's whole npm export is ~50 MB zipped; a download far beyond that is not what was asked for. */
const maxDownloadBytes = 1024 * 1024 * 1024;

export interface UpdateCounts {
  /** npm advisories written (withdrawn ones included: the scanner skips them itself). */
  written: number;
  withdrawn: number;
  /** Records about other ecosystems only. */
  skipped: number;
  /** Records whose id was already seen in the same source; the first one is kept. */
  duplicates: number;
  files: number;
}

export interface UpdateDeps {
  fetch: typeof fetch;
  now: () => Date;
}

type Batch = { records: OsvRecord[] };

function unreadable(from: string, why: string): BulwarkError {
  return new BulwarkError('BWK_E_SCANNER_ADVISORIES_UNREADABLE', [from, why]);
}

const isZip = (b: Buffer) => b.length >= 4 && b.readUInt32LE(0) === 0x04034b50;
const isOsvFile = (name: string) => /\.jsonl?$/i.test(name);

/** The zip's next entry, or undefined at its end (yauzl's lazyEntries mode, one listener set at a time). */
function nextEntry(zip: yauzl.ZipFile, from: string): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const done = () => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (e: yauzl.Entry) => (done(), resolve(e));
    const onEnd = () => (done(), resolve(undefined));
    const onError = (e: Error) => (done(), reject(unreadable(from, `broken zip (${e.message})`)));
    zip.on('entry', onEntry).on('end', onEnd).on('error', onError);
    zip.readEntry();
  });
}

async function* zipBatches(buffer: Buffer, from: string): AsyncGenerator<Batch> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (err, z) => (err ? reject(unreadable(from, `not a readable zip (${err.message})`)) : resolve(z)));
  });
  let total = 0;
  try {
    for (let entry = await nextEntry(zip, from); entry; entry = await nextEntry(zip, from)) {
      if (entry.fileName.endsWith('/') || !isOsvFile(entry.fileName)) continue;
      // Declared sizes are checked against the bytes actually inflated by yauzl (validateEntrySizes).
      if (entry.uncompressedSize > maxEntryBytes) throw unreadable(from, `${entry.fileName} is larger than ${maxEntryBytes} bytes`);
      total += entry.uncompressedSize;
      if (total > maxZipTotalBytes) throw unreadable(from, `its entries hold more than ${maxZipTotalBytes} bytes uncompressed`);
      const e = entry;
      const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) => zip.openReadStream(e, (err, st) => (err ? reject(unreadable(from, `${e.fileName}: ${err.message}`)) : resolve(st))));
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      const where = `${basename(from)}!${e.fileName}`;
      yield { records: parseOsvText(Buffer.concat(chunks).toString('utf8'), where) };
    }
  } finally {
    zip.close();
  }
}

async function download(url: string, deps: UpdateDeps): Promise<Buffer> {
  let res: Response;
  try {
    res = await deps.fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(10 * 60_000) });
  } catch (err) {
    throw unreadable(url, `download failed (${(err as Error).message})`);
  }
  if (!res.ok || !res.body) throw unreadable(url, `download failed with HTTP ${res.status}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res.body) {
    size += c.length;
    if (size > maxDownloadBytes) throw unreadable(url, `download is larger than ${maxDownloadBytes} bytes`);
    chunks.push(Buffer.from(c));
  }
  return Buffer.concat(chunks);
}

async function* sourceBatches(from: string, deps: UpdateDeps): AsyncGenerator<Batch> {
  if (/^https?:\/\//i.test(from)) {
    const body = await download(from, deps);
    if (isZip(body)) yield* zipBatches(body, from);
    else yield { records: parseOsvText(body.toString('utf8'), from) };
    return;
  }
  let info;
  try {
    info = await stat(from);
  } catch {
    throw unreadable(from, 'no such file or directory');
  }
  if (info.isDirectory()) {
    const files = (await readdir(from, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile() && (isOsvFile(e.name) || e.name.endsWith('.zip')))
      .map((e) => join(e.parentPath, e.name))
      .sort();
    for (const file of files) yield* sourceBatches(file, deps);
    return;
  }
  const head = Buffer.alloc(4);
  const fh = await open(from, 'r');
  try {
    await fh.read(head, 0, 4, 0);
  } finally {
    await fh.close();
  }
  if (isZip(head)) yield* zipBatches(await readFile(from), from);
  else if (isOsvFile(from)) yield { records: parseOsvText(await readFile(from, 'utf8'), from) };
  else throw unreadable(from, 'expected a directory, a .json/.jsonl file, a .zip or an http(s) URL');
}

/**
 * Validates every record of `from` and replaces the store directory `to` with them (one JSONL file plus
 * a SOURCE.md saying where they came from). Throws, writing nothing, on any invalid record or when the
 * source holds no npm advisory.
 */
export async function updateAdvisories(opts: { from: string; to: string }, deps: UpdateDeps): Promise<UpdateCounts> {
  await assertReplaceable(opts.to);
  await mkdir(dirname(opts.to), { recursive: true });
  const staging = await mkdtemp(`${opts.to}.update-`);
  try {
    const counts: UpdateCounts = { written: 0, withdrawn: 0, skipped: 0, duplicates: 0, files: 0 };
    // Streamed: each file's records go out as soon as they are validated, so a dump of hundreds of
    // thousands of records never sits in memory at once; only the ids do, to drop repeats.
    const seen = new Set<string>();
    const out = createWriteStream(join(staging, 'npm-advisories.osv.jsonl'));
    const closed = once(out, 'close');
    try {
      for await (const batch of sourceBatches(opts.from, deps)) {
        counts.files++;
        for (const r of batch.records) {
          if (!isNpmRecord(r)) {
            counts.skipped++;
            continue;
          }
          if (seen.has(r.id)) {
            counts.duplicates++;
            continue;
          }
          seen.add(r.id);
          if (r.withdrawn) counts.withdrawn++;
          counts.written++;
          if (!out.write(JSON.stringify(r) + '\n')) await once(out, 'drain');
        }
      }
    } finally {
      out.end();
      await closed;
    }
    if (counts.written === 0) throw new BulwarkError('BWK_E_SCANNER_ADVISORIES_INVALID', [opts.from, `no npm advisory in ${counts.files} file(s)`]);
    await writeFile(join(staging, 'SOURCE.md'), sourceNote(opts.from, counts, deps.now()));

    // Swap: the old store moves aside, the new one takes its name, the old one goes. A failure in between
    // puts the old one back.
    const aside = `${opts.to}.old-${randomBytes(4).toString('hex')}`;
    const hadOld = await stat(opts.to).then(() => true, () => false);
    if (hadOld) await rename(opts.to, aside);
    try {
      await rename(staging, opts.to);
    } catch (err) {
      if (hadOld) await rename(aside, opts.to);
      throw err;
    }
    if (hadOld) await rm(aside, { recursive: true, force: true });
    return counts;
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The update replaces `to` wholesale (the old directory is deleted after the swap), so `to` must be
 * absent or an advisory store: a directory of OSV .json/.jsonl files and notes (.md). `--to .` or
 * `--to ~` by mistake must not delete a project or a home directory.
 */
async function assertReplaceable(to: string): Promise<void> {
  let entries;
  try {
    entries = await readdir(to, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    throw new BulwarkError('BWK_E_CLI_USAGE', [`--to ${to} ${code === 'ENOTDIR' ? 'is a file' : `cannot be read (${code ?? 'error'})`}, not an advisory directory: refusing to replace it`]);
  }
  const foreign = entries.find((e) => !e.isFile() || !/\.(?:jsonl?|md)$/i.test(e.name));
  if (foreign) {
    throw new BulwarkError('BWK_E_CLI_USAGE', [`--to ${to} holds ${foreign.name}, which is not advisory data: the update replaces the whole directory, so it only replaces one that holds nothing but .json/.jsonl/.md files`]);
  }
}

function sourceNote(from: string, c: UpdateCounts, now: Date): string {
  const origin = /^https?:\/\//i.test(from) ? from : basename(from);
  return `# npm advisories (OSV)

Written by \`bulwark advisories update\` on ${now.toISOString()} from \`${origin}\`:
${c.written} npm advisories (${c.withdrawn} withdrawn, which the scanner skips), from ${c.files} file(s);
${c.skipped} records about other ecosystems left out.

Licences are those of the records' origins: GitHub Advisory Database (\`GHSA-*\`) CC-BY-4.0 © GitHub, Inc.,
https://github.com/github/advisory-database; OpenSSF malicious packages (\`MAL-*\`) Apache-2.0,
https://github.com/ossf/malicious-packages; others as named in each record's \`database_specific\`.
`;
}
