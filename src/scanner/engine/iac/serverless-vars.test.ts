import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTree, at, str, toPlain } from '../yaml-tree.ts';
import { resolveServerless } from './serverless-vars.ts';

const resolve = (yaml: string, options: Record<string, string> = {}) => resolveServerless(parseTree(yaml, { intrinsics: true }).root!, options);

test('self, opt with defaults and fallbacks, sls:stage, nested variables', () => {
  const root = resolve([
    'service: shop',
    'custom:',
    '  tables: { dev: orders-dev, prod: orders-prod }',
    '  region: ${opt:region}',
    'provider:',
    '  stage: ${opt:stage, \'dev\'}',
    '  table: ${self:custom.tables.${self:provider.stage}}',
    '  name: ${self:service}-${sls:stage}',
    '  quoted: ${opt:missing, "fallback"}',
    '  old: ${opt:stage, self:custom.nothing}',
  ].join('\n'));
  assert.equal(str(at(root, 'provider', 'stage')), 'dev');
  assert.equal(str(at(root, 'provider', 'table')), 'orders-dev');
  assert.equal(str(at(root, 'provider', 'name')), 'shop-dev');
  assert.equal(str(at(root, 'custom', 'region')), 'us-east-1');
  assert.equal(str(at(root, 'provider', 'quoted')), 'fallback');
  assert.equal(str(at(root, 'provider', 'old')), 'dev');
  const prod = resolve('service: s\nprovider:\n  table: ${self:custom.t.${opt:stage}}\ncustom:\n  t: { prod: p }\n', { stage: 'prod' });
  assert.equal(str(at(prod, 'provider', 'table')), 'p');
});

test('a whole-value self reference brings the subtree; env, ssm and unknown stay as written', () => {
  const root = resolve('service: s\ncustom:\n  env: { A: "1", B: two }\nprovider:\n  environment: ${self:custom.env}\n  key: ${ssm:/app/key}\n  home: pre-${env:HOME}-post\n  odd: ${file(./x.yml):y}\n');
  assert.deepEqual(toPlain(at(root, 'provider', 'environment')), { A: '1', B: 'two' });
  assert.equal(str(at(root, 'provider', 'key')), '${ssm:/app/key}');
  assert.equal(str(at(root, 'provider', 'home')), 'pre-${env:HOME}-post');
  assert.equal(str(at(root, 'provider', 'odd')), '${file(./x.yml):y}');
});

test('cycles, missing paths and unbalanced text never throw', () => {
  const root = resolve('service: s\ncustom:\n  a: ${self:custom.b}\n  b: ${self:custom.a}\n  c: ${self:custom.nope}\n  d: \"${self:\"\n  e: "${opt:x, }"\n');
  assert.match(str(at(root, 'custom', 'a'))!, /\$\{self:custom\./);
  assert.equal(str(at(root, 'custom', 'c')), '${self:custom.nope}');
  assert.equal(str(at(root, 'custom', 'd')), '${self:');
  assert.equal(str(at(root, 'custom', 'e')), '${opt:x, }');
});
