import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import type { Finding, Rule } from '../../types.ts';
import type { JsRuleContext, SinkKind } from './context.ts';
import { engine } from './index.ts';

/** A probe rule: reports the first argument of every call to `sink(...)` that is tainted for `kind`. */
function probe(kind: SinkKind = 'cmd'): Rule<JsRuleContext> {
  return {
    meta: { id: 'PROBE', engine: 'js', severity: 'high', owasp: 'SAS-1', cwe: [], description: '', fix: '', messages: { hit: 'from {{source}}' } },
    check(context) {
      context.visit({
        CallExpression(path) {
          const callee = path.node.callee;
          if (callee.type !== 'Identifier' || callee.name !== 'sink') return;
          const hit = context.taint.of(path.get('arguments.0') as never, kind);
          if (hit) context.report({ node: path, messageId: 'hit', data: { source: hit.source }, trace: hit.trace });
        },
      });
    },
  };
}

async function scan(files: Record<string, string>, rule: Rule<JsRuleContext> = probe()): Promise<Finding[]> {
  const root = await mkdtemp(join(tmpdir(), 'bwk-js-engine-'));
  try {
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(dirname(join(root, rel)), { recursive: true });
      await writeFile(join(root, rel), text);
    }
    return await engine.run({ root, files: Object.keys(files).filter((f) => engine.claims(f)), rules: [rule as Rule], options: {} });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

describe('js engine', () => {
  it('claims sources and skips dependencies, declarations and minified bundles', () => {
    for (const f of ['a.js', 'src/b.mjs', 'c.cjs', 'd.ts', 'e.mts', 'f.cts', 'g.tsx', 'h.jsx']) assert.equal(engine.claims(f), true, f);
    for (const f of ['node_modules/x/index.js', 'types.d.ts', 'dist/app.min.js', 'README.md', 'x.json']) assert.equal(engine.claims(f), false, f);
  });

  it('traces a flow from the handler across a local module, source first', async () => {
    const findings = await scan({
      'handler.mjs': "import { run } from './lib/run.mjs';\nexport const handler = async (event) => {\n  const name = event.queryStringParameters.name;\n  return run(name);\n};\n",
      'lib/run.mjs': "export function run(value) {\n  const cmd = 'echo ' + value;\n  return sink(cmd);\n}\n",
    });
    assert.equal(findings.length, 1);
    const f = findings[0]!;
    assert.equal(f.file, 'lib/run.mjs');
    assert.equal(f.line, 3);
    assert.equal(f.message, 'from event');
    const steps = f.trace!.map((l) => `${l.file}:${l.line}`);
    assert.equal(steps[0], 'handler.mjs:2', 'the source parameter comes first');
    assert.ok(steps.includes('handler.mjs:4'), 'the call into the module is a step');
    assert.equal(steps.at(-1), 'lib/run.mjs:3', 'the sink comes last');
  });

  it('summarises functions per parameter: a constant argument stays clean', async () => {
    const findings = await scan({
      'index.js': "function wrap(x) { return '[' + x + ']'; }\nexports.handler = async (event) => {\n  sink(wrap('constant'));\n  sink(wrap(event.body));\n};\n",
    });
    assert.deepEqual(findings.map((f) => f.line), [4]);
  });

  it('reads one property of a known object literal, not the whole object', async () => {
    const findings = await scan({
      'index.js': "function start(event) {\n  return { url: 'http://127.0.0.1/v1', seen: [event.body] };\n}\nexports.handler = async (event) => {\n  const opts = { home: '/srv/data', body: event.body };\n  const server = start(event);\n  sink(opts.home);\n  sink(server.url);\n  sink(opts.body);\n  sink(server.seen);\n};\n",
    });
    assert.deepEqual(findings.map((f) => f.line), [9, 10]);
  });

  it('applies sanitizers per sink kind and the if (!ok) return guard', async () => {
    const code = "const ALLOWED = ['a', 'b'];\nexports.handler = async (event) => {\n  sink(Number(event.n));\n  sink(encodeURIComponent(event.q));\n  sink(require('path').basename(event.file));\n  const choice = event.choice;\n  if (!ALLOWED.includes(choice)) return { statusCode: 400 };\n  sink(choice);\n};\n";
    assert.deepEqual((await scan({ 'index.js': code }, probe('cmd'))).map((f) => f.line), [5], 'basename cleans only paths');
    assert.deepEqual((await scan({ 'index.js': code }, probe('path'))).map((f) => f.line), []);
  });

  it('treats express, fastify and Web handlers as sources and nothing else', async () => {
    const findings = await scan({
      'app.js': "app.post('/x', (req, res) => { sink(req.body.cmd); res.end(); });\nfastify.get('/y', async (request, reply) => sink(request.query.q));\n",
      'worker.mjs': "export default { async fetch(request) { const u = new URL(request.url); return sink(u.searchParams.get('x')); } };\n",
      'lib.js': "module.exports = function helper(req) { return sink(req.body); };\n",
    });
    assert.deepEqual(findings.map((f) => `${f.file}:${f.line} ${f.message}`).sort(), ['app.js:1 from req', 'app.js:2 from request', 'worker.mjs:1 from request']);
  });

  it('resolves names through require, import, destructuring and promisify', async () => {
    const names: string[] = [];
    const rule: Rule<JsRuleContext> = {
      ...probe(),
      check(context) {
        context.visit({ CallExpression(path) { const n = context.resolve(path); if (n && n !== 'require') names.push(n); } });
      },
    };
    await scan({
      'a.mjs': "import { exec as run } from 'node:child_process';\nimport { promisify } from 'node:util';\nimport * as fsp from 'fs/promises';\nconst cp = require('child_process');\nconst { readFile } = require('fs').promises;\nconst execP = promisify(cp.exec);\nrun('x'); cp.spawn('y'); fsp.readFile('z'); readFile('w'); execP('v'); eval('1');\n",
    }, rule);
    assert.deepEqual(names.filter((n) => n !== 'util.promisify').sort(), ['child_process.exec', 'child_process.exec', 'child_process.spawn', 'eval', 'fs.readFile', 'fs.readFile']);
  });

  it('gives a file no rule can use no taint analysis, and an unparsable file an empty program', async () => {
    const seen: { possible: boolean; statements: number }[] = [];
    const rule: Rule<JsRuleContext> = { ...probe(), check(context) { seen.push({ possible: context.taint.possible, statements: context.ast.program.body.length }); } };
    await scan({ 'lib.js': 'module.exports = (a, b) => a + b;\n', 'broken.js': '}}}{{{ ))) this is not javascript (((' }, rule);
    assert.deepEqual(seen.sort((a, b) => a.statements - b.statements), [{ possible: false, statements: 0 }, { possible: false, statements: 1 }]);
  });

  it('reports unparsable files and a failing rule through onError and goes on with the rest', async () => {
    const root = await mkdtemp(join(tmpdir(), 'bwk-js-engine-'));
    try {
      await writeFile(join(root, 'ok.js'), "exports.handler = async (event) => sink(event.body);\n");
      await writeFile(join(root, 'bad.js'), 'const = ;;; function {\n');
      await writeFile(join(root, 'boom.js'), 'module.exports = 1;\n');
      const thrower: Rule<JsRuleContext> = { ...probe(), meta: { ...probe().meta, id: 'THROWER' }, check(context) { if (context.file === 'boom.js') throw new Error('rule bug'); context.visit({ Program() {} }); } };
      const errors: string[] = [];
      const findings = await engine.run({ root, files: ['ok.js', 'bad.js', 'boom.js'], rules: [probe() as Rule, thrower as Rule], options: {}, onError: (file, reason) => errors.push(`${file}: ${reason}`) });
      assert.deepEqual(findings.map((f) => `${f.file}:${f.line}`), ['ok.js:1']);
      assert.equal(errors.length, 2, errors.join('\n'));
      assert.match(errors.find((e) => e.startsWith('bad.js'))!, /^bad\.js: cannot be parsed: .*\(\d+:\d+\)/);
      assert.equal(errors.find((e) => e.startsWith('boom.js')), 'boom.js: rule THROWER failed on this file: rule bug');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
