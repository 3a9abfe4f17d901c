import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fold, fromBase64, htmlDecode, MAX_ROUNDS, percentDecode, unescapeJs, variants } from './decode.ts';

test('percent-decoding reads %XX runs as UTF-8, overlong forms as the character they spell, and %uXXXX', () => {
  assert.equal(percentDecode('%27%20OR%201%3D1'), "' OR 1=1");
  assert.equal(percentDecode('caf%C3%A9'), 'café');
  assert.equal(percentDecode('..%c0%af..%c0%af'), '../../', 'overlong 2-byte /');
  assert.equal(percentDecode('%e0%80%ae%e0%80%ae/'), '../', 'overlong 3-byte .');
  assert.equal(percentDecode('%c1%9c'), '\\', 'overlong backslash');
  assert.equal(percentDecode('%u002e%u002e%u2215'), '..\u2215');
  assert.equal(percentDecode('100%'), '100%', 'a lone % stays');
  assert.equal(percentDecode('%ff%fe'), '%ff%fe', 'bytes that start no sequence stay as written');
});

test('+ is a space only where the string looks form-encoded', () => {
  assert.equal(percentDecode("1'+OR+1=1"), "1' OR 1=1", 'no whitespace: form-encoded');
  assert.equal(percentDecode('a+b%3D'), 'a b=');
  assert.deepEqual(variants('C++ and Java'), ['C++ and Java'], 'prose with spaces keeps its +');
});

test('HTML entities: named, decimal and hex, with or without the semicolon', () => {
  assert.equal(htmlDecode('&lt;script&gt;'), '<script>');
  assert.equal(htmlDecode('&#39; OR &#x31;=1'), "' OR 1=1");
  assert.equal(htmlDecode('&#60&#62'), '<>');
  assert.equal(htmlDecode('&sol;etc&sol;passwd &period;&period;'), '/etc/passwd ..');
  assert.equal(htmlDecode('Tom &amp; Jerry &unknown;'), 'Tom & Jerry &unknown;');
});

test('JavaScript escapes', () => {
  assert.equal(unescapeJs('\\u0027 \\x3c \\u{2f}'), "' < /");
  assert.equal(unescapeJs('C:\\\\Users'), 'C:\\\\Users', 'other backslashes stay');
});

test('NFKC folding, best-fit slashes and invisible characters', () => {
  assert.equal(fold('．．／etc／passwd'), '../etc/passwd');
  assert.equal(fold('①②⑦'), '127');
  assert.equal(fold('un\u200bion sel\u00adect'), 'union select');
  assert.equal(fold('..\u2215..\u2216'), '../..\\');
  assert.equal(fold('naïve café'), 'naïve café');
});

test('base64: text comes out; binary, too short or not base64 gives nothing', () => {
  assert.equal(fromBase64(Buffer.from("' OR 1=1--").toString('base64')), "' OR 1=1--");
  assert.equal(fromBase64(`data:text/plain;base64,${Buffer.from('hello').toString('base64')}`), 'hello');
  assert.equal(fromBase64(Buffer.from('x<y').toString('base64url')), 'x<y');
  assert.equal(fromBase64(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00, 0xfe]).toString('base64')), undefined, 'binary is not inspected');
  assert.equal(fromBase64('not base64!'), undefined);
  assert.equal(fromBase64('ab'), undefined);
});

test('variants: the raw string first, then each distinct decoded form; escapes only shorten', () => {
  assert.deepEqual(variants('plain text'), ['plain text']);
  assert.deepEqual(variants('%252e%252e%252f'), ['%252e%252e%252f', '%2e%2e%2f', '../']);
  assert.deepEqual(variants('%26lt%3Bscript%26gt%3B'), ['%26lt%3Bscript%26gt%3B', '<script>'], 'percent then entity in one round');
  assert.deepEqual(variants(Buffer.from('%27').toString('base64'), true), ['JTI3', '%27', "'"]);
  for (const s of ['%252e%252e', '&amp;lt;', '\\u0027', '％２７']) for (const v of variants(s)!) assert.ok(v.length <= s.length);
});

test('a string still decoding after MAX_ROUNDS rounds is reported (undefined), not inspected in part', () => {
  let deep = '<';
  for (let i = 0; i <= MAX_ROUNDS; i++) deep = encodeURIComponent(deep);
  assert.equal(variants(deep), undefined);
  let fits = '<';
  for (let i = 0; i < MAX_ROUNDS; i++) fits = encodeURIComponent(fits);
  assert.equal(variants(fits)!.at(-1), '<');
});
