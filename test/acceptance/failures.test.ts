// Acceptance: a function that hangs, bombs memory or throws never takes the gateway down. An infinite
// loop → 504 BWK_E_SANDBOX_TIMEOUT within the timeout plus slack, and the next call runs on a replaced
// worker; a JS-heap bomb and a Buffer bomb → 502 BWK_E_SANDBOX_MEMORY; a thrown error → a generic 502
// with a request id, its stack only in the logs. Run under both isolation modes: the RSS watchdog has to
// find the right process inside bubblewrap too.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type { IsolationMode } from '../../src/config.ts';
import { assertError, manifest as testManifest, startTestPlatform, writeFunction, type Answer, type TestPlatform } from '../support/platform.ts';

const TIMEOUT_MS = 1000;
/** Kill, reap and answer: generous, since two test files share two cores. */
const SLACK_MS = 4000;
const canary = `c${randomBytes(8).toString('hex')}`;

const source = String.raw`
// Module state lives as long as the worker process: a new token means a new worker.
const boot = Math.random().toString(36).slice(2) + Date.now().toString(36);

function bwkInternalFrame_${canary}() {
  throw new Error('kaboom ${canary} while talking to db://internal-host/${canary}');
}

export const handler = async (event) => {
  const mode = event.queryStringParameters?.mode;
  if (mode === 'loop') { for (;;) { /* spin */ } }
  if (mode === 'heap') {
    const hoard = [];
    for (;;) hoard.push(new Array(100000).fill({ n: hoard.length }));
  }
  if (mode === 'buffer') {
    // Outside the V8 heap: only a resident-size watchdog sees it. Capped at 2 GiB so a missing
    // watchdog fails this test instead of the machine.
    const hoard = [];
    for (let i = 0; i < 128; i++) {
      hoard.push(Buffer.alloc(16 * 1024 * 1024, i));
      await new Promise((r) => setTimeout(r, 5));
    }
    return { statusCode: 200, body: 'survived ' + hoard.length * 16 + ' MiB' };
  }
  if (mode === 'throw') bwkInternalFrame_${canary}();
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pid: process.pid, boot }) };
};
`;

const manifest = (name: string, limits: string) => testManifest(name, ['{ method: GET, path: / }'], [`limits: { ${limits} }`]);

function failureSuite(mode: IsolationMode): void {
  describe(`failing functions (isolation: ${mode})`, () => {
    let p: TestPlatform;
    const dirs: string[] = [];
    const secrets = () => [...p.secrets, canary, 'kaboom', 'internal-host', 'bwkInternalFrame'];

    async function alive(name: string): Promise<Answer> {
      const health = await p.request('GET', '/healthz');
      assert.equal(health.status, 200, 'gateway health');
      const ok = await p.request('GET', `/fn/${name}?mode=ok`, { key: p.adminKey });
      assert.equal(ok.status, 200, `${name} serves again: ${ok.text}`);
      return ok;
    }

    before(async () => {
      p = await startTestPlatform({ overrides: { isolation: mode } });
      for (const [name, limits] of [
        ['spinner', `timeout: ${TIMEOUT_MS}ms, memory: 128MB, concurrency: 1`],
        ['bomber', 'timeout: 20s, memory: 128MB, concurrency: 1'],
      ] as const) {
        const dir = await writeFunction({ 'bulwark.yaml': manifest(name, limits), 'index.mjs': source });
        dirs.push(dir);
        await p.deploy(dir);
      }
    });

    after(async () => {
      await p?.close();
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    });

    test('an infinite loop → 504 BWK_E_SANDBOX_TIMEOUT within the timeout, then a replaced worker serves', async () => {
      const before = await alive('spinner');
      const answer = await p.request('GET', '/fn/spinner?mode=loop', { key: p.adminKey });
      assertError(answer, 504, 'BWK_E_SANDBOX_TIMEOUT', secrets());
      assert.ok(answer.ms >= TIMEOUT_MS - 50, `answered after ${answer.ms} ms, before the ${TIMEOUT_MS} ms timeout`);
      assert.ok(answer.ms < TIMEOUT_MS + SLACK_MS, `answered after ${answer.ms} ms, beyond ${TIMEOUT_MS} + ${SLACK_MS} ms`);
      const e = await p.expectEvent('sandbox.timeout', answer.requestId);
      assert.equal(e.function, 'spinner');
      await p.expectLog([answer.requestId]);

      const next = await alive('spinner');
      assert.notEqual(next.json.boot, before.json.boot, 'the hung worker was replaced by a new process');
      // Inside bubblewrap every worker is an early pid of its own pid namespace; on the host they differ.
      if (mode === 'permission-only') assert.notEqual(next.json.pid, before.json.pid, 'a different pid');
    });

    test('a JS-heap bomb → 502 BWK_E_SANDBOX_MEMORY, gateway alive', async () => {
      const answer = await p.request('GET', '/fn/bomber?mode=heap', { key: p.adminKey });
      assertError(answer, 502, 'BWK_E_SANDBOX_MEMORY', secrets());
      const e = await p.expectEvent('sandbox.memory-exceeded', answer.requestId);
      assert.equal(e.function, 'bomber');
      await p.expectLog([answer.requestId]);
      await alive('bomber');
    });

    test('a Buffer bomb (outside the V8 heap) → 502 BWK_E_SANDBOX_MEMORY, gateway alive', async () => {
      const answer = await p.request('GET', '/fn/bomber?mode=buffer', { key: p.adminKey });
      assertError(answer, 502, 'BWK_E_SANDBOX_MEMORY', secrets());
      await p.expectEvent('sandbox.memory-exceeded', answer.requestId);
      await p.expectLog([answer.requestId]);
      await alive('bomber');
    });

    test('a thrown error → generic 502 with a request id; the stack only in the logs', async () => {
      const answer = await p.request('GET', '/fn/bomber?mode=throw', { key: p.adminKey });
      assertError(answer, 502, 'BWK_E_SANDBOX_FUNCTION_ERROR', secrets());
      assert.doesNotMatch(answer.json.error.message, /Error:|kaboom|at /, 'the message is generic');

      const logs = await p.functionLogs('bomber', answer.requestId);
      const fnLog = logs.map((l) => l.message).join('\n');
      assert.match(fnLog, new RegExp(`kaboom ${canary}`), 'the function log has the message');
      assert.match(fnLog, new RegExp(`at bwkInternalFrame_${canary}`), 'the function log has the stack');
      // And the gateway's own log, under the same request id.
      const gatewayLog = await p.expectLog([answer.requestId, `bwkInternalFrame_${canary}`]);
      const line = gatewayLog.split('\n').find((l) => l.includes(answer.requestId) && l.includes(`bwkInternalFrame_${canary}`));
      assert.ok(line, 'one log line carries both the request id and the stack');
      await alive('bomber');
    });
  });
}

failureSuite('auto');
failureSuite('permission-only');
