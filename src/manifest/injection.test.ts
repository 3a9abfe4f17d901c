import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BulwarkError } from '../errors.ts';
import { parseManifest } from './parse.ts';

const BASE = `name: hello
handler: src/index.ts#handler
owner: team@example.com
expires: 2027-06-30
triggers:
  - http: { method: POST, path: "/docs/{slug}" }
`;
const parse = (extra: string) => parseManifest(BASE + extra, 'bulwark.yaml', () => undefined);

function problems(extra: string): string[] {
  try {
    parse(extra);
  } catch (err) {
    assert.ok(err instanceof BulwarkError);
    assert.equal(err.code, 'BWK_E_MANIFEST_INVALID');
    return err.message.split('\n').slice(1);
  }
  assert.fail('expected the manifest to be refused');
}

test('injection: absent means nothing is stored (the guard blocks, exempts nothing); mode defaults to block', () => {
  assert.equal(parseManifest(BASE, 'bulwark.yaml', () => undefined).injection, undefined);
  assert.deepEqual(parse('injection: {}\n').injection, { mode: 'block', exempt: [], base64: [] });
});

test('injection: field paths are normalised into source and keys; header names lower-cased', () => {
  const m = parse([
    'injection:',
    '  mode: monitor',
    '  exempt: [body.snippet, body.files.*.code, query.q, params.slug, headers.X-Template, body]',
    '  base64: [body.attachment, query.blob]',
    '',
  ].join('\n'));
  assert.deepEqual(m.injection, {
    mode: 'monitor',
    exempt: [
      { source: 'body', path: ['snippet'] }, { source: 'body', path: ['files', '*', 'code'] }, { source: 'query', path: ['q'] },
      { source: 'params', path: ['slug'] }, { source: 'headers', path: ['x-template'] }, { source: 'body', path: [] },
    ],
    base64: [{ source: 'body', path: ['attachment'] }, { source: 'query', path: ['blob'] }],
  });
});

test('injection: every bad entry is reported at its file:line:col with how to write it', () => {
  assert.deepEqual(problems([
    'injection:',
    '  mode: audit',
    '',
  ].join('\n')), ['bulwark.yaml:8:9: mode must be block (refuse requests carrying an attack, the default) or monitor (record them and let them through) (got "audit")']);

  assert.deepEqual(problems([
    'injection:',
    '  exempt:',
    '    - cookies.session',
    '    - query',
    '    - params.id',
    '    - headers.a.b',
    '    - body..x',
    '    - body.a*',
    '  base64: [headers.x-sig, body.blob, body.same]',
    '',
  ].join('\n')).concat(problems('injection: { exempt: [body.same], base64: [body.same] }\n')), [
    "bulwark.yaml:9:7: 'cookies.session' must start with body, query, params or headers, like body.snippet or query.q",
    "bulwark.yaml:10:7: 'query' must name a query parameter, like query.q",
    "bulwark.yaml:11:7: 'params.id': no http trigger path has a {id} parameter (there are params.slug)",
    "bulwark.yaml:12:7: 'headers.a.b' must name one header, like headers.x-signature",
    "bulwark.yaml:13:7: 'body..x' has an empty or invalid segment: separate object keys with single dots and write * alone, like body.items.*.text",
    "bulwark.yaml:14:7: 'body.a*' has an empty or invalid segment: separate object keys with single dots and write * alone, like body.items.*.text",
    "bulwark.yaml:15:12: 'headers.x-sig': base64 fields are in the body or the query string",
    "bulwark.yaml:7:44: 'body.same' is also exempt, so it is not inspected and base64 changes nothing: remove it from one of the lists",
  ]);
});

test('injection: unknown keys get a suggestion', () => {
  assert.deepEqual(problems('injection: { exempts: [body.x] }\n'), ["bulwark.yaml:7:14: unknown key 'exempts' in injection — did you mean 'exempt'?"]);
});
