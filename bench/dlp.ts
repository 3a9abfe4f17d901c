// The response scan's cost per invocation (src/dlp/response.ts): a typical ~1 KB JSON response with no
// credential (what every call pays: the prefilter finds no hint and no pattern runs), the same response
// with one credential in it (the redaction path), a 64 KB response, with and without 20 known secret
// values to search for, and a 1 MB body built to make a careless pattern quadratic (every hint, over
// and over). Reported only; tests never assert on speed.
//
//   node bench/dlp.ts [--rounds 20000]

import { cpus, release } from 'node:os';
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import '../src/manifest/input-schema.ts'; // the gateway's process runs with the linear-engine fallback on
import { inspectResponse } from '../src/dlp/response.ts';
import { createScanner, type Scanner } from '../src/dlp/scanner.ts';
import type { HttpResult } from '../src/runtime/sandbox/sandbox.ts';
import { quantile } from './internal/child.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '20000' } } });
const rounds = Number(values.rounds);

function jsonResponse(items: number, extra: Record<string, unknown> = {}): HttpResult {
  const list = Array.from({ length: items }, (_, i) => ({ id: randomUUID(), name: `item ${i}`, price: i * 3.5, tags: ['a', 'b'], sha: randomBytes(20).toString('hex') }));
  const body = JSON.stringify({ ok: true, items: list, ...extra });
  return { statusCode: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, cookies: [], body, isBase64Encoded: false };
}

/** µs per inspectResponse call, sorted, after a warm-up of a tenth of the rounds (1/200 of them for large bodies). */
function timings(result: HttpResult, scanner: Scanner, mode: 'block' | 'redact'): number[] {
  const out: number[] = [];
  const n = result.body.length > 100_000 ? Math.ceil(rounds / 200) : rounds;
  for (let i = -Math.floor(n / 10); i < n; i++) {
    const t0 = process.hrtime.bigint();
    inspectResponse(result, scanner, mode);
    if (i >= 0) out.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return out.sort((a, b) => a - b);
}

const shapesOnly = createScanner();
const knownValues = Array.from({ length: 20 }, () => randomBytes(24).toString('base64url'));
const withKnown = createScanner({ secretValues: () => knownValues });
const typical = jsonResponse(7);
const cases: Array<[string, HttpResult, Scanner, 'block' | 'redact']> = [
  [`clean JSON, ${typical.body.length} B, shapes only`, typical, shapesOnly, 'block'],
  [`clean JSON, ${typical.body.length} B, + 20 known secrets`, typical, withKnown, 'block'],
  ['JSON with an AWS key id, redact', jsonResponse(7, { key: 'AKIAIOSFODNN7EXAMPLE' }), shapesOnly, 'redact'],
  ['clean JSON, ~64 KB, + 20 known secrets', jsonResponse(450), withKnown, 'block'],
  ['1 MB of hints (eyJ- bwk_ AKIA Bearer …), shapes only', hostile(), shapesOnly, 'block'],
];

function hostile(): HttpResult {
  const unit = 'eyJ-bwk_x-AKIA-Bearer -----BEGIN xoxb-ghp_AIza-sk_live_-secret_access_key=';
  return { statusCode: 200, headers: {}, cookies: [], body: unit.repeat(Math.ceil(2 ** 20 / unit.length)), isBase64Encoded: false };
}

console.log(`Machine: ${cpus()[0]?.model ?? 'unknown cpu'} × ${cpus().length}, Linux ${release()}, Node.js ${process.version}. ${rounds} calls each.`);
console.log('| response | median µs | p99 µs |');
console.log('|---|---:|---:|');
for (const [name, result, scanner, mode] of cases) {
  const t = timings(result, scanner, mode);
  console.log(`| ${name} | ${quantile(t, 0.5).toFixed(1)} | ${quantile(t, 0.99).toFixed(1)} |`);
}
