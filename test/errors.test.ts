// The error table and docs/errors.md agree both ways, the number of codes is pinned (adding one is a
// deliberate change to this file, the table and the docs), and every code and message follows the rules.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { errors, BulwarkError, toErrorBody } from '../src/errors.ts';

const pinnedCount = 118;
const areas = ['GATEWAY', 'GUARD', 'SANDBOX', 'BROKER', 'MANIFEST', 'DEPLOY', 'REGISTRY', 'STORE', 'BUS', 'CONFIG', 'CLI', 'SCANNER', 'SIGNING', 'DLP', 'VAULT', 'POLICY', 'KV', 'AUDIT', 'METRICS', 'INCIDENT', 'LIFECYCLE'];

interface DocEntry { status: number; message: string; when: string; todo: string }

function readDocs(): Map<string, DocEntry> {
  const text = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const entries = new Map<string, DocEntry>();
  for (const section of text.split(/^## /m).slice(1)) {
    const code = section.split('\n', 1)[0]!.trim();
    const field = (name: string) => section.match(new RegExp(`^- \\*\\*${name}:\\*\\* (.*)$`, 'm'))?.[1];
    const rawMessage = field('Message') ?? '';
    entries.set(code, {
      status: Number(field('HTTP status')),
      message: rawMessage.match(/^(`+) ?(.*?) ?\1$/)?.[2] ?? '',
      when: field('When') ?? '',
      todo: field('What to do') ?? '',
    });
  }
  return entries;
}

test('the number of error codes is pinned', () => {
  assert.equal(Object.keys(errors).length, pinnedCount,
    'a code was added or removed: update pinnedCount here and its section in docs/errors.md');
});

test('every code in the table has a docs section with the same status and message', () => {
  const docs = readDocs();
  for (const [code, spec] of Object.entries(errors)) {
    const doc = docs.get(code);
    assert.ok(doc, `docs/errors.md has no "## ${code}" section`);
    assert.equal(doc.status, spec.status, `${code}: docs say HTTP ${doc.status}, the table ${spec.status}`);
    assert.equal(doc.message, spec.message, `${code}: docs and table disagree on the message`);
    assert.ok(doc.when.length > 20, `${code}: docs must say when it happens`);
    assert.ok(doc.todo.length > 10, `${code}: docs must say what to do`);
  }
});

test('every code documented exists in the table', () => {
  for (const code of readDocs().keys()) assert.ok(code in errors, `docs/errors.md documents ${code}, which src/errors.ts does not have`);
});

test('codes are BWK_E_<AREA>_<WHAT> with a known area', () => {
  for (const code of Object.keys(errors)) {
    const m = code.match(/^BWK_E_([A-Z]+)_([A-Z0-9]+(?:_[A-Z0-9]+)*)$/);
    assert.ok(m, `${code} does not match BWK_E_<AREA>_<WHAT>`);
    assert.ok(areas.includes(m[1]!), `${code}: unknown area ${m[1]} (known: ${areas.join(', ')})`);
  }
});

test('statuses are HTTP error statuses', () => {
  for (const [code, spec] of Object.entries(errors)) {
    assert.ok(Number.isInteger(spec.status) && spec.status >= 400 && spec.status <= 599, `${code}: status ${spec.status}`);
  }
});

test('no message carries a path or a stack', () => {
  for (const [code, spec] of Object.entries(errors)) {
    assert.doesNotMatch(spec.message, /stack/i, `${code} mentions a stack`);
    assert.doesNotMatch(spec.message, /(^|[\s'"(])(\/|~\/|\.\.?\/|[A-Za-z]:\\)[\w.-]/, `${code} contains a path`);
    assert.doesNotMatch(spec.message, /\.(ts|js|json|ya?ml|db|sqlite)\b/, `${code} names a file`);
  }
});

test('toErrorBody exposes only code, message and request id; unknown errors become BWK_E_GATEWAY_INTERNAL', () => {
  const known = toErrorBody(new BulwarkError('BWK_E_GUARD_FORBIDDEN', ['invoke hello'], { secret: 'x' }), 'req-1');
  assert.deepEqual(known, { status: 403, body: { error: { code: 'BWK_E_GUARD_FORBIDDEN', message: 'Not allowed to invoke hello', requestId: 'req-1' } } });
  const unknown = toErrorBody(new Error('at /srv/bulwark/src/x.ts:1'), 'req-2');
  assert.deepEqual(unknown, { status: 500, body: { error: { code: 'BWK_E_GATEWAY_INTERNAL', message: 'Internal error', requestId: 'req-2' } } });
});
