import { rule } from '../../src/scanner/rules/BWK-DEP-UNUSED.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

const pkg = (fields: object) => JSON.stringify({ name: 'fn', version: '1.0.0', type: 'module', ...fields }, null, 2);

testRule(rule, {
  valid: [
    { name: 'ESM import, CJS require and dynamic import', files: { 'package.json': pkg({ dependencies: { zod: '^3.0.0', pg: '^8.0.0', sharp: '^0.33.0' } }), 'src/handler.mjs': "import { z } from 'zod';\nconst pg = require('pg');\nexport const resize = async () => (await import('sharp')).default;\n" } },
    { name: 'scoped subpath import and type-only deps ignored', files: { 'package.json': pkg({ dependencies: { '@aws-sdk/client-s3': '^3.0.0', '@types/aws-lambda': '^8.0.0' } }), 'index.ts': "import { S3Client } from '@aws-sdk/client-s3/dist-cjs/index.js';\nexport const s3 = new S3Client({});\n" } },
    { name: 'used by a package.json script', files: { 'package.json': pkg({ scripts: { start: 'node -r dotenv/config server.js', migrate: 'knex migrate:latest' }, dependencies: { dotenv: '^16.0.0', knex: '^3.0.0' } }), 'server.js': "console.log('up');\n" } },
    { name: 'workspace root dependency used by a member', files: { 'package.json': pkg({ workspaces: ['packages/*'], dependencies: { undici: '^6.0.0' } }), 'packages/api/package.json': pkg({ name: 'api' }), 'packages/api/index.js': "export { request } from 'undici';\n" } },
    { name: 'project without source files is not judged', files: { 'package.json': pkg({ dependencies: { lodash: '^4.17.21' } }) } },
    { name: 'devDependencies are not checked', files: { 'package.json': pkg({ devDependencies: { prettier: '^3.0.0' } }), 'index.js': 'export default {};\n' } },
  ],
  invalid: [
    { name: 'declared but never imported', files: { 'package.json': pkg({ dependencies: { axios: '^1.0.0', moment: '^2.0.0' } }), 'handler.js': "import axios from 'axios';\nexport const handler = async () => axios.get('https://example.com');\n" }, errors: [{ messageId: 'unused', file: 'package.json', line: 7 }] },
    { name: 'a relative import with the same name does not count', files: { 'package.json': pkg({ dependencies: { uuid: '^9.0.0' } }), 'index.js': "import { v4 } from './uuid.js';\nexport const id = v4();\n" }, errors: [{ messageId: 'unused' }] },
    { name: 'import of a different package with a common prefix', files: { 'package.json': pkg({ dependencies: { 'lodash': '^4.17.21' } }), 'index.js': "const merge = require('lodash.merge');\nmodule.exports = merge;\n" }, errors: [{ messageId: 'unused' }] },
    { name: 'name only in a string, not an import', files: { 'package.json': pkg({ scripts: { test: 'node --test' }, dependencies: { chalk: '^5.0.0', 'node-fetch': '^3.0.0' } }), 'index.js': "const label = 'chalk';\nexport default async function (req) { return fetch(req.url); }\n" }, errors: [{ messageId: 'unused' }, { messageId: 'unused' }] },
  ],
});
