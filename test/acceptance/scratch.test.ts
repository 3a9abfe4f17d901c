// Acceptance: context.tmpdir is fresh for every invocation. A file written there — or anywhere else the
// sandbox could write, such as beside the tmpdir in the scratch root — is gone by the next invocation,
// even on the same warm worker (concurrency 1, one warm worker; proved by a per-process token and pid).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rm } from 'node:fs/promises';
import type { IsolationMode } from '../../src/config.ts';
import { startTestPlatform, writeFunction, type TestPlatform } from '../support/platform.ts';

const source = String.raw`
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

// Module state lives as long as the worker process: the same token means the same worker.
const boot = Math.random().toString(36).slice(2) + Date.now().toString(36);

export const handler = async (event, context) => {
  const q = event.queryStringParameters ?? {};
  const tmp = context.tmpdir;
  const root = dirname(tmp);
  const out = { pid: process.pid, boot, tmpdir: basename(tmp), tmpdirEntries: readdirSync(tmp) };
  if (q.step === 'write') {
    writeFileSync(join(tmp, 'secret.txt'), q.secret);
    // Beside the tmpdir, in the scratch root: writable too, so it must be emptied as well.
    let besideWritten = true;
    try { writeFileSync(join(root, 'beside-' + q.secret), q.secret); } catch { besideWritten = false; }
    out.besideWritten = besideWritten;
    out.readBack = readFileSync(join(tmp, 'secret.txt'), 'utf8');
  } else {
    const previous = join(root, q.previous, 'secret.txt');
    out.previousVisible = existsSync(previous);
    out.besideVisible = existsSync(join(root, 'beside-' + q.secret));
    let rootEntries = [];
    try { rootEntries = readdirSync(root); } catch { rootEntries = ['(unreadable)']; }
    out.rootLeftovers = rootEntries.filter((e) => e !== basename(tmp));
  }
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(out) };
};
`;

function scratchSuite(mode: IsolationMode): void {
  describe(`scratch dir (isolation: ${mode})`, () => {
    let p: TestPlatform;
    let dir: string;

    before(async () => {
      p = await startTestPlatform({ overrides: { isolation: mode, sandbox: { warmWorkers: 1 } } });
      dir = await writeFunction({
        'bulwark.yaml': [
          'name: scratchpad',
          'handler: index.mjs#handler',
          'owner: platform-team@example.com',
          'expires: 2030-01-01',
          'triggers:',
          '  - http: { method: GET, path: / }',
          'limits: { timeout: 5s, memory: 128MB, concurrency: 1 }',
          '',
        ].join('\n'),
        'index.mjs': source,
      });
      await p.deploy(dir);
    });

    after(async () => {
      await p?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test('a file written to context.tmpdir is not visible in the next invocation on the same worker', async () => {
      for (let round = 0; round < 3; round++) {
        const secret = `s${round}${Math.random().toString(36).slice(2)}`;
        const first = await p.request('GET', `/fn/scratchpad?step=write&secret=${secret}`, { key: p.adminKey });
        assert.equal(first.status, 200, first.text);
        assert.equal(first.json.readBack, secret, 'the tmpdir is writable');
        assert.deepEqual(first.json.tmpdirEntries, [], 'the tmpdir starts empty');

        const second = await p.request('GET', `/fn/scratchpad?step=read&previous=${first.json.tmpdir}&secret=${secret}`, { key: p.adminKey });
        assert.equal(second.status, 200, second.text);
        assert.equal(second.json.boot, first.json.boot, 'both invocations ran on the same worker process');
        assert.equal(second.json.pid, first.json.pid, 'same pid');
        assert.notEqual(second.json.tmpdir, first.json.tmpdir, 'each invocation gets its own tmpdir');
        assert.deepEqual(second.json.tmpdirEntries, [], 'the new tmpdir is empty');
        assert.equal(second.json.previousVisible, false, 'the previous tmpdir and its file are gone');
        assert.equal(second.json.besideVisible, false, 'a file left beside the tmpdir is gone too');
        assert.deepEqual(second.json.rootLeftovers, [], 'nothing from earlier invocations remains in the scratch root');
        assert.ok(!second.text.includes(secret), 'the secret does not come back');
      }
    });
  });
}

scratchSuite('auto');
scratchSuite('permission-only');
