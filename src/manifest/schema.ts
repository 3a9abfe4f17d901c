// JSON Schema of bulwark.yaml as an author writes it (before normalisation into Manifest). Shapes and
// string formats live here; ranges of parsed values (900s, 4096MB, …) and cross-field rules live in
// parse.ts, where they can be reported in the author's units. `hints` turns a failed check on a path
// into a message that says how to fix it — ajv's own wording ("must match pattern ...") never reaches
// an author.

import { BUDGET_SCHEMA } from '../metering/budget.ts';
import { INJECTION_SCHEMA } from './injection.ts';
import { RATE_PATTERN } from '../limits/rate.ts';

const DURATION = '^[0-9]+(ms|s|m)$';
const MEMORY = '^[0-9]+(MB|GB)$';
const SIZE = '^[0-9]+(B|KB|MB)$';

const httpTrigger = {
  type: 'object',
  additionalProperties: false,
  required: ['method', 'path'],
  properties: {
    method: { type: 'string', enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY'] },
    path: { type: 'string', minLength: 1 },
    auth: { type: 'string', enum: ['api-key', 'jwt', 'public'] },
  },
};

const queueTrigger = {
  type: 'object',
  additionalProperties: false,
  required: ['subject'],
  properties: { subject: { type: 'string', minLength: 1 } },
};

const scheduleTrigger = {
  type: 'object',
  additionalProperties: false,
  required: ['cron'],
  properties: {
    cron: { type: 'string', minLength: 1 },
    payload: { type: 'object' },
  },
};

const schemaFile = { type: 'string', minLength: 1 };

export const manifestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'handler', 'owner', 'expires', 'triggers'],
  properties: {
    name: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$' },
    handler: { type: 'string', pattern: '^[^#\\s]+(#[A-Za-z_$][A-Za-z0-9_$]*)?$' },
    owner: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$' },
    // A date, or `never` together with expiresReason (checked in parse.ts, to point at the key).
    expires: { type: 'string', pattern: '^([0-9]{4}-[0-9]{2}-[0-9]{2}|never)$' },
    expiresReason: { type: 'string', minLength: 1, maxLength: 500 },
    runtime: {
      type: 'object',
      additionalProperties: false,
      properties: {
        // YAML reads an unquoted 2.0 as the number 2; both spellings mean the same format.
        payloadFormat: { enum: ['1.0', '2.0', 1, 2] },
        allowCodeGeneration: { type: 'boolean' },
      },
    },
    triggers: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        maxProperties: 1,
        properties: { http: httpTrigger, queue: queueTrigger, schedule: scheduleTrigger },
      },
    },
    // A path (the body schema) or a mapping of request parts to paths. The object keywords only apply
    // when it is a mapping, the string ones when it is a path.
    input: {
      type: ['string', 'object'],
      minLength: 1,
      minProperties: 1,
      additionalProperties: false,
      properties: { body: schemaFile, query: schemaFile, params: schemaFile, headers: schemaFile },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: {
        timeout: { type: 'string', pattern: DURATION },
        memory: { type: 'string', pattern: MEMORY },
        concurrency: { type: 'integer', minimum: 1, maximum: 1000 },
        queue: { type: 'integer', minimum: 0, maximum: 10000 },
        body: { type: 'string', pattern: SIZE },
        rate: { type: 'string', pattern: RATE_PATTERN },
      },
    },
    permissions: {
      type: 'object',
      additionalProperties: false,
      properties: {
        egress: { type: 'array', items: { type: 'string', minLength: 1 } },
        secrets: { type: 'array', items: { type: 'string', pattern: '^[A-Z][A-Z0-9_]{0,63}$' } },
        // Namespace names and access levels are checked in parse.ts, to point at the offending key.
        kv: { type: 'object' },
        invoke: { type: 'array', items: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$' } },
      },
    },
    budget: BUDGET_SCHEMA,
    injection: INJECTION_SCHEMA,
  },
} as const;

/** A kv namespace name (permissions.kv): lowercase letters, digits, '-' and '_', starting with a letter, at most 63 characters. */
export const KV_NAMESPACE = /^[a-z][a-z0-9_-]{0,62}$/;

/** Keys an author may reasonably write that are designed but not built yet (DESIGN.md). */
export const plannedKeys: Record<string, string[]> = {};

/**
 * How to fix a value at a path. Keys are instance paths with array indexes replaced by `*`.
 * Used for type, pattern, enum and range failures, which all have the same fix: write it like this.
 */
export const hints: Record<string, string> = {
  '': 'the manifest must be a mapping of keys such as name, handler, owner, expires, triggers',
  name: "name must start with a lowercase letter and use only a-z, 0-9 and '-', at most 63 characters (e.g. resize-image)",
  handler: 'handler must be a file path and an optional export name, like src/index.ts#handler (or src/index.ts#default for `export default { fetch }`)',
  owner: 'owner must be an email address of the responsible person or team, like team@example.com',
  expires: 'expires must be a date like 2027-06-30, or never together with expiresReason saying why',
  expiresReason: 'expiresReason must be a sentence (1-500 characters) saying why the function never expires',
  runtime: 'runtime must be a mapping like { payloadFormat: "2.0", allowCodeGeneration: false }',
  'runtime.payloadFormat': 'payloadFormat must be "2.0" (HTTP API) or "1.0" (REST API)',
  'runtime.allowCodeGeneration': 'allowCodeGeneration must be true or false',
  triggers: 'triggers must be a list with at least one entry, like - http: { method: POST, path: / }',
  'triggers.*': 'each trigger must be a mapping with exactly one key: http, queue or schedule',
  'triggers.*.http': 'an http trigger must be a mapping like { method: POST, path: /, auth: api-key }',
  'triggers.*.http.method': 'method must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY (upper case)',
  'triggers.*.http.path': 'path must be a string starting with /, like /items/{id}',
  'triggers.*.http.auth': 'auth must be api-key, jwt or public (leave it out to accept an API key or a JWT)',
  'triggers.*.queue': 'a queue trigger must be a mapping like { subject: images.uploaded }',
  'triggers.*.queue.subject': 'subject must be a string of dot-separated tokens, like images.uploaded',
  'triggers.*.schedule': 'a schedule trigger must be a mapping like { cron: "*/5 * * * *", payload: { kind: report } }',
  'triggers.*.schedule.cron': 'cron must be a quoted cron expression of 5 fields (or 6 with seconds first), like "*/5 * * * *"',
  'triggers.*.schedule.payload': 'payload must be a mapping, like { kind: report }: it becomes the event detail',
  input: 'input must be the path of a JSON Schema file relative to bulwark.yaml, like ./schemas/input.json, or a mapping like { body: ./schemas/body.json, query: ./schemas/query.json }',
  'input.body': 'input.body must be the path of a JSON Schema file, like ./schemas/body.json',
  'input.query': 'input.query must be the path of a JSON Schema file, like ./schemas/query.json',
  'input.params': 'input.params must be the path of a JSON Schema file, like ./schemas/params.json',
  'input.headers': 'input.headers must be the path of a JSON Schema file, like ./schemas/headers.json',
  limits: 'limits must be a mapping like { timeout: 3s, memory: 128MB, concurrency: 10, queue: 20, body: 256KB }',
  'limits.timeout': 'timeout must be a duration like 3s, 500ms or 2m',
  'limits.memory': 'memory must be a size like 128MB or 1GB',
  'limits.concurrency': 'concurrency must be a whole number from 1 to 1000',
  'limits.queue': 'queue must be a whole number from 0 to 10000',
  'limits.body': 'body must be a size like 256KB, 1MB or 512B',
  'limits.rate': 'rate must be requests per second, minute or hour, like 600/min, 20/s or 5000/h (the whole function, all callers together)',
  permissions: 'permissions must be a mapping like { egress: [api.example.com:443] }',
  'permissions.egress': 'egress must be a list of host:port entries, like [api.example.com:443]',
  'permissions.egress.*': 'each egress entry must be a host:port string, like api.example.com:443',
  'permissions.secrets': 'secrets must be a list of secret names, like [STRIPE_KEY, DB_PASSWORD]',
  'permissions.secrets.*': 'each secret must be a name of capital letters, digits and _, starting with a letter, like STRIPE_KEY',
  'permissions.invoke': 'invoke must be a list of function names, like [resize-image, send-mail]',
  'permissions.invoke.*': "each function to invoke must be a function name: a lowercase letter, then a-z, 0-9 and '-', like resize-image",
  'permissions.kv': 'kv must be a mapping of namespace to access, like { orders: read-write, catalog: read }',
  budget: 'budget must be a mapping like { limit: 5.00, period: month, perCaller: 0.50 }',
  'budget.limit': 'limit must be a positive amount in the configured currency, like 5.00',
  'budget.period': 'period must be month, day, hour or a length like 10s, 30m, 12h or 7d',
  'budget.perCaller': 'perCaller must be a positive amount in the configured currency, like 0.50',
  'budget.throttleAt': 'throttleAt must be a percentage of the limit, like 90%',
  'budget.reserve': 'reserve must be a percentage, like 50%',
  injection: 'injection must be a mapping like { mode: block, exempt: [body.snippet], base64: [body.attachment] }',
  'injection.mode': 'mode must be block (refuse requests carrying an attack, the default) or monitor (record them and let them through)',
  'injection.exempt': 'exempt must be a list of request fields, like [body.snippet, query.q]',
  'injection.exempt.*': 'each exempt entry must be a request field, like body.snippet, query.q, params.id or headers.x-template',
  'injection.base64': 'base64 must be a list of request fields, like [body.attachment]',
  'injection.base64.*': 'each base64 entry must be a body or query field, like body.attachment',
};
