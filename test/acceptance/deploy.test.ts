// Acceptance: deploys that must not land. A malformed manifest makes the real CLI exit non-zero with
// bulwark.yaml:line:col and stores nothing; a bundle that cannot load (throws at import, lacks its
// export) is rejected by the gateway and the previous version keeps serving with its version list
// unchanged. A good deploy through the same CLI is the control that the harness itself works.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rm } from 'node:fs/promises';
import { assertError, deployBody, manifest as testManifest, runCli, startTestPlatform, writeFunction, type TestPlatform } from '../support/platform.ts';

const manifest = (name: string, extra = '') =>
  testManifest(name, ['{ method: GET, path: / }'], ['limits: { timeout: 3s, memory: 128MB, concurrency: 2 }', extra]);

const handlerReturning = (v: string) =>
  `export const handler = async () => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ v: '${v}' }) });\n`;

/** Malformed manifests and where the CLI must point. */
const malformed = [
  {
    what: 'a value of the wrong shape',
    yaml: manifest('broken').replace('timeout: 3s', 'timeout: soon'),
    code: 'BWK_E_MANIFEST_INVALID', line: 7, col: 20,
  },
  {
    what: 'an unknown key',
    yaml: manifest('broken', 'limitz: { timeout: 3s }'),
    code: 'BWK_E_MANIFEST_INVALID', line: 8, col: 1,
  },
  {
    what: 'invalid YAML',
    yaml: 'name: broken\nhandler: [index.mjs#handler\nowner: platform-team@example.com\n',
    code: 'BWK_E_MANIFEST_SYNTAX', line: 3, col: 1,
  },
];

describe('deploy gate', () => {
  let p: TestPlatform;
  const dirs: string[] = [];
  let cliEnv: Record<string, string>;

  async function fnDir(files: Record<string, string>): Promise<string> {
    const dir = await writeFunction(files);
    dirs.push(dir);
    return dir;
  }

  async function steadyServes(v: string): Promise<void> {
    const answer = await p.request('GET', '/fn/steady', { key: p.adminKey });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json, { v });
  }

  before(async () => {
    p = await startTestPlatform();
    cliEnv = { BULWARK_HOME: p.home, BULWARK_URL: p.url, BULWARK_API_KEY: p.adminKey };
    await p.deploy(await fnDir({ 'bulwark.yaml': manifest('steady'), 'index.mjs': handlerReturning('one') }));
    await steadyServes('one');
  });

  after(async () => {
    await p?.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  for (const m of malformed) {
    test(`malformed manifest (${m.what}) → the CLI exits non-zero with bulwark.yaml:${m.line}:${m.col}, nothing stored`, async () => {
      const dir = await fnDir({ 'bulwark.yaml': m.yaml, 'index.mjs': handlerReturning('never') });
      const eventsBefore = p.events.length;
      const run = await runCli(['deploy', dir], cliEnv, dir);
      assert.notEqual(run.code, 0, `exit code; stderr: ${run.stderr}`);
      assert.match(run.stderr, new RegExp(`error ${m.code}:`));
      const at = /bulwark\.yaml:(\d+):(\d+)/.exec(run.stderr);
      assert.ok(at, `stderr names bulwark.yaml:line:col: ${run.stderr}`);
      assert.deepEqual([Number(at[1]), Number(at[2])], [m.line, m.col], run.stderr);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
      assert.ok(!run.stderr.includes(p.adminKey) && !run.stdout.includes(p.adminKey), 'the key is never printed');
      assert.deepEqual(await p.versions('broken'), { active: undefined, versions: [] });
      assert.deepEqual(p.events.slice(eventsBefore).filter((e) => e.type.startsWith('deploy.')), [], 'no deploy reached the gateway');
    });
  }

  test('a malformed manifest sent straight to the admin API → 400 with line:col, nothing stored', async () => {
    const good = await deployBody(await fnDir({ 'bulwark.yaml': manifest('broken'), 'index.mjs': handlerReturning('never') }));
    const body = JSON.parse(good.body) as { manifest: string };
    body.manifest = malformed[0]!.yaml;
    const answer = await p.request('POST', '/admin/v1/functions', { key: p.adminKey, body });
    assertError(answer, 400, 'BWK_E_MANIFEST_INVALID', p.secrets);
    assert.match(answer.json.error.message, /bulwark\.yaml:7:20/);
    assert.deepEqual(await p.versions('broken'), { active: undefined, versions: [] });
    await p.expectLog([answer.requestId]);
  });

  test('a bundle whose sha256 does not match → 400 BWK_E_DEPLOY_DIGEST_MISMATCH, previous version serving', async () => {
    const dir = await fnDir({ 'bulwark.yaml': manifest('steady'), 'index.mjs': handlerReturning('tampered') });
    const good = JSON.parse((await deployBody(dir)).body) as { bundle: string };
    const other = await deployBody(await fnDir({ 'bulwark.yaml': manifest('steady'), 'index.mjs': handlerReturning('other') }));
    const answer = await p.request('POST', '/admin/v1/functions', { key: p.adminKey, body: { ...JSON.parse(other.body), bundle: good.bundle } });
    assertError(answer, 400, 'BWK_E_DEPLOY_DIGEST_MISMATCH', [...p.secrets, dir]);
    await p.expectEvent('deploy.rejected', answer.requestId);
    await steadyServes('one');
    assert.deepEqual(await p.versions('steady'), { active: 1, versions: [1] });
  });

  const broken = [
    {
      what: 'throws at import time',
      source: `throw new Error('broken at import');\nexport const handler = async () => ({ statusCode: 200, body: 'unreachable' });\n`,
    },
    {
      what: 'lacks the handler export',
      source: `export const notTheHandler = async () => ({ statusCode: 200, body: 'wrong name' });\n`,
    },
  ];

  for (const b of broken) {
    test(`a bundle that ${b.what} is rejected; the previous version keeps serving, versions unchanged`, async () => {
      const dir = await fnDir({ 'bulwark.yaml': manifest('steady'), 'index.mjs': b.source });
      const before = await p.versions('steady');

      // Through the CLI, as an author would.
      const run = await runCli(['deploy', dir], cliEnv, dir);
      assert.notEqual(run.code, 0, `exit code; stdout: ${run.stdout} stderr: ${run.stderr}`);
      assert.match(run.stderr, /error BWK_E_DEPLOY_REJECTED:/);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');

      // And over HTTP, to see the exact answer and the event.
      const answer = await p.deployRaw(dir);
      assertError(answer, 422, 'BWK_E_DEPLOY_REJECTED', [...p.secrets, dir]);
      const e = await p.expectEvent('deploy.rejected', answer.requestId);
      assert.equal(e.function, 'steady');
      await p.expectLog([answer.requestId]);

      await steadyServes('one');
      assert.deepEqual(await p.versions('steady'), before);
    });
  }

  test('control: a good deploy through the same CLI lands as version 2, and rollback returns to 1', async () => {
    const dir = await fnDir({ 'bulwark.yaml': manifest('steady'), 'index.mjs': handlerReturning('two') });
    const run = await runCli(['deploy', dir], cliEnv, dir);
    assert.equal(run.code, 0, `stderr: ${run.stderr}`);
    assert.match(run.stdout, /steady@2/);
    await steadyServes('two');
    assert.deepEqual(await p.versions('steady'), { active: 2, versions: [1, 2] });

    const rollback = await p.request('POST', '/admin/v1/functions/steady/rollback', { key: p.adminKey, body: {} });
    assert.equal(rollback.status, 200, rollback.text);
    assert.equal(rollback.json.version, 1);
    await steadyServes('one');
  });
});
