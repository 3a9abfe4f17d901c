import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InjectionPolicy } from '../../manifest/types.ts';
import { manifestYaml, queueRequest, request, target } from '../testing.ts';
import { multipartText, splitKey, walkRequest, type FieldAt, type ValueFacts } from './fields.ts';

const fn = target(manifestYaml({ path: '/files/{name}' }));
const open: InjectionPolicy = { mode: 'block', exempt: [], base64: [] };

interface Seen { kind: 'key' | 'value'; at: string; text: string; parent?: string | undefined; facts?: Partial<ValueFacts>; exempt?: boolean }

function walk(req = request(fn), policy = open, maxDepth = 64, stopAt?: string): { seen: Seen[]; tooDeep: string[] } {
  const seen: Seen[] = [];
  const tooDeep: string[] = [];
  const name = (at: FieldAt) => [at.source, ...at.path].join('.');
  walkRequest(req, policy, maxDepth, {
    key(text, parent, at, exempt) {
      seen.push({ kind: 'key', at: name(at), text, parent, exempt });
      return text === stopAt;
    },
    value(text, at, facts) {
      seen.push({ kind: 'value', at: name(at), text, facts: { exempt: facts.exempt, base64: facts.base64, key: facts.key, xmlBody: facts.xmlBody, rawBody: facts.rawBody, skip: facts.skip } });
      return text === stopAt;
    },
    tooDeep(at) {
      tooDeep.push(name(at));
    },
  });
  return { seen, tooDeep };
}
const json = (v: unknown) => ({ body: Buffer.from(JSON.stringify(v)), headers: { 'content-type': 'application/json' } });

test('query names are split the way qs-style parsers split them', () => {
  assert.deepEqual(splitKey('user[$ne]'), ['user', '$ne']);
  assert.deepEqual(splitKey('a[__proto__][x]'), ['a', '__proto__', 'x']);
  assert.deepEqual(splitKey('a.b.c'), ['a', 'b', 'c']);
  assert.deepEqual(splitKey('tags[]'), ['tags']);
  assert.deepEqual(splitKey('[]'), ['[]']);
});

test('a JSON body: every key (with its parent) and every string value, arrays passed through', () => {
  const { seen } = walk(request(fn, json({ user: { name: "O'Brien", tags: ['a', 'b'] }, n: 1, ok: true, none: null })));
  assert.deepEqual(seen.map((s) => [s.kind, s.at, s.text, s.parent ?? null]), [
    ['key', 'body.user', 'user', null],
    ['key', 'body.user.name', 'name', 'user'],
    ['value', 'body.user.name', "O'Brien", null],
    ['key', 'body.user.tags', 'tags', 'user'],
    ['value', 'body.user.tags.0', 'a', null],
    ['value', 'body.user.tags.1', 'b', null],
    ['key', 'body.n', 'n', null],
    ['key', 'body.ok', 'ok', null],
    ['key', 'body.none', 'none', null],
  ]);
  assert.equal(seen[4]!.facts!.key, 'tags', 'a value knows the key it sits under');
});

test('query, path parameters, headers and cookies; credentials and negotiation headers are not visited', () => {
  const { seen } = walk(request(fn, {
    query: { 'user[$ne]': 'x', tag: ['a', 'b'] },
    params: { name: 'report.pdf' },
    headers: {
      authorization: 'Bearer secret', cookie: 'sid=abc; theme=dark', accept: 'text/html', 'accept-language': 'en;q=0.9', 'sec-fetch-mode': 'cors',
      'user-agent': 'curl/8', referer: 'http://localhost:3000/', 'x-forwarded-for': '10.0.0.1', 'x-custom': 'v', 'x-twice': ['1', '2'],
    },
  }));
  const at = seen.map((s) => `${s.kind} ${s.at}=${s.text}`);
  assert.deepEqual(at, [
    'key query.user=user', 'key query.user.$ne=$ne', 'value query.user.$ne=x', 'key query.tag=tag', 'value query.tag=a', 'value query.tag=b', 'value query.tag=a,b',
    'value params.name=report.pdf',
    'key headers.cookie=cookie', 'key headers.cookie.sid=sid', 'value headers.cookie.sid=abc', 'key headers.cookie.theme=theme', 'value headers.cookie.theme=dark',
    'key headers.user-agent=user-agent', 'value headers.user-agent=curl/8', 'key headers.referer=referer', 'value headers.referer=http://localhost:3000/',
    'key headers.x-forwarded-for=x-forwarded-for', 'value headers.x-forwarded-for=10.0.0.1', 'key headers.x-custom=x-custom', 'value headers.x-custom=v',
    'key headers.x-twice=x-twice', 'value headers.x-twice=1', 'value headers.x-twice=2', 'value headers.x-twice=1,2',
  ]);
  assert.equal(seen.find((s) => s.text === 'http://localhost:3000/')!.facts!.skip, 'ssrf', 'Referer names the caller, not a target');
  assert.equal(seen.find((s) => s.text === '10.0.0.1')!.facts!.skip, 'ssrf');
  assert.equal(seen.find((s) => s.text === 'v')!.facts!.skip, undefined);
});

test('non-JSON bodies: a form is read as names and values, anything else as one string, XML marked as such', () => {
  const form = walk(request(fn, { body: Buffer.from('name=O%27Brien&a[b]=c+d'), headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } }));
  assert.deepEqual(form.seen.map((s) => `${s.kind} ${s.at}=${s.text}`), ['key body.name=name', "value body.name=O'Brien", 'key body.a=a', 'key body.a.b=b', 'value body.a.b=c d']);
  const xml = walk(request(fn, { body: Buffer.from('<a>1</a>'), headers: { 'content-type': 'Application/XML' } }));
  assert.deepEqual(xml.seen.map((s) => [s.at, s.text, s.facts!.xmlBody]), [['body', '<a>1</a>', true]]);
  const text = walk(request(fn, { body: Buffer.from('{not json'), headers: { 'content-type': 'application/json' } }));
  assert.deepEqual(text.seen.map((s) => [s.at, s.text, s.facts!.xmlBody]), [['body', '{not json', false]], 'invalid JSON is still inspected, as text');
});

test('exempt and base64 fields cover everything inside them; arrays are passed through, * is any one key, query names match by segment', () => {
  const policy: InjectionPolicy = {
    mode: 'block',
    exempt: [{ source: 'body', path: ['snippet'] }, { source: 'body', path: ['files', 'code'] }, { source: 'body', path: ['meta', '*', 'note'] }, { source: 'query', path: ['filter', 'q'] }],
    base64: [{ source: 'body', path: ['attachment'] }],
  };
  const { seen } = walk(request(fn, {
    ...json({ snippet: { lang: 'sql', text: 'x' }, files: [{ code: 'y', name: 'z' }], meta: { a: { note: 'n', id: 'i' } }, attachment: 'QQ==', other: 'w' }),
    query: { 'filter[q]': 'select 1', 'filter[r]': 'r' },
  }), policy);
  const flags = Object.fromEntries(seen.filter((s) => s.kind === 'value').map((s) => [s.at, `${s.facts!.exempt ? 'exempt' : ''}${s.facts!.base64 ? 'base64' : ''}` || '-']));
  assert.deepEqual(flags, {
    'query.filter.q': 'exempt', 'query.filter.r': '-', 'body.snippet.lang': 'exempt', 'body.snippet.text': 'exempt', 'body.files.0.code': 'exempt', 'body.files.0.name': '-', 'body.meta.a.note': 'exempt', 'body.meta.a.id': '-',
    'body.attachment': 'base64', 'body.other': '-',
  });
  assert.equal(seen.find((s) => s.kind === 'key' && s.at === 'body.snippet.lang')!.exempt, true, 'keys inside an exempt field are marked exempt too');
});

test('nesting past maxDepth is reported and the walk stops; a sink can stop it too', () => {
  let deep: unknown = 'bottom';
  for (let i = 0; i < 10; i++) deep = { d: deep };
  const { seen, tooDeep } = walk(request(fn, json({ a: deep, after: 'never seen' })), open, 5);
  assert.deepEqual(tooDeep, ['body.a.d.d.d.d']);
  assert.ok(!seen.some((s) => s.text === 'never seen' || s.text === 'bottom'));
  const stopped = walk(request(fn, json({ a: 'stop', b: 'never seen' })), open, 64, 'stop');
  assert.ok(!stopped.seen.some((s) => s.text === 'never seen'));
});

test('a queue message is walked as its JSON body', () => {
  const queued = target(manifestYaml({ subject: 'orders.created' }));
  const { seen } = walk(queueRequest(queued, { order: { note: "O'Brien" } }));
  assert.deepEqual(seen.filter((s) => s.kind === 'value').map((s) => [s.at, s.text]), [['body.order.note', "O'Brien"]]);
});

test('a body that is not UTF-8 and not declared text is binary and not walked; declared text, it is', () => {
  const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x27, 0x23, 0xff]);
  assert.deepEqual(walk(request(fn, { body: bytes, headers: { 'content-type': 'image/png' } })).seen, []);
  assert.deepEqual(walk(request(fn, { body: bytes })).seen, [], 'no content type: the same');
  assert.equal(walk(request(fn, { body: bytes, headers: { 'content-type': 'text/plain' } })).seen.length, 1, 'the function receives text types as a string');
  const relabelled = walk(request(fn, { body: Buffer.from("x' OR 1=1--"), headers: { 'content-type': 'application/octet-stream' } }));
  assert.deepEqual(relabelled.seen.map((s) => [s.at, s.text, s.facts!.rawBody]), [['body', "x' OR 1=1--", true]], 'UTF-8 text relabelled as binary is still read');
});

/** A multipart/form-data body: parts of [header lines, content]; `raw` parts are inserted as they are. */
function multipart(parts: Array<[headers: string[], content: string | Buffer] | Buffer>): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    if (Buffer.isBuffer(part)) chunks.push(part);
    else chunks.push(Buffer.from(`--XX\r\n${part[0].join('\r\n')}\r\n\r\n`), Buffer.from(part[1]), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from('--XX--\r\n'));
  return Buffer.concat(chunks);
}
const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0x27, 0x20, 0x6f, 0x72, 0x20, 0x31, 0x3d, 0x31, 0x2d, 0x2d, 0xfe]);
const MP = 'multipart/form-data; boundary=XX';

test('a multipart form that is not UTF-8: its fields and part headers are read, only binary file contents are skipped', () => {
  const field = (name: string) => `Content-Disposition: form-data; name="${name}"`;
  const file = (name: string) => `Content-Disposition: form-data; name="f"; filename="${name}"`;
  const texts = multipartText(multipart([[[field('comment')], "1' or '1'='1"], [[file('a.png'), 'Content-Type: image/png'], png]]), MP);
  assert.ok(texts.some((t) => t.includes("1' or '1'='1")), 'the field next to a binary file is read');
  assert.ok(texts.some((t) => t.includes('filename="a.png"')), 'a file part\'s headers are read (its filename)');
  assert.ok(!texts.some((t) => t.includes('PNG')), 'the binary content is not');

  const walked = walk(request(fn, { body: multipart([[[field('q')], "1' or '1'='1"], [[file('a.png')], png]]), headers: { 'content-type': MP } }));
  assert.ok(walked.seen.some((s) => s.at === 'body' && s.text.includes("1' or '1'='1") && s.facts!.rawBody), 'the walk hands the text to the sink as the body');

  const binaryField = Buffer.concat([Buffer.from("1' or '1'='1"), Buffer.from([0xff])]);
  assert.ok(multipartText(multipart([[[field('q')], binaryField]]), MP).some((t) => t.includes("1' or '1'='1")), 'a field is text even when not UTF-8');
  const utf8File = multipartText(multipart([[[file('notes.txt')], '../../etc/passwd']]), MP);
  assert.ok(utf8File.some((t) => t.includes('../../etc/passwd')), 'a UTF-8 file is read');
});

test('a multipart form is cut only where every parser agrees a binary file is: tricks that would hide a field are read', () => {
  const hidden = "1' or '1'='1";
  const disguisedFile = (lines: string[]) => multipartText(multipart([[lines, Buffer.concat([Buffer.from(hidden), Buffer.from([0xff])])]]), MP);
  assert.ok(disguisedFile(['Content-Disposition: form-data; name="a; filename=b.png"']).some((t) => t.includes(hidden)), 'filename= inside a quoted name is no file');
  assert.ok(disguisedFile(['Content-Disposition: form-data; name="a"; filename=""']).some((t) => t.includes(hidden)), 'an empty filename is no file to some parsers');
  assert.ok(disguisedFile(['Content-Disposition: form-data; name="a"', 'Content-Disposition: form-data; name="a"; filename="b"']).some((t) => t.includes(hidden)), 'two dispositions');
  assert.ok(disguisedFile(['Content-Disposition: form-data; name="a"\nX: y', 'Content-Disposition: form-data; name="a"; filename="b"']).some((t) => t.includes(hidden)), 'a bare LF can end the header block early');
  // A delimiter not on its own line is content to a strict parser: the "file" after it is part of the field.
  const glued = Buffer.concat([
    Buffer.from('--XX\r\nContent-Disposition: form-data; name="q"\r\n\r\nx--XX\r\nContent-Disposition: form-data; name="f"; filename="b"\r\n\r\n'),
    Buffer.from(hidden), Buffer.from([0xff]), Buffer.from('\r\n--XX--\r\n'),
  ]);
  assert.ok(multipartText(glued, MP).some((t) => t.includes(hidden)));
  const binary = multipart([[['Content-Disposition: form-data; name="f"; filename="b"'], Buffer.concat([Buffer.from(hidden), Buffer.from([0xff])])]]);
  assert.ok(!multipartText(binary, MP).some((t) => t.includes(hidden)), 'control: the same bytes in a real binary file are skipped');
  assert.ok(multipartText(binary, 'multipart/form-data; boundary=XX; boundary=YY').some((t) => t.includes(hidden)), 'two boundaries: the whole body is read');
  assert.ok(multipartText(binary, 'multipart/form-data').some((t) => t.includes(hidden)), 'no boundary: the whole body is read');
  const repeated = walk(request(fn, { body: binary, headers: { 'content-type': [MP, 'multipart/form-data; boundary=YY'] } }));
  assert.ok(repeated.seen.some((s) => s.text.includes(hidden)), 'repeated content types: the whole body is read');
  assert.ok(!walk(request(fn, { body: binary, headers: { 'content-type': MP } })).seen.some((s) => s.text.includes(hidden)), 'control');
  assert.ok(!multipartText(binary, 'multipart/form-data; BOUNDARY="XX"').some((t) => t.includes(hidden)), 'the parameter name has no case, a quoted boundary is unquoted');
});
