import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from './index.ts';
import { manifestYaml, request, target } from '../testing.ts';

const fn = target(manifestYaml({ limits: '{ body: 10B }' }));
const bodyLimit = create();

test('passes a body at the limit and an absent body', async () => {
  assert.equal((await bodyLimit(request(fn, { body: Buffer.alloc(10) }))).pass, true);
  assert.equal((await bodyLimit(request(fn))).pass, true);
});

test('denies one byte over the manifest limit with BWK_E_GUARD_BODY_TOO_LARGE', async () => {
  const v = await bodyLimit(request(fn, { body: Buffer.alloc(11) }));
  assert.equal(v.pass, false);
  assert.equal(!v.pass && v.error.code, 'BWK_E_GUARD_BODY_TOO_LARGE');
  assert.equal(!v.pass && v.error.status, 413);
  assert.match(!v.pass ? v.error.message : '', /10 bytes/);
});
