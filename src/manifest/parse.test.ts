import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifest, isExpired } from './parse.ts';
import { BulwarkError } from '../errors.ts';

const BASE = `name: hello
handler: src/index.ts#handler
owner: team@example.com
expires: 2027-06-30
triggers:
  - http: { method: POST, path: / }
`;

const files: Record<string, string> = {
  'schemas/input.json': '{ "type": "object", "required": ["name"], "properties": { "name": { "type": "string" } } }',
  'schemas/broken.json': '{ "type": "object", "requried": ["name"] }',
  'schemas/not-json.json': '{ type: object }',
  'schemas/list.json': '[1, 2]',
  'schemas/backref.json': JSON.stringify({ type: 'string', pattern: '^(a+)\\1$' }),
  'schemas/lookahead.json': JSON.stringify({ type: 'object', patternProperties: { '^(?!x)': { type: 'string' } } }),
  'schemas/counted.json': JSON.stringify({ type: 'string', pattern: '^[A-Z]{1,32}$' }),
  'schemas/unicode.json': JSON.stringify({ type: 'string', pattern: '^\\p{Lu}+$' }),
  'schemas/upper.json': JSON.stringify({ type: 'object', required: ['X-Api-Version'] }),
  'schemas/query.json': JSON.stringify({ type: 'object', properties: { limit: { type: 'integer' } } }),
  'schemas/redos.json': JSON.stringify({ type: 'object', properties: { s: { type: 'string', pattern: '^(a|a)+$' } } }),
};
const readFile = (p: string) => files[p];

function parse(source: string) {
  return parseManifest(source, 'bulwark.yaml', readFile);
}

test('a minimal manifest is normalised with every default filled in', () => {
  assert.deepEqual(parse(BASE), {
    name: 'hello',
    handler: { file: 'src/index.ts', export: 'handler' },
    owner: 'team@example.com',
    expires: '2027-06-30',
    runtime: { payloadFormat: '2.0', allowCodeGeneration: false },
    triggers: { http: [{ method: 'POST', path: '/' }], queue: [], schedule: [] },
    limits: { timeoutMs: 3000, memoryMb: 128, concurrency: 10, queue: 20, bodyBytes: 1024 * 1024 },
    permissions: { egress: [] },
  });
});

test('a full manifest is normalised into ms, MB and bytes with the input schema inlined', () => {
  const m = parse(`name: orders-api
handler: ./lib/main.mjs#default
owner: orders@example.com
expires: "2030-01-31"
runtime: { payloadFormat: "1.0", allowCodeGeneration: true }
triggers:
  - http: { method: GET, path: "/items/{id}", auth: jwt }
  - http:
      method: ANY
      path: /proxy/{proxy+}
      auth: public
input: ./schemas/input.json
limits: { timeout: 2m, memory: 1GB, concurrency: 4, queue: 0, body: 256KB }
permissions:
  egress: [API.Example.com:443, "[::1]:8080", 10.0.0.1:80, api.example.com:443]
  secrets: [STRIPE_KEY, DB_PASSWORD, STRIPE_KEY]
  kv: { orders: read-write, catalog_v2: read }
`);
  assert.deepEqual(m.handler, { file: 'lib/main.mjs', export: 'default' });
  assert.deepEqual(m.runtime, { payloadFormat: '1.0', allowCodeGeneration: true });
  assert.deepEqual(m.triggers.http, [
    { method: 'GET', path: '/items/{id}', auth: 'jwt' },
    { method: 'ANY', path: '/proxy/{proxy+}', auth: 'public' },
  ]);
  assert.deepEqual(m.input, { body: JSON.parse(files['schemas/input.json']!) });
  assert.deepEqual(m.limits, { timeoutMs: 120_000, memoryMb: 1024, concurrency: 4, queue: 0, bodyBytes: 256 * 1024 });
  // lower-cased, de-duplicated, IPv6 without brackets
  assert.deepEqual(m.permissions.egress, [
    { host: 'api.example.com', port: 443 },
    { host: '::1', port: 8080 },
    { host: '10.0.0.1', port: 80 },
  ]);
  assert.deepEqual(m.permissions.secrets, ['STRIPE_KEY', 'DB_PASSWORD']);
  assert.deepEqual(m.permissions.kv, { orders: 'read-write', catalog_v2: 'read' });
});

test('a budget is normalised: periods in ms (or month), percentages as fractions, defaults filled in', () => {
  assert.deepEqual(parse(`${BASE}budget: { limit: 5.00, period: month, perCaller: 0.50 }\n`).budget, {
    limit: 5, period: 'month', perCaller: 0.5, throttleAt: 0.9, reserve: 0.5,
  });
  assert.deepEqual(parse(`${BASE}budget: { limit: 0.02, period: 10s, throttleAt: 80%, reserve: 100% }\n`).budget, {
    limit: 0.02, period: 10_000, throttleAt: 0.8, reserve: 1,
  });
  assert.equal(parse(BASE).budget, undefined, 'no budget: metered, not capped per function');
});

test('queue and schedule triggers are normalised; input may name a schema per request part', () => {
  const m = parse(`${BASE}  - queue: { subject: images.uploaded }
  - schedule: { cron: "*/5 * * * *", payload: { name: often } }
  - schedule: { cron: "*/10 * * * * *", payload: { name: nightly, depth: 2 } }
input:
  body: ./schemas/input.json
  query: schemas/query.json
`);
  assert.deepEqual(m.triggers.queue, [{ subject: 'images.uploaded' }]);
  assert.deepEqual(m.triggers.schedule, [
    { cron: '*/5 * * * *', payload: { name: 'often' } },
    { cron: '*/10 * * * * *', payload: { name: 'nightly', depth: 2 } },
  ]);
  assert.deepEqual(m.input, { body: JSON.parse(files['schemas/input.json']!), query: JSON.parse(files['schemas/query.json']!) });
});

test('payloadFormat written as an unquoted YAML number means the same format', () => {
  assert.equal(parse(`${BASE}runtime: { payloadFormat: 1.0 }\n`).runtime.payloadFormat, '1.0');
  assert.equal(parse(`${BASE}runtime: { payloadFormat: 2.0 }\n`).runtime.payloadFormat, '2.0');
});

// Each invalid case: the manifest, the error code, and every expected problem as [line, col, fragment].
const invalid: Array<{ name: string; source: string; code?: string; problems: Array<[number, number, string]> }> = [
  {
    name: 'unknown key with a suggestion points at the key',
    source: `${BASE}limits:\n  timout: 3s\n`,
    problems: [[8, 3, "unknown key 'timout' in limits — did you mean 'timeout'?"]],
  },
  {
    name: 'unknown top-level key without a close match lists the allowed keys',
    source: `${BASE}colour: blue\n`,
    problems: [[7, 1, "unknown key 'colour' at the top level; allowed keys: name, handler"]],
  },
  {
    name: 'invoke grants must be function names',
    source: `${BASE}permissions:\n  invoke: [billing, Billing]\n`,
    problems: [[8, 21, 'each function to invoke must be a function name']],
  },
  {
    name: 'kv grants must be a mapping of valid namespace names to read or read-write',
    source: `${BASE}permissions:\n  kv:\n    orders: read-write\n    ../b: read\n    Orders: read\n    catalog: write\n`,
    problems: [
      [10, 5, "kv namespace '../b' is not a valid name: use lowercase letters, digits, '-' and '_', starting with a letter"],
      [11, 5, "kv namespace 'Orders' is not a valid name"],
      [12, 14, 'kv access for catalog must be read or read-write (got "write")'],
    ],
  },
  {
    name: 'kv grants written as a list say how to write them',
    source: `${BASE}permissions:\n  kv: [orders]\n`,
    problems: [[8, 7, 'kv must be a mapping of namespace to access, like { orders: read-write, catalog: read }']],
  },
  {
    name: 'secret grants must be secret names',
    source: `${BASE}permissions:\n  secrets: [STRIPE_KEY, stripe-key]\n`,
    problems: [[8, 25, 'each secret must be a name of capital letters, digits and _, starting with a letter, like STRIPE_KEY']],
  },
  {
    name: 'budget shapes: unknown and missing keys, periods, amounts and percentages written wrong',
    source: `${BASE}budget:\n  monthly: 5\n  period: weekly\n  perCaller: "0.50"\n  throttleAt: 0.9\n`,
    problems: [
      [8, 3, "missing required key 'limit' in budget"],
      [8, 3, "unknown key 'monthly' in budget; allowed keys: limit, period, perCaller, throttleAt, reserve"],
      [9, 11, 'period must be month, day, hour or a length like 10s, 30m, 12h or 7d (got "weekly")'],
      [10, 14, 'perCaller must be a positive amount in the configured currency, like 0.50 (got "0.50")'],
      [11, 15, 'throttleAt must be a percentage of the limit, like 90% (got 0.9)'],
    ],
  },
  {
    name: 'budget ranges are checked in the author\'s units, each at its own value',
    source: `${BASE}budget: { limit: 1, period: 0s, perCaller: 2, throttleAt: 100%, reserve: 150% }\n`,
    problems: [
      [7, 29, 'period 0s is out of range: use 1s to 366d, or month'],
      [7, 44, "perCaller 2 is more than the limit 1: a caller's share must fit in the budget"],
      [7, 59, 'throttleAt 100% is out of range: use 1% to 99%'],
      [7, 74, 'reserve 150% is out of range: use 0% to 100%'],
    ],
  },
  {
    name: 'missing required keys are all reported',
    source: 'name: hello\ntriggers:\n  - http: { method: GET, path: / }\n',
    problems: [
      [1, 1, "missing required key 'handler' at the top level (add e.g. handler: src/index.ts#handler)"],
      [1, 1, "missing required key 'owner'"],
      [1, 1, "missing required key 'expires' at the top level (add e.g. expires: 2027-06-30)"],
    ],
  },
  {
    name: 'missing http path points at the trigger mapping',
    source: BASE.replace('path: / ', ''),
    problems: [[6, 11, "missing required key 'path' in triggers[0].http (add e.g. path: /)"]],
  },
  {
    name: 'expires must look like a date',
    source: BASE.replace('2027-06-30', 'next year'),
    problems: [[4, 10, 'expires must be a date like 2027-06-30, or never together with expiresReason saying why (got "next year")']],
  },
  {
    name: 'expires: never needs expiresReason, and expiresReason is only for never',
    source: BASE.replace('2027-06-30', 'never'),
    problems: [[4, 10, 'expires: never needs expiresReason, a sentence saying why this function must never expire (or set a date like 2027-06-30)']],
  },
  {
    name: 'expiresReason next to a date points at the key',
    source: `${BASE}expiresReason: because\n`,
    problems: [[7, 1, 'expiresReason is only for expires: never; remove it, or set expires: never']],
  },
  {
    name: 'expires must be a real calendar date',
    source: BASE.replace('2027-06-30', '2027-02-30'),
    problems: [[4, 10, "expires must be a date like 2027-06-30 ('2027-02-30' is not a calendar date)"]],
  },
  {
    name: 'name, owner and handler formats',
    source: BASE.replace('name: hello', 'name: Hello_World').replace('team@example.com', 'the team').replace('src/index.ts#handler', 'src/index.ts#not-an-id'),
    problems: [
      [1, 7, "name must start with a lowercase letter and use only a-z, 0-9 and '-'"],
      [2, 10, 'handler must be a file path and an optional export name, like src/index.ts#handler'],
      [3, 8, 'owner must be an email address'],
    ],
  },
  {
    name: 'handler outside the function directory',
    source: BASE.replace('src/index.ts#handler', '../secret/index.ts'),
    problems: [[2, 10, "handler file '../secret/index.ts' must be a relative path inside the function directory"]],
  },
  {
    name: 'handler with an unsupported extension',
    source: BASE.replace('src/index.ts#handler', 'src/index.py'),
    problems: [[2, 10, "handler file 'src/index.py' must be a .ts, .mts, .cts, .js, .mjs, .cjs file"]],
  },
  {
    name: 'wrong types and enums, one message per value',
    source: `${BASE}runtime: { payloadFormat: "3.0", allowCodeGeneration: "yes" }\nlimits: { concurrency: 0, queue: -1, memory: 128 }\n`,
    problems: [
      [7, 27, 'payloadFormat must be "2.0" (HTTP API) or "1.0" (REST API) (got "3.0")'],
      [7, 55, 'allowCodeGeneration must be true or false (got "yes")'],
      [8, 24, 'concurrency must be a whole number from 1 to 1000 (got 0)'],
      [8, 34, 'queue must be a whole number from 0 to 10000 (got -1)'],
      [8, 46, 'memory must be a size like 128MB or 1GB (got 128)'],
    ],
  },
  {
    name: 'method must be upper case and auth one of three',
    source: BASE.replace('method: POST, path: / ', 'method: post, path: /, auth: apikey '),
    problems: [
      [6, 21, 'method must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY'],
      [6, 42, 'auth must be api-key, jwt or public'],
    ],
  },
  {
    name: 'triggers must not be empty',
    source: BASE.replace(/triggers:\n.*\n/, 'triggers: []\n'),
    problems: [[5, 11, 'triggers must be a list with at least one entry']],
  },
  {
    name: 'a trigger with two kinds',
    source: `${BASE}  - http: { method: GET, path: /a }\n    queue: { subject: x }\n`,
    problems: [[7, 5, 'each trigger must be a mapping with exactly one key: http, queue or schedule']],
  },
  {
    name: 'queue subjects: NATS-like tokens, no wildcards, no reserved $, each subject once',
    source: `${BASE}  - queue: { subject: "images.*" }\n  - queue: { subject: "orders.>" }\n  - queue: { subject: a..b }\n  - queue: { subject: "a b" }\n  - queue: { subject: $SYS.x }\n  - queue: { subject: ok.one }\n  - queue: { subject: ok.one }\n`,
    problems: [
      [7, 23, "subject 'images.*' uses a wildcard (* or >): subjects name one exact channel, like images.uploaded"],
      [8, 23, "subject 'orders.>' uses a wildcard"],
      [9, 23, "subject 'a..b' has an empty token: separate tokens with single dots"],
      [10, 23, "subject 'a b' has a character other than letters, digits, '_' and '-' in a token"],
      [11, 23, "subject '$SYS.x' starts with '$', which is reserved for the bus itself"],
      [13, 23, "subject 'ok.one' is already consumed by triggers[6]; list each subject once"],
    ],
  },
  {
    name: 'queue and schedule trigger shapes',
    source: `${BASE}  - queue: {}\n  - queue: { subject: 7 }\n  - schedule: { payload: { a: 1 } }\n  - schedule: { cron: "@hourly", payload: [1] }\n`,
    problems: [
      [7, 12, "missing required key 'subject' in triggers[1].queue (add e.g. subject: images.uploaded)"],
      [8, 23, 'subject must be a string of dot-separated tokens, like images.uploaded (got 7)'],
      [9, 15, "missing required key 'cron' in triggers[3].schedule (add e.g. cron: \"*/5 * * * *\")"],
      [10, 43, 'payload must be a mapping, like { kind: report }: it becomes the event detail (got a list)'],
    ],
  },
  {
    name: 'schedule cron expressions are checked at deploy, with how to write them',
    source: `${BASE}  - schedule: { cron: "*/5 * * *" }\n  - schedule: { cron: "61 * * * *" }\n  - schedule: { cron: "0 0 30 2 *" }\n  - schedule: { cron: "* * * * * * *" }\n`,
    problems: [
      [7, 23, `cron '*/5 * * *' is not a valid cron expression (invalid configuration format ('*/5 * * *'), exactly five, six, or seven space separated parts are required.): write 5 fields, or 6 with seconds first, like "*/5 * * * *"`],
      [8, 23, "cron '61 * * * *' is not a valid cron expression (Invalid value for minute: 61)"],
      [9, 23, "cron '0 0 30 2 *' never fires: no date matches it"],
      [10, 23, "cron '* * * * * * *' is not a valid cron expression"],
    ],
  },
  {
    name: 'schedule payloads must fit limits.body and match the input body schema',
    source: `${BASE}  - schedule: { cron: "* * * * *", payload: { note: "${'x'.repeat(40)}" } }\n  - schedule: { cron: "* * * * *", payload: { other: 1 } }\n  - schedule: { cron: "* * * * *" }\ninput: ./schemas/input.json\nlimits: { body: 40B }\n`,
    problems: [
      [7, 45, 'schedule payload is 51 bytes, over limits.body (40 bytes): make it smaller or raise limits.body'],
      [7, 45, "schedule payload does not match the input body schema: body must have required property 'name'"],
      [8, 45, "schedule payload does not match the input body schema: body must have required property 'name'"],
      [9, 15, "schedule payload does not match the input body schema: body must have required property 'name'"],
    ],
  },
  {
    name: 'input as a mapping: only body, query, params and headers, each a schema file; header names lower case',
    source: `${BASE}input: { body: ./schemas/input.json, query: schemas/broken.json, cookies: ./c.json, headers: ./schemas/upper.json }\n`,
    problems: [
      [7, 66, "unknown key 'cookies' in input; allowed keys: body, query, params, headers"],
    ],
  },
  {
    name: 'input mapping files are each checked like the body schema, at their own key',
    source: `${BASE}input:\n  query: schemas/broken.json\n  params: ../outside.json\n  headers: ./schemas/upper.json\n`,
    problems: [
      [8, 10, "input schema file 'schemas/broken.json' is not a usable JSON Schema (draft-07)"],
      [9, 11, "input '../outside.json' must be a relative path inside the function directory"],
      [10, 12, "input schema file 'schemas/upper.json': header names must be lower case ('X-Api-Version' → 'x-api-version')"],
    ],
  },
  {
    name: 'an empty input mapping',
    source: `${BASE}input: {}\n`,
    problems: [[7, 8, 'input must be the path of a JSON Schema file relative to bulwark.yaml']],
  },
  {
    name: 'route paths: leading slash, greedy last, no repeated params, no trailing slash',
    source: `${BASE}  - http: { method: GET, path: items }\n  - http: { method: GET, path: "/a/{p+}/b" }\n  - http: { method: GET, path: "/a/{id}/{id}" }\n  - http: { method: GET, path: /a/ }\n  - http: { method: GET, path: "/a/x{id}" }\n`,
    problems: [
      [7, 32, "path 'items' must start with /"],
      [8, 32, "path '/a/{p+}/b': a greedy {p+} parameter must be the last segment"],
      [9, 32, "path '/a/{id}/{id}' uses the parameter {id} twice"],
      [10, 32, "path '/a/' must not end with /"],
      [11, 32, "path '/a/x{id}' has an invalid segment 'x{id}'"],
    ],
  },
  {
    name: 'overlapping routes, parameter names aside',
    source: `${BASE}  - http: { method: GET, path: "/items/{id}" }\n  - http: { method: ANY, path: "/items/{key}" }\n  - http: { method: POST, path: / }\n`,
    problems: [
      [8, 11, 'http trigger ANY /items/{key} overlaps triggers[1] (GET on the same path)'],
      [9, 11, 'http trigger POST / overlaps triggers[0] (POST on the same path)'],
    ],
  },
  {
    name: 'limits out of range are reported in the author units',
    source: `${BASE}limits: { timeout: 1000s, memory: 16MB, body: 7MB }\n`,
    problems: [
      [7, 20, 'timeout 1000s is out of range: use 100ms to 900s'],
      [7, 35, 'memory 16MB is out of range: use 32MB to 4096MB'],
      [7, 47, 'body 7MB is out of range: use 1B to 6MB'],
    ],
  },
  {
    name: 'durations and sizes need units',
    source: `${BASE}limits: { timeout: 3, body: 1mb }\n`,
    problems: [
      [7, 20, 'timeout must be a duration like 3s, 500ms or 2m (got 3)'],
      [7, 29, 'body must be a size like 256KB, 1MB or 512B (got "1mb")'],
    ],
  },
  {
    name: 'egress entries are host:port only',
    source: `${BASE}permissions:\n  egress:\n    - "*.example.com:443"\n    - https://api.example.com\n    - api.example.com\n    - "::1:8080"\n    - "[::g]:80"\n    - api.example.com:70000\n    - bad_host!:443\n`,
    problems: [
      [9, 7, "egress entry '*.example.com:443' uses a wildcard"],
      [10, 7, "egress entry 'https://api.example.com' is a URL: write host:port"],
      [11, 7, "egress entry 'api.example.com' needs a port, like api.example.com:443"],
      [12, 7, "egress entry '::1:8080': write IPv6 addresses in brackets, like [2001:db8::1]:443"],
      [13, 7, "egress entry '[::g]:80' has an invalid IPv6 address"],
      [14, 7, "egress entry 'api.example.com:70000' has an invalid port '70000'"],
      [15, 7, "egress entry 'bad_host!:443' has an invalid host 'bad_host!'"],
    ],
  },
  {
    name: 'egress IP literals only in canonical form: disguised loopback and metadata addresses, trailing dots, non-ASCII',
    source: `${BASE}permissions:\n  egress:\n    - 0xa9fea9fe:80\n    - 0x7f000001:8787\n    - "2130706433:80"\n    - 0177.0.0.1:80\n    - 0x7f.1:80\n    - api.example.com.:443\n    - bücher.example:443\n    - "[::ffff:169.254.169.254]:80"\n    - "[fe80::1%eth0]:80"\n`,
    problems: [
      [9, 7, "egress entry '0xa9fea9fe:80' writes an IP address in a non-canonical form ('0xa9fea9fe'): use dotted-quad decimal"],
      [10, 7, "egress entry '0x7f000001:8787' writes an IP address in a non-canonical form ('0x7f000001')"],
      [11, 7, "egress entry '2130706433:80' writes an IP address in a non-canonical form ('2130706433')"],
      [12, 7, "egress entry '0177.0.0.1:80' writes an IP address in a non-canonical form ('0177.0.0.1')"],
      [13, 7, "egress entry '0x7f.1:80' writes an IP address in a non-canonical form ('0x7f.1')"],
      [14, 7, "egress entry 'api.example.com.:443' has a host ending in a dot ('api.example.com.'): write it without the trailing dot"],
      [15, 7, "egress entry 'bücher.example:443' has a non-ASCII host 'bücher.example': write internationalised names in punycode"],
      [16, 7, "egress entry '[::ffff:169.254.169.254]:80' is an IPv4 address written as IPv6: write it as 169.254.169.254:80"],
      [17, 7, "egress entry '[fe80::1%eth0]:80' has an IPv6 zone id"],
    ],
  },
  {
    name: 'egress to the unspecified address, which reaches loopback on Linux',
    source: `${BASE}permissions:\n  egress:\n    - 0.0.0.0:80\n    - "[::]:80"\n    - "[0:0::0]:8080"\n    - 0.1.2.3:443\n    - 10.0.0.1:80\n`,
    problems: [
      [9, 7, "egress entry '0.0.0.0:80' names the unspecified address '0.0.0.0', which reaches this machine itself"],
      [10, 7, "egress entry '[::]:80' names the unspecified address '::'"],
      [11, 7, "egress entry '[0:0::0]:8080' names the unspecified address '::'"],
      [12, 7, "egress entry '0.1.2.3:443' names the unspecified address '0.1.2.3'"],
    ],
  },
  {
    name: 'trigger paths: no ;, and no two that differ only in letter case',
    source: `${BASE}  - http: { method: GET, path: "/admin;x" }\n  - http: { method: GET, path: /Admin }\n  - http: { method: POST, path: /admin }\n  - http: { method: GET, path: "/Items/{id}" }\n  - http: { method: GET, path: "/items/{key}/x" }\n`,
    problems: [
      [7, 32, "path '/admin;x' has an invalid segment 'admin;x'"],
      [9, 33, "path '/admin' differs from triggers[2] only in letter case; routers inside functions often ignore case, so use one spelling"],
    ],
  },
  {
    name: 'input schema: missing, not JSON, not an object, does not compile, outside the directory',
    source: `${BASE}input: ./schemas/missing.json\n`,
    problems: [[7, 8, "input schema file 'schemas/missing.json' was not found next to the manifest"]],
  },
  {
    name: 'input schema that is not JSON',
    source: `${BASE}input: schemas/not-json.json\n`,
    problems: [[7, 8, "input schema file 'schemas/not-json.json' is not valid JSON"]],
  },
  {
    name: 'input schema that is not an object',
    source: `${BASE}input: schemas/list.json\n`,
    problems: [[7, 8, "input schema file 'schemas/list.json' must contain a JSON Schema object"]],
  },
  {
    name: 'input schema that does not compile',
    source: `${BASE}input: schemas/broken.json\n`,
    problems: [[7, 8, 'is not a usable JSON Schema (draft-07): strict mode: unknown keyword: "requried"']],
  },
  {
    name: 'input schema pattern with a backreference: the linear-time engine cannot run it',
    source: `${BASE}input: schemas/backref.json\n`,
    problems: [[7, 8, `input schema file 'schemas/backref.json': pattern "^(a+)\\\\1$" uses a backreference, which cannot run in linear time`]],
  },
  {
    name: 'input schema patternProperties key with a lookahead',
    source: `${BASE}input: schemas/lookahead.json\n`,
    problems: [[7, 8, `input schema file 'schemas/lookahead.json': pattern "^(?!x)" uses a lookahead`]],
  },
  {
    name: 'input schema pattern with counted repetition over 16 says to use maxLength',
    source: `${BASE}input: schemas/counted.json\n`,
    problems: [[7, 8, `input schema file 'schemas/counted.json': pattern "^[A-Z]{1,32}$" repeats a part more than 16 times ({n,m}), which cannot run in linear time: use + or * and bound the length with minLength/maxLength`]],
  },
  {
    name: 'input schema pattern with a unicode property escape',
    source: `${BASE}input: schemas/unicode.json\n`,
    problems: [[7, 8, `input schema file 'schemas/unicode.json': pattern "^\\\\p{Lu}+$" uses a \\p{…} or \\u{…} escape`]],
  },
  {
    name: 'input schema outside the function directory',
    source: `${BASE}input: /etc/passwd\n`,
    problems: [[7, 8, "input '/etc/passwd' must be a relative path inside the function directory"]],
  },
  {
    name: 'empty manifest',
    source: '# nothing here\n',
    problems: [[1, 1, 'the manifest is empty']],
  },
  {
    name: 'top level that is not a mapping',
    source: '- a\n- b\n',
    problems: [[1, 1, 'the manifest must be a mapping of keys such as name, handler, owner, expires, triggers (got a list)']],
  },
  {
    name: 'YAML syntax error: only the first is reported',
    code: 'BWK_E_MANIFEST_SYNTAX',
    source: 'name: hello\nhandler: [src/index.ts\nowner: x\n',
    problems: [[3, 1, 'Flow sequence in block collection must be sufficiently indented and end with a ]']],
  },
  {
    name: 'YAML syntax: unquoted braces in a flow mapping say to quote',
    code: 'BWK_E_MANIFEST_SYNTAX',
    source: BASE.replace('path: / ', 'path: /items/{id} '),
    problems: [[6, 40, 'a value containing { or } must be quoted, like path: "/items/{id}"']],
  },
  {
    name: 'YAML duplicate keys',
    code: 'BWK_E_MANIFEST_SYNTAX',
    source: `${BASE}name: again\n`,
    problems: [[7, 1, "duplicate key 'name': each key may appear only once"]],
  },
  {
    name: 'alias expansion is bounded',
    code: 'BWK_E_MANIFEST_SYNTAX',
    source: `${BASE}x: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\ny: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nz: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n`,
    problems: [[8, 8, 'YAML aliases expand too much']],
  },
];

for (const c of invalid) {
  test(`invalid: ${c.name}`, () => {
    assert.throws(() => parse(c.source), (err: unknown) => {
      assert.ok(err instanceof BulwarkError, String(err));
      assert.equal(err.code, c.code ?? 'BWK_E_MANIFEST_INVALID');
      const problems = (err.detail as { problems: Array<{ line: number; col: number; message: string; file: string }> }).problems;
      assert.equal(problems.length, c.problems.length, `problems: ${err.message}`);
      c.problems.forEach(([line, col, fragment], i) => {
        const p = problems[i]!;
        assert.ok(p.message.includes(fragment), `problem ${i}: expected "${fragment}" in "${p.message}"`);
        assert.deepEqual([p.line, p.col], [line, col], `position of "${p.message}"`);
        assert.ok(err.message.split('\n').includes(`bulwark.yaml:${line}:${col}: ${p.message}`), err.message);
      });
      return true;
    });
  });
}

test('isExpired: the function runs through its expires day (UTC) and not after', () => {
  assert.equal(isExpired({ expires: '2027-06-30' }, new Date('2027-06-30T23:59:59Z')), false);
  assert.equal(isExpired({ expires: '2027-06-30' }, new Date('2027-07-01T00:00:00Z')), true);
  // The day is remembered between calls: back across the bound, and within a day, it must still be right.
  assert.equal(isExpired({ expires: '2027-06-30' }, new Date('2027-06-30T23:59:59.999Z')), false);
  assert.equal(isExpired({ expires: '2027-06-30' }, new Date('2027-07-01T23:59:59.999Z')), true);
  assert.equal(isExpired({ expires: '2027-07-01' }, new Date('2027-07-01T12:00:00Z')), false);
  assert.equal(isExpired({ expires: '1969-12-30' }, new Date('1969-12-31T12:00:00Z')), true);
  assert.equal(isExpired({ expires: '1969-12-31' }, new Date('1969-12-31T12:00:00Z')), false);
  assert.throws(() => isExpired({ expires: '2000-01-01' }, new Date(Number.NaN)), RangeError);
});

test('expires: never with expiresReason never expires and keeps its reason', () => {
  const m = parse(`${BASE.replace('2027-06-30', 'never')}expiresReason: the platform health probe\n`);
  assert.deepEqual([m.expires, m.expiresReason], ['never', 'the platform health probe']);
  assert.equal(isExpired(m, new Date('9999-12-31T00:00:00Z')), false);
  assert.equal('expiresReason' in parse(BASE), false);
});

test('limits.rate: requests per second, minute or hour for the whole function; other spellings point at the value', () => {
  assert.deepEqual(parse(`${BASE}limits: { rate: 600/min }\n`).limits.rate, { count: 600, perMs: 60_000 });
  assert.equal(parse(BASE).limits.rate, undefined, 'no rate unless written');
  assert.throws(() => parse(`${BASE}limits:\n  rate: 600 per minute\n`), (err: unknown) => {
    assert.ok(err instanceof BulwarkError && err.code === 'BWK_E_MANIFEST_INVALID');
    assert.match(err.message, /^bulwark\.yaml:8:9: rate must be requests per second, minute or hour, like 600\/min/m);
    return true;
  });
});
