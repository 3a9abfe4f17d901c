import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import '../manifest/input-schema.ts'; // turns on V8's linear-time engine, which the `l` flag needs
import { createScanner, LeakTally, scannerPatterns, type CredentialKind, type KnownSecretSource } from './scanner.ts';

const shapes = createScanner();
const kinds = (text: string): CredentialKind[] => shapes.scan(text).map((f) => f.kind);

function jwt(header: object, payload: object): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part(header)}.${part(payload)}.${randomBytes(32).toString('base64url')}`;
}

test('every pattern compiles for the linear-time engine, is sticky and carries no i, u or v flag', () => {
  assert.ok(scannerPatterns.length >= 10);
  for (const p of scannerPatterns) {
    assert.doesNotMatch(p.flags, /[iuv]/, `/${p.source}/${p.flags}`);
    assert.match(p.flags, /y/, `/${p.source}/ is run at hint positions only, so it must be sticky`);
    assert.doesNotThrow(() => new RegExp(p.source, 'l'), `/${p.source}/ cannot run in linear time`);
  }
  assert.throws(() => new RegExp('^(a|a)+\\1$', 'l'), 'the check itself refuses a catastrophic pattern');
});

test('credential shapes are found where they sit', () => {
  const cases: Array<[string, CredentialKind]> = [
    ['id AKIAIOSFODNN7EXAMPLE in text', 'aws-access-key-id'],
    ['{"AccessKeyId":"ASIAY34FZKBOKMUTVV7A"}', 'aws-access-key-id'],
    ['aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws-secret-key'],
    ['{"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}', 'aws-secret-key'],
    [`token ${jwt({ alg: 'HS256', typ: 'JWT' }, { sub: 'alice' })} end`, 'jwt'],
    ['Authorization: Bearer abcdefghijklmnop', 'bearer-token'],
    ['Authorization: Basic YWxpY2U6aHVudGVyMjIy', 'bearer-token'],
    [`key=bwk_AbCdEfGhIjKl_${randomBytes(32).toString('base64url')}`, 'bulwark-api-key'],
    [`ghp_${'a1B2c3D4e5'.repeat(3)}f6G7h8`, 'github-token'],
    [`github_pat_${'A'.repeat(22)}_${'b'.repeat(59)}`, 'github-token'],
    ['xoxb-123456789012-abcdefghijkl', 'slack-token'],
    [`sk_live_${'4eC39HqLyjWDarjtT1zdp7dc'}`, 'stripe-key'],
    [`AIza${'SyD-abcdefghijklmnopqrstuvwxyz01234'}`, 'google-api-key'],
    // Glued to a word character in front: no word boundary, still the whole credential.
    [`xbwk_AbCdEfGhIjKl_${randomBytes(32).toString('base64url')}`, 'bulwark-api-key'],
    [`_bwk_AbCdEfGhIjKl_${randomBytes(32).toString('base64url')}`, 'bulwark-api-key'],
    [`id=x_ghp_${'a1B2c3D4e5'.repeat(3)}f6G7h8`, 'github-token'],
  ];
  for (const [text, kind] of cases) assert.deepEqual(kinds(text), [kind], text);
});

test('a PEM private key is redacted whole, raw or JSON-escaped, and JSON stays valid', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const body = pem.split('\n')[1]!;
  const raw = shapes.redact(`before\n${pem}(after)`);
  assert.equal(raw.text, 'before\n[REDACTED:private-key](after)');
  const json = JSON.stringify({ msg: `key "${pem}" here`, n: 1 });
  const out = shapes.redact(json).text;
  assert.doesNotMatch(out, new RegExp(body.slice(0, 20).replace(/[+/]/g, '\\$&')));
  assert.deepEqual(JSON.parse(out), { msg: 'key "[REDACTED:private-key]" here', n: 1 });
  assert.deepEqual(kinds('-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA'), ['private-key']);
});

test('a label stays, only the secret is replaced', () => {
  assert.equal(shapes.redact('AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY;').text, 'AWS_SECRET_ACCESS_KEY=[REDACTED:aws-secret-key];');
  assert.equal(shapes.redact('Bearer abcdefghijklmnop;').text, 'Bearer [REDACTED:bearer-token];');
});

test('look-alikes that are not credentials are left alone', () => {
  const png = randomBytes(3000);
  png.write('\x89PNG\r\n', 0, 'latin1');
  const notCredentials = [
    randomUUID(),
    createHash('sha1').update('x').digest('hex'), // a git SHA
    createHash('sha256').update('x').digest('hex'),
    png.toString('base64'), // an ordinary base64 image
    randomBytes(40).toString('base64'), // high entropy without a known prefix: deliberately not matched
    'AKIAIOSFODNN7EXAMPL', // 19 characters: too short for a key id
    'xAKIAIOSFODNN7EXAMPLE', // inside a longer word
    'akiaiosfodnn7example',
    'bwk_short_x', // the prefix alone
    `eyJ${'a'.repeat(20)}.${'b'.repeat(20)}.${'c'.repeat(20)}`, // eyJ… whose header is not JSON
    jwt({ typ: 'JWT' }, { sub: 'x' }), // a JSON header naming no algorithm
    'the bearer of bad news', // "bearer" in prose
    'Basic authentication is supported',
    '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE',
    '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU',
    'sk_live_', 'ghp_short', `ghp_${'a'.repeat(40)}`, `AIza${'b'.repeat(40)}`,
    'secret_access_key: tooShort',
    `secret_access_key: ${'x'.repeat(44)}`,
  ];
  for (const text of notCredentials) assert.deepEqual(shapes.scan(text), [], text.slice(0, 60));
});

test('known secret values are found raw and base64, base64url, hex and URL-encoded; short ones are ignored', () => {
  let values: readonly string[] = ['s3cr3t/value+with=signs', 'short'];
  const source: KnownSecretSource = { secretValues: () => values };
  const scanner = createScanner(source);
  const secret = values[0]!;
  const bytes = Buffer.from(secret);
  for (const form of [secret, bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'), bytes.toString('hex').toUpperCase(), encodeURIComponent(secret)]) {
    assert.deepEqual(scanner.redact(`{"v":"${form}"}`).text, '{"v":"[REDACTED:known-secret]"}', form);
  }
  assert.deepEqual(scanner.scan('a short value'), []);
  // A value a JSON encoder had to escape (quote, backslash; non-ASCII as \uXXXX for ASCII-only encoders).
  values = ['p4ss"w\\rd-\u00e9-2026'];
  for (const text of [JSON.stringify({ v: values[0] }), JSON.stringify({ v: values[0] }).replace('\u00e9', '\\u00e9')]) {
    assert.equal(scanner.redact(text).text, '{"v":"[REDACTED:known-secret]"}', text);
  }
  values = ['s3cr3t/value+with=signs', 'short'];
  assert.equal(scanner.redact(`${secret} and ${secret}`).text, '[REDACTED:known-secret] and [REDACTED:known-secret]');
  values = ['rotated-secret-value'];
  assert.deepEqual(scanner.scan(secret), [], 'a value no longer in the set is no longer searched for');
  assert.equal(scanner.scan('x rotated-secret-value').length, 1);
});

test('overlapping findings merge into one redaction', () => {
  const scanner = createScanner({ secretValues: () => ['AKIAIOSFODNN7EXAMPLE'] });
  assert.equal(scanner.redact('k=AKIAIOSFODNN7EXAMPLE.').text, 'k=[REDACTED:known-secret].');
});

test('a leak tally keeps one entry per kind with a hash prefix, never the value', () => {
  const tally = new LeakTally();
  const text = 'AKIAIOSFODNN7EXAMPLE AKIAIOSFODNN7EXAMPLF';
  tally.note(text, shapes.scan(text));
  const leaks = tally.leaks();
  assert.equal(leaks.length, 1);
  assert.equal(leaks[0]!.count, 2);
  assert.equal(leaks[0]!.evidence, createHash('sha256').update('AKIAIOSFODNN7EXAMPLE').digest('hex').slice(0, 12));
  assert.doesNotMatch(JSON.stringify(leaks), /AKIA/);
});

test('a JWT-looking run that is not one (two segments, a short payload) is not a finding', () => {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64url');
  assert.deepEqual(shapes.scan(`${header}.${'p'.repeat(20)}`), []);
  assert.deepEqual(shapes.scan(`${header}.short.${'s'.repeat(20)}`), []);
  assert.deepEqual(kinds(`${header}.${'p'.repeat(20)}.`), ['jwt'], 'an unsigned (alg none style) token still is one');
});
