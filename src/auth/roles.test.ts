import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allows, permissions } from './roles.ts';
import { mayPerform, type Principal } from './principal.ts';

test('the matrix: only admin manages keys, viewers never invoke or deploy, invokers never deploy or read logs', () => {
  assert.deepEqual(permissions['manage-keys'], ['admin']);
  assert.equal(allows(['viewer'], 'invoke'), false);
  assert.equal(allows(['viewer'], 'deploy'), false);
  assert.equal(allows(['viewer'], 'list'), true);
  assert.equal(allows(['invoker'], 'deploy'), false);
  assert.equal(allows(['invoker'], 'read-logs'), false);
  assert.equal(allows(['deployer'], 'rollback'), true);
  assert.equal(allows([], 'list'), false, 'no role, no access');
});

test('scope: a principal acts only on the functions it names, or on all with *', () => {
  const p: Principal = { kind: 'api-key', actor: 'key:a', roles: ['deployer'], functions: ['orders'] };
  assert.equal(mayPerform(p, 'deploy', 'orders'), true);
  assert.equal(mayPerform(p, 'deploy', 'billing'), false);
  assert.equal(mayPerform({ ...p, functions: ['*'] }, 'deploy', 'billing'), true);
  assert.equal(mayPerform({ ...p, functions: [] }, 'deploy', 'orders'), false);
});

test('publish: exactly the roles that may invoke, since a message invokes its consumers', () => {
  assert.deepEqual([...permissions.publish].sort(), [...permissions.invoke].sort());
  assert.equal(allows(['viewer'], 'publish'), false);
});

test('spend is for people: viewers, deployers and admins read it, invoker keys do not', () => {
  assert.deepEqual(permissions['read-spend'], ['admin', 'deployer', 'viewer']);
  assert.equal(allows(['invoker'], 'read-spend'), false);
});
