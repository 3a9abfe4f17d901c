// Acceptance: queue and schedule triggers on a real platform. Messages are published over the admin API
// and the real CLI, go through the in-process bus and the same guard chain as HTTP, and reach real
// sandboxes; a message the chain refuses is dead-lettered and recorded, and the handler — which logs
// every event it receives — provably never sees it. Schedules fire from real seconds-precision cron
// expressions through the chain. HTTP requests are validated per part (path parameters, query, headers).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { SecurityEvent } from '../../src/bus/bus.ts';
import type { DeadLetter } from '../../src/store/store.ts';
import { assertError, assertNoLeak, runCli, startTestPlatform, until, type TestPlatform } from '../support/platform.ts';

const head = (name: string) => [`name: ${name}`, 'handler: index.mjs#handler', 'owner: tests@example.com', 'expires: 2099-12-31'];

/** Logs every record it gets; fails when the payload asks it to. */
const consumer = {
  'bulwark.yaml': [...head('resize'), 'triggers:', '  - queue: { subject: images.uploaded }', 'input: ./body.json'].join('\n') + '\n',
  'body.json': JSON.stringify({
    type: 'object',
    additionalProperties: false,
    required: ['id'],
    properties: { id: { type: 'integer' }, note: { type: 'string', maxLength: 100 }, fail: { type: 'boolean' } },
  }),
  'index.mjs': `export const handler = async (event) => {
    const r = event.Records[0];
    console.log('got ' + JSON.stringify({ messageId: r.messageId, body: r.body, attributes: r.attributes, eventSource: r.eventSource }));
    if (JSON.parse(r.body).fail) throw new Error('asked to fail');
    return 'a queue handler answers nobody';
  };`,
};

interface Received {
  messageId: string;
  body: string;
  attributes: Record<string, string>;
  eventSource: string;
}

describe('queue and schedule triggers over the real bus and guard chain', () => {
  let p: TestPlatform;

  /** Every record a consumer's handler logged, oldest first. */
  async function received(name: string): Promise<Received[]> {
    const answer = await p.request('GET', `/admin/v1/functions/${name}/logs?limit=1000`, { key: p.adminKey });
    assert.equal(answer.status, 200, answer.text);
    return (answer.json.logs as Array<{ message: string }>)
      .filter((l) => l.message.startsWith('got '))
      .map((l) => JSON.parse(l.message.slice(4)) as Received);
  }

  async function receivedMessage(name: string, messageId: string, ms = 8000): Promise<Received> {
    const found = await until(ms, async () => (await received(name)).find((r) => r.messageId === messageId));
    assert.ok(found, `${name} never received message ${messageId}`);
    return found;
  }

  async function deadLetterOf(messageId: string, ms = 8000): Promise<DeadLetter> {
    const found = await until(ms, async () => (await p.deadLetters()).find((d) => d.messageId === messageId));
    assert.ok(found, `message ${messageId} was not dead-lettered`);
    return found;
  }

  const eventsOf = (type: SecurityEvent['type'], match: (d: Record<string, unknown>) => boolean) =>
    p.events.filter((e) => e.type === type && match(e.detail ?? {}));

  before(async () => {
    p = await startTestPlatform({ overrides: { triggers: { retryDelayMs: 50, maxAttempts: 3 } } });
    const deployed = await p.deployFiles(consumer);
    assert.equal(deployed.status, 201, deployed.text);
  });

  after(() => p?.close());

  test('a message published over the admin API reaches the consumer as an SQS-like record', async () => {
    const payload = { id: 1, note: 'hello from the admin API' };
    const answer = await p.publish('images.uploaded', payload);
    assert.equal(answer.status, 202, answer.text);
    assert.deepEqual(answer.json.functions, ['resize']);
    assert.equal(answer.json.subject, 'images.uploaded');
    const got = await receivedMessage('resize', answer.json.messageId);
    assert.deepEqual(JSON.parse(got.body), payload);
    assert.equal(got.attributes.subject, 'images.uploaded');
    assert.equal(got.attributes.ApproximateReceiveCount, '1');
    assert.match(got.attributes.SenderId!, /^key:[A-Za-z0-9]{12}$/, 'the publisher, by its actor id only');
    assert.equal(got.eventSource, 'bulwark:queue');
    assertNoLeak(JSON.stringify(got), p.secrets, 'the event');
  });

  test('a message published with the CLI, as an argument and from standard input, reaches the consumer', async () => {
    const env = { BULWARK_HOME: p.home };
    const arg = await runCli(['publish', 'images.uploaded', '{"id": 2, "note": "from the CLI"}'], env);
    assert.equal(arg.code, 0, arg.stderr);
    assert.match(arg.stderr, /published on images\.uploaded to resize/);
    const fromArg = await receivedMessage('resize', arg.stdout.trim());
    assert.deepEqual(JSON.parse(fromArg.body), { id: 2, note: 'from the CLI' });

    const piped = await runCli(['publish', 'images.uploaded', '-', '--json'], env, undefined, '{"id": 3, "note": "piped"}\n');
    assert.equal(piped.code, 0, piped.stderr);
    const fromStdin = await receivedMessage('resize', JSON.parse(piped.stdout).messageId);
    assert.deepEqual(JSON.parse(fromStdin.body), { id: 3, note: 'piped' });

    const before = (await received('resize')).length;
    const broken = await runCli(['publish', 'images.uploaded', '{"id": 4,'], env);
    assert.equal(broken.code, 2, 'invalid JSON is a usage error');
    assert.match(broken.stderr, /^error BWK_E_CLI_USAGE: the payload argument is not valid JSON \(.+\): pass a JSON value/);
    assert.equal(broken.stdout, '');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await received('resize')).length, before, 'nothing was published');
  });

  test('a message that fails the schema is dead-lettered and recorded; the handler never sees it', async () => {
    const canary = `canary-${randomUUID()}`;
    const answer = await p.publish('images.uploaded', { id: 'not-a-number', note: canary });
    assert.equal(answer.status, 202, 'accepted by the bus: the chain judges it at delivery');
    const messageId = answer.json.messageId as string;
    const letter = await deadLetterOf(messageId);
    assert.equal(letter.function, 'resize');
    assert.equal(letter.source, 'queue');
    assert.equal(letter.subject, 'images.uploaded');
    assert.equal(letter.reason, 'BWK_E_GUARD_INPUT_INVALID');
    assert.equal(letter.guard, 'schema');
    assert.equal(letter.rule, 'body');
    assert.equal(letter.attempts, 1, 'a refusal is not retried: the same input would be refused again');
    assert.deepEqual(JSON.parse(letter.payload), { id: 'not-a-number', note: canary });
    assert.match(letter.actor, /^key:/);

    const rejected = await until(3000, () => eventsOf('guard.rejected', (d) => d.guard === 'schema' && d.source === 'queue').at(-1));
    assert.ok(rejected, 'guard.rejected with source queue');
    assert.equal(rejected.function, 'resize');
    assert.equal(rejected.sourceIp, '127.0.0.1', "the publisher's address");
    const [recorded] = eventsOf('queue.dead-lettered', (d) => d.messageId === messageId);
    assert.ok(recorded, 'queue.dead-lettered security event');
    assert.deepEqual({ ...recorded.detail }, {
      deadLetterId: letter.id, messageId, source: 'queue', subject: 'images.uploaded', reason: 'BWK_E_GUARD_INPUT_INVALID',
      guard: 'schema', rule: 'body', attempts: 1, stored: true,
    });

    // Proof the handler never ran: it logs every record it is given, and a valid message published
    // after this one has been handled — the invalid one is not among what it logged.
    const later = await p.publish('images.uploaded', { id: 5 });
    await receivedMessage('resize', later.json.messageId);
    const all = await received('resize');
    assert.ok(!all.some((r) => r.messageId === messageId || r.body.includes(canary)), 'the handler never saw the refused message');

    const cli = await runCli(['dead-letters', 'list', '--function', 'resize'], { BULWARK_HOME: p.home });
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /BWK_E_GUARD_INPUT_INVALID\s+schema\/body\s+1\s+\{"id":"not-a-number"/);
  });

  test('a handler that keeps failing is retried, then dead-lettered with its last error', async () => {
    const answer = await p.publish('images.uploaded', { id: 6, fail: true });
    assert.equal(answer.status, 202, answer.text);
    const messageId = answer.json.messageId as string;
    const letter = await deadLetterOf(messageId);
    assert.equal(letter.reason, 'BWK_E_SANDBOX_FUNCTION_ERROR');
    assert.equal(letter.guard, null);
    assert.equal(letter.attempts, 3);
    const attempts = (await received('resize')).filter((r) => r.messageId === messageId).map((r) => r.attributes.ApproximateReceiveCount);
    assert.deepEqual(attempts, ['1', '2', '3']);
  });

  test('publishing is refused to callers who may not invoke every consumer, before anything is delivered', async () => {
    const canary = `canary-${randomUUID()}`;
    const viewer = await p.createKey({ role: 'viewer', functions: ['*'] });
    const elsewhere = await p.createKey({ role: 'invoker', functions: ['billing'] });
    const allowed = await p.createKey({ role: 'invoker', functions: ['resize'] });

    assertError(await p.publish('images.uploaded', { id: 7, note: canary }, 'bwk_nope'), 401, 'BWK_E_GUARD_AUTH_INVALID', p.secrets);
    const byViewer = await p.publish('images.uploaded', { id: 7, note: canary }, viewer.key);
    assertError(byViewer, 403, 'BWK_E_GUARD_FORBIDDEN', p.secrets);
    assert.equal((await p.expectEvent('authz.denied', byViewer.requestId)).detail?.action, 'publish');
    const byOther = await p.publish('images.uploaded', { id: 7, note: canary }, elsewhere.key);
    assertError(byOther, 403, 'BWK_E_GUARD_FORBIDDEN', p.secrets);
    assert.equal(byOther.json.error.message, 'Not allowed to publish to images.uploaded: you may not invoke every function consuming it');
    assert.equal((await p.expectEvent('authz.denied', byOther.requestId)).detail?.action, 'publish');

    const ok = await p.publish('images.uploaded', { id: 8 }, allowed.key);
    assert.equal(ok.status, 202, ok.text);
    const got = await receivedMessage('resize', ok.json.messageId);
    assert.equal(got.attributes.SenderId, `key:${allowed.id}`);
    assert.ok(!(await received('resize')).some((r) => r.body.includes(canary)), 'no refused publish reached the handler');
  });

  test('publish requests are checked: subject syntax, a consumer to deliver to, size, shape', async () => {
    assertError(await p.publish('images.*', { id: 1 }), 400, 'BWK_E_BUS_SUBJECT_INVALID', p.secrets);
    assertError(await p.publish('a..b', { id: 1 }), 400, 'BWK_E_BUS_SUBJECT_INVALID', p.secrets);
    const none = await p.publish('nobody.listens', { id: 1 });
    assertError(none, 404, 'BWK_E_BUS_NO_CONSUMER', p.secrets);
    const big = await p.publish('images.uploaded', { note: 'x'.repeat(300 * 1024) });
    assert.ok(big.status === 413, big.text.slice(0, 200));
    const extra = await p.request('POST', '/admin/v1/publish', { key: p.adminKey, body: { subject: 'images.uploaded', payload: {}, priority: 1 } });
    assertError(extra, 400, 'BWK_E_GATEWAY_BAD_REQUEST', p.secrets);
    const notJson = await p.request('POST', '/admin/v1/publish', { key: p.adminKey, body: '{"subject": "images.uploaded", "payload": ', headers: { 'content-type': 'application/json' } });
    assertError(notJson, 400, 'BWK_E_GATEWAY_BAD_REQUEST', p.secrets);
  });

  test('a payload reaches the chain as written: a __proto__ key is neither stripped nor refused at publish', async () => {
    const raw = '{"subject": "images.uploaded", "payload": {"id": 9, "__proto__": {"polluted": true}}}';
    const answer = await p.request('POST', '/admin/v1/publish', { key: p.adminKey, body: raw, headers: { 'content-type': 'application/json' } });
    assert.equal(answer.status, 202, answer.text);
    // The body schema (additionalProperties: false) sees the key and refuses the message.
    const letter = await deadLetterOf(answer.json.messageId);
    assert.equal(letter.guard, 'schema');
    assert.equal(letter.payload, '{"id":9,"__proto__":{"polluted":true}}');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('subscriptions follow deploy, rollback and removal', async () => {
    const v2 = { ...consumer, 'bulwark.yaml': consumer['bulwark.yaml'].replace('  - queue: { subject: images.uploaded }', '  - queue: { subject: images.resized }') };
    assert.equal((await p.deployFiles(v2)).status, 201);
    assertError(await p.publish('images.uploaded', { id: 10 }), 404, 'BWK_E_BUS_NO_CONSUMER', p.secrets);
    const moved = await p.publish('images.resized', { id: 11 });
    assert.equal(moved.status, 202, moved.text);
    await receivedMessage('resize', moved.json.messageId);

    const back = await p.request('POST', '/admin/v1/functions/resize/rollback', { key: p.adminKey, body: {} });
    assert.equal(back.status, 200, back.text);
    assertError(await p.publish('images.resized', { id: 12 }), 404, 'BWK_E_BUS_NO_CONSUMER', p.secrets);
    const restored = await p.publish('images.uploaded', { id: 13 });
    assert.equal(restored.status, 202, restored.text);
    await receivedMessage('resize', restored.json.messageId);
  });

  test('a schedule fires from a seconds cron through the guard chain, and its runs never overlap', async () => {
    const ticker = {
      'bulwark.yaml': [
        ...head('ticker'), 'triggers:',
        '  - http: { method: GET, path: /hold }',
        '  - schedule: { cron: "* * * * * *", payload: { job: nightly } }',
        'limits: { concurrency: 1, queue: 0 }',
      ].join('\n') + '\n',
      'index.mjs': `export const handler = async (event) => {
        if (event.requestContext) {
          await new Promise((r) => setTimeout(r, Number(event.queryStringParameters.ms)));
          return { statusCode: 200, body: 'held' };
        }
        console.log('tick ' + JSON.stringify({ event, start: Date.now() }));
        await new Promise((r) => setTimeout(r, 1300));
        console.log('done ' + JSON.stringify({ id: event.id, end: Date.now() }));
      };`,
    };
    assert.equal((await p.deployFiles(ticker)).status, 201);
    const logs = async () => {
      const answer = await p.request('GET', '/admin/v1/functions/ticker/logs?limit=1000', { key: p.adminKey });
      return (answer.json.logs as Array<{ message: string }>).map((l) => l.message);
    };
    const first = await until(5000, async () => (await logs()).find((m) => m.startsWith('tick ')));
    assert.ok(first, 'the schedule fired');
    const { event } = JSON.parse(first.slice(5)) as { event: Record<string, unknown> };
    assert.equal(event['detail-type'], 'Scheduled Event');
    assert.equal(event.source, 'bulwark.scheduler');
    assert.deepEqual(event.detail, { job: 'nightly' });
    assert.deepEqual(event.resources, ['bulwark:schedule:ticker/0']);

    // Through the chain: while an HTTP call holds the one concurrency permit, the concurrency guard refuses
    // the scheduled runs (retried, then dead-lettered); once it is released they run again.
    // (A scheduled run holding the permit just then refuses the HTTP call instead: try again.)
    const held = await until(10_000, async () => {
      const answer = await p.request('GET', '/fn/ticker/hold?ms=2500', { key: p.adminKey });
      return answer.status === 429 ? undefined : answer;
    });
    assert.ok(held, 'the HTTP call got the permit');
    assert.equal(held.status, 200, held.text);
    const refused = eventsOf('guard.rejected', (d) => d.guard === 'concurrency' && d.source === 'schedule');
    assert.ok(refused.length >= 1, 'the concurrency guard refused a scheduled run');
    assert.equal(refused[0]!.actor, 'scheduler');
    assert.equal(refused[0]!.sourceIp, '0.0.0.0');
    const letter = await until(3000, async () => (await p.deadLetters('ticker')).find((d) => d.guard === 'concurrency'));
    assert.ok(letter, 'a run refused on every attempt is dead-lettered');
    assert.deepEqual([letter.source, letter.subject, letter.reason, letter.attempts, letter.actor], ['schedule', null, 'BWK_E_GUARD_CONCURRENCY', 3, 'scheduler']);
    assert.deepEqual(JSON.parse(letter.payload), { job: 'nightly' });

    const ticksBefore = (await logs()).filter((m) => m.startsWith('tick ')).length;
    assert.ok(await until(5000, async () => ((await logs()).filter((m) => m.startsWith('tick ')).length > ticksBefore ? true : undefined)), 'runs resume');

    // Each run takes 1.3 s and the cron ticks every second: the ticks in between are skipped, never run beside it.
    await p.expectLog(['scheduled run skipped: the previous run of this schedule is still going']);
    const messages = await logs();
    const starts = messages.filter((m) => m.startsWith('tick ')).map((m) => JSON.parse(m.slice(5)) as { event: { id: string }; start: number });
    const ends = new Map(messages.filter((m) => m.startsWith('done ')).map((m) => JSON.parse(m.slice(5)) as { id: string; end: number }).map((d) => [d.id, d.end]));
    for (let i = 1; i < starts.length; i++) {
      const previousEnd = ends.get(starts[i - 1]!.event.id);
      if (previousEnd !== undefined) assert.ok(starts[i]!.start >= previousEnd, `run ${i} started before run ${i - 1} ended`);
    }

    // Removed: the schedule stops with it (the run in progress, if any, ends first).
    assert.equal((await p.request('DELETE', '/admin/v1/functions/ticker', { key: p.adminKey })).status, 200);
    const runsOf = () => p.logLines().filter((l) => l.includes('"event delivered"') && l.includes('"function":"ticker"')).length;
    await new Promise((r) => setTimeout(r, 1500));
    const runs = runsOf();
    assert.ok(runs > 0, 'the gateway log records each delivered run');
    await new Promise((r) => setTimeout(r, 2200));
    assert.equal(runsOf(), runs, 'no run after removal');

    // Left running: closing the platform (after all tests) must stop a live schedule cleanly.
    const heartbeat = {
      'bulwark.yaml': [...head('heartbeat'), 'triggers:', '  - schedule: { cron: "* * * * * *" }'].join('\n') + '\n',
      'index.mjs': 'export const handler = async () => {};',
    };
    assert.equal((await p.deployFiles(heartbeat)).status, 201);
  });

  describe('HTTP: path parameters, query and headers are validated, each failure named by its location', () => {
    before(async () => {
      const items = {
        'bulwark.yaml': [
          ...head('items'), 'triggers:', '  - http: { method: GET, path: "/items/{id}" }',
          'input: { query: ./query.json, params: ./params.json, headers: ./headers.json }',
        ].join('\n') + '\n',
        'query.json': JSON.stringify({ type: 'object', required: ['limit'], properties: { limit: { type: 'integer', minimum: 1, maximum: 100 } } }),
        'params.json': JSON.stringify({ type: 'object', properties: { id: { type: 'string', pattern: '^[0-9]+$' } } }),
        'headers.json': JSON.stringify({ type: 'object', required: ['x-api-version'], properties: { 'x-api-version': { enum: ['1', '2'] } } }),
        'index.mjs': `export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ query: event.queryStringParameters, id: event.pathParameters.id }) });`,
      };
      assert.equal((await p.deployFiles(items)).status, 201);
    });

    const v2 = { 'x-api-version': '2' };

    test('a request that matches every part is served, with the values as the caller sent them', async () => {
      const ok = await p.request('GET', '/fn/items/items/42?limit=10', { key: p.adminKey, headers: v2 });
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual(ok.json, { query: { limit: '10' }, id: '42' });
    });

    for (const [what, path, headers, message, rule] of [
      ['query', '/fn/items/items/42?limit=ten', v2, 'Input does not match the function schema: query/limit must be integer', 'query'],
      ['missing query', '/fn/items/items/42', v2, "Input does not match the function schema: query must have required property 'limit'", 'query'],
      ['path parameter', '/fn/items/items/4x2?limit=1', v2, 'Input does not match the function schema: params/id must match pattern "^[0-9]+$"', 'params'],
      ['header', '/fn/items/items/42?limit=1', { 'x-api-version': '9' }, 'Input does not match the function schema: headers/x-api-version must be equal to one of the allowed values', 'headers'],
    ] as const) {
      test(`${what} mismatch → 400 naming the location, never the value; recorded`, async () => {
        const answer = await p.request('GET', path, { key: p.adminKey, headers });
        assertError(answer, 400, 'BWK_E_GUARD_INPUT_INVALID', p.secrets);
        assert.equal(answer.json.error.message, message);
        assert.doesNotMatch(answer.text, /ten|4x2|"9"/);
        const event = await p.expectEvent('guard.rejected', answer.requestId);
        assert.deepEqual({ ...event.detail }, { guard: 'schema', rule, code: 'BWK_E_GUARD_INPUT_INVALID', source: 'http' });
      });
    }
  });
});

describe('a queued message whose publisher loses its key before delivery', () => {
  let p: TestPlatform;

  // A long backoff, so the key is certainly revoked between the first attempt and the retry.
  before(async () => {
    p = await startTestPlatform({ overrides: { triggers: { retryDelayMs: 2000, maxAttempts: 3 } } });
  });
  after(() => p?.close());

  test('is refused by authn at delivery and dead-lettered with that reason; the handler never sees it', async () => {
    // One invocation at a time and no waiting line: a message arriving while one runs is retried later.
    const slow = {
      'bulwark.yaml': [
        ...head('slow'), 'triggers:', '  - queue: { subject: jobs.slow }', '  - http: { method: GET, path: / }',
        'limits: { timeout: 10s, concurrency: 1, queue: 0 }',
      ].join('\n') + '\n',
      'index.mjs': `export const handler = async (event) => {
        if (!event.Records) return { statusCode: 200, body: 'free' };
        const r = event.Records[0];
        console.log('got ' + r.messageId);
        await new Promise((resolve) => setTimeout(resolve, JSON.parse(r.body).holdMs));
      };`,
    };
    assert.equal((await p.deployFiles(slow)).status, 201);
    const publisher = await p.createKey({ role: 'invoker', functions: ['slow'], label: 'leaving' });
    const actor = `key:${publisher.id}`;

    const holding = await p.publish('jobs.slow', { holdMs: 4000 });
    assert.equal(holding.status, 202, holding.text);
    const busy = await until(5000, async () => ((await p.request('GET', '/fn/slow', { key: p.adminKey })).status === 429 ? true : undefined));
    assert.ok(busy, 'the first message holds the only permit');

    const queued = await p.publish('jobs.slow', { holdMs: 0 }, publisher.key);
    assert.equal(queued.status, 202, queued.text);
    const messageId = queued.json.messageId as string;
    const waited = await until(3000, () => p.events.find((e) => e.type === 'guard.rejected' && e.actor === actor && e.detail?.guard === 'concurrency'));
    assert.ok(waited, 'its first delivery attempt found the consumer busy');
    assert.equal((await p.request('DELETE', `/admin/v1/keys/${publisher.id}`, { key: p.adminKey })).status, 200);

    const letter = await until(8000, async () => (await p.deadLetters('slow')).find((d) => d.messageId === messageId));
    assert.ok(letter, 'the message was dead-lettered');
    assert.deepEqual([letter.reason, letter.guard, letter.rule, letter.attempts, letter.actor], ['BWK_E_GUARD_AUTH_INVALID', 'authn', 'publisher-key-revoked', 2, actor]);
    const refused = p.events.find((e) => e.type === 'guard.rejected' && e.actor === actor && e.detail?.guard === 'authn');
    assert.deepEqual({ ...refused?.detail }, { guard: 'authn', rule: 'publisher-key-revoked', code: 'BWK_E_GUARD_AUTH_INVALID', source: 'queue' });
    assert.ok(!p.events.some((e) => e.type === 'auth.failed' && e.sourceIp === '127.0.0.1' && e.detail?.keyId === publisher.id), 'not scored as a failed login');

    // The handler logs every message it gets: the first one, once it is done, and never the refused one.
    const logged = async () => {
      const answer = await p.request('GET', '/admin/v1/functions/slow/logs?limit=1000', { key: p.adminKey });
      return (answer.json.logs as Array<{ message: string }>).map((l) => l.message);
    };
    assert.ok(await until(8000, async () => ((await logged()).includes(`got ${holding.json.messageId}`) ? true : undefined)));
    await new Promise((r) => setTimeout(r, 2500));
    assert.ok(!(await logged()).includes(`got ${messageId}`), 'the handler never saw the revoked publisher\'s message');
  });
});
