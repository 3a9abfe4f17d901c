import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readCredential } from './authenticate.ts';

const key = `bwk_${'A'.repeat(12)}_${'b'.repeat(43)}`;

test('Bearer and X-Api-Key are read; bwk_ values are keys, other Bearer values JWTs', () => {
  assert.deepEqual(readCredential({ authorization: `Bearer ${key}` }), { kind: 'api-key', value: key });
  assert.deepEqual(readCredential({ authorization: `bearer   ${key} ` }), { kind: 'api-key', value: key });
  assert.deepEqual(readCredential({ 'x-api-key': key }), { kind: 'api-key', value: key });
  assert.deepEqual(readCredential({ authorization: 'Bearer eyJ.x.y' }), { kind: 'jwt', value: 'eyJ.x.y' });
  assert.deepEqual(readCredential({ 'x-api-key': 'eyJ.x.y' }), { kind: 'api-key', value: 'eyJ.x.y' }, 'X-Api-Key never carries a JWT');
  assert.equal(readCredential({}), undefined);
});

test('unusable: other schemes, repeated headers, two different credentials', () => {
  assert.deepEqual(readCredential({ authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }), { unusable: 'unsupported-scheme' });
  assert.deepEqual(readCredential({ authorization: 'Bearer' }), { unusable: 'unsupported-scheme' });
  assert.deepEqual(readCredential({ 'x-api-key': [key, key] }), { unusable: 'ambiguous-credentials' });
  assert.deepEqual(readCredential({ authorization: `Bearer ${key}`, 'x-api-key': `${key}x` }), { unusable: 'ambiguous-credentials' });
  assert.deepEqual(readCredential({ authorization: `Bearer ${key}`, 'x-api-key': key }), { kind: 'api-key', value: key }, 'the same key twice is not ambiguous');
});
