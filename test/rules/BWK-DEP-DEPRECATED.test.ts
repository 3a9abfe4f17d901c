import { rule } from '../../src/scanner/rules/BWK-DEP-DEPRECATED.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

const lock = (deps: Record<string, string>, packages: Record<string, object>) =>
  JSON.stringify({ name: 'app', lockfileVersion: 3, requires: true, packages: { '': { name: 'app', dependencies: deps }, ...packages } }, null, 2);

const pnpm = (deprecated: string) => `lockfileVersion: '9.0'

importers:

  .:
    dependencies:
      request:
        specifier: ^2.88.2
        version: 2.88.2

packages:

  request@2.88.2:
    resolution: {integrity: sha512-dddd}
    engines: {node: '>= 6'}${deprecated}

snapshots:

  request@2.88.2: {}
`;

testRule(rule, {
  valid: [
    { name: 'no deprecated field', code: lock({ uuid: '^9.0.0' }, { 'node_modules/uuid': { version: '9.0.1' } }) },
    { name: 'pnpm entry without deprecation', files: { 'pnpm-lock.yaml': pnpm('') } },
    { name: 'deprecation mentioned only in a description field', code: lock({ old: '1.0.0' }, { 'node_modules/old': { version: '1.0.0', description: 'deprecated: do not use' } }) },
    { name: 'yarn.lock keeps no deprecation notice', files: { 'yarn.lock': '# yarn lockfile v1\n\n\nrequest@^2.88.2:\n  version "2.88.2"\n' } },
  ],
  invalid: [
    { name: 'direct deprecated request', code: lock({ request: '^2.88.2' }, { 'node_modules/request': { version: '2.88.2', deprecated: 'request has been deprecated, see https://github.com/request/request/issues/3142' } }), errors: [{ messageId: 'deprecated', line: 12 }] },
    { name: 'transitive deprecated querystring', code: lock({ url: '0.11.0' }, { 'node_modules/url': { version: '0.11.0', dependencies: { querystring: '0.2.0' } }, 'node_modules/querystring': { version: '0.2.0', deprecated: 'The querystring API is considered Legacy. new code should use the URLSearchParams API instead.' } }), errors: [{ messageId: 'deprecated' }] },
    { name: 'two deprecated packages, one nested', filename: 'npm-shrinkwrap.json', code: lock({ a: '1.0.0' }, { 'node_modules/a': { version: '1.0.0', deprecated: 'use b' }, 'node_modules/a/node_modules/inflight': { version: '1.0.6', deprecated: 'This module is not supported, and leaks memory.' } }), errors: [{ messageId: 'deprecated' }, { messageId: 'deprecated' }] },
    { name: 'pnpm deprecated field', files: { 'pnpm-lock.yaml': pnpm("\n    deprecated: request has been deprecated") }, errors: [{ messageId: 'deprecated', line: 13 }] },
  ],
});
