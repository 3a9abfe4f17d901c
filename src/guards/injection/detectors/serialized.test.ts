import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serialized } from './serialized.ts';
import { checkValues, inspected } from './testing.ts';

test('serialized: node-serialize, funcster, cryo, YAML tags, PHP, pickle, Java and .NET markers are flagged', () => {
  checkValues(serialized, {
    flagged: [
      '{"rce":"_$$ND_FUNC$$_function(){require(\'child_process\').exec(\'id\')}()"}', '{"__js_function":"function(){}"}', '_CRYO_FUNCTION_function(){}', 'O:8:"stdClass":1:{s:4:"role";s:5:"admin";}',
      'a:2:{i:0;s:5:"admin";i:1;O:4:"User":0:{}}', 'rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA==', 'aced0005737200116a617661', 'AAEAAAD/////AQAAAAAAAAAMAgAAAElTeXN0ZW0=', '!!python/object/apply:os.system ["id"]',
      '!!js/function "function(){}"', '--- !ruby/object:Gem::Installer', "cos\nsystem\n(S'id'\ntR.", 'gASVIAAAAAAAAACMBXBvc2l4lIwGc3lzdGVtlJOU', 'java.lang.Runtime.getRuntime().exec("id")',
      '%ac%ed%00%05', 'org.apache.commons.collections.functors.InvokerTransformer',
    ],
    passed: ['Price: $12.99', 'ratio 1:2:3', 'a:2 b:3', 'Java 21 records make DTOs much shorter.', 'O: 8 items', 'the type is System.String', 'rocket ABC', 'aced it!'],
  });
});

test('serialized: a type key naming a class is flagged; JSON-LD types are not', () => {
  const at = (key: string, value: string) => serialized.value!(inspected(value), { key, xmlBody: false, rawBody: false });
  assert.equal(at('$type', 'System.Windows.Data.ObjectDataProvider, PresentationFramework'), true);
  assert.equal(at('@type', 'com.sun.rowset.JdbcRowSetImpl'), true);
  assert.equal(at('@class', 'org.example.Evil'), true);
  assert.equal(at('@type', 'Person'), false);
  assert.equal(at('@type', 'https://schema.org/Product'), false);
  assert.equal(at('name', 'com.example.Widget'), false, 'a dotted name under an ordinary key is data');
});
