import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nosql } from './nosql.ts';
import { checkValues } from './testing.ts';

test('nosql: operators as keys are flagged; JSON Schema keywords and other $-words are not', () => {
  for (const op of ['$ne', '$gt', '$regex', '$where', '$in', '$elemMatch', '$expr', '$function', '$set']) assert.equal(nosql.key!(op, 'user'), true, op);
  for (const key of ['$schema', '$ref', '$id', '$comment', 'price$', 'ne', '$NE', 'amount']) assert.equal(nosql.key!(key, undefined), false, key);
});

test('nosql: operator syntax inside strings (JSON, bracket form, $where) is flagged; prices are not', () => {
  checkValues(nosql, {
    flagged: ['{"$ne": null}', '{"$gt": ""}', "{'$where': 'sleep(1000)'}", 'username[$ne]=x', '[$regex]=.*', "true, $where: '1 == 1'", '{"a": 1, "$or": [{}]}'],
    passed: ['The price is $12.99 (was $15.00)', '$5 off', 'US$ 20', '{"price": "$9.99"}', 'Prices include VAT; $ amounts are USD.', '$where is a MongoDB operator'.replace('$where', 'where')],
  });
});
