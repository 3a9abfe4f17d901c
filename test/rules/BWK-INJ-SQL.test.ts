import { rule } from '../../src/scanner/rules/BWK-INJ-SQL.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';
import { corpusCases } from './support/corpus.ts';

const corpus = corpusCases('BWK-INJ-SQL', { messageId: 'tainted' });

testRule(rule, {
  valid: [
    ...corpus.valid,
    { name: 'class method: input only in the bound values', code: "const { Pool } = require('pg');\nclass Repo {\n  constructor(pool) { this.pool = pool; }\n  byName(name) { return this.pool.query(\"SELECT * FROM t WHERE name = '\" + name + \"'\"); }\n  byId(id) { return this.pool.query('SELECT * FROM t WHERE id = $1', [id]); }\n}\nconst repo = new Repo(new Pool());\nexports.handler = async (event) => [await repo.byId(event.queryStringParameters.id), await repo.byName('constant')];\n" },
    { name: "pg query with values array", code: "const { Client } = require('pg');\nconst client = new Client();\nexports.handler = async (event) => client.query('DELETE FROM carts WHERE id = $1', [event.pathParameters.id]);\n" },
    { name: "map lookup with get is not SQL", code: "const cache = new Map();\nexports.handler = async (event) => ({ body: cache.get(event.queryStringParameters.key) ?? '' });\n" },
  ],
  invalid: [
    ...corpus.invalid,
    { name: 'class method of a module-level instance builds the SQL text', code: "const { Pool } = require('pg');\nclass Repo {\n  constructor(pool) { this.pool = pool; }\n  byName(name) { return this.pool.query(\"SELECT * FROM t WHERE name = '\" + name + \"'\"); }\n  byId(id) { return this.pool.query('SELECT * FROM t WHERE id = $1', [id]); }\n}\nconst repo = new Repo(new Pool());\nexports.handler = async (event) => repo.byName(event.queryStringParameters.name);\n", errors: [{ messageId: 'tainted', line: 4 }] },
    { name: "mysql query with concatenation", code: "const mysql = require('mysql');\nconst connection = mysql.createConnection({});\nexports.handler = async (event) => {\n  connection.query('SELECT * FROM t WHERE name = \"' + event.queryStringParameters.name + '\"', () => {});\n};\n", errors: [{ messageId: 'tainted', line: 4 }] },
    { name: "typeorm manager query with template", code: "import { AppDataSource } from './data-source.mjs';\nexport const handler = async (event) => {\n  const manager = AppDataSource.manager;\n  return manager.query(`SELECT * FROM audit WHERE actor = '${event.requestContext.authorizer.sub}'`);\n};\n", errors: [{ messageId: 'tainted', line: 4 }] },
  ],
});
