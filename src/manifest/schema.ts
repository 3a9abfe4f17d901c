// JSON Schema of bulwark.yaml as an author writes it (before normalisation into Manifest). Shapes and
// string formats live here; ranges of parsed values (900s, 4096MB, …) and cross-field rules live in
// parse.ts, where they can be reported in the author's units. `hints` turns a failed check on a path
// into a message that says how to fix it — ajv's own wording ("must match pattern ...") never reaches
// an author.

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

export const manifestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'handler', 'owner', 'expires', 'triggers'],
  properties: {
    name: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$' },
    handler: { type: 'string', pattern: '^[^#\\s]+(#[A-Za-z_$][A-Za-z0-9_$]*)?$' },
    owner: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$' },
    expires: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' },
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
        // queue and schedule are recognised so that parse.ts can say "planned" instead of "unknown key".
        properties: { http: httpTrigger, queue: {}, schedule: {} },
      },
    },
    input: { type: 'string', minLength: 1 },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: {
        timeout: { type: 'string', pattern: DURATION },
        memory: { type: 'string', pattern: MEMORY },
        concurrency: { type: 'integer', minimum: 1, maximum: 1000 },
        queue: { type: 'integer', minimum: 0, maximum: 10000 },
        body: { type: 'string', pattern: SIZE },
      },
    },
    permissions: {
      type: 'object',
      additionalProperties: false,
      properties: {
        egress: { type: 'array', items: { type: 'string', minLength: 1 } },
      },
    },
  },
} as const;

/** Keys an author may reasonably write that are designed but not built yet (DESIGN.md). */
export const plannedKeys: Record<string, string[]> = {
  '': ['budget'],
  limits: ['rate'],
  permissions: ['secrets', 'invoke', 'kv'],
};

/**
 * How to fix a value at a path. Keys are instance paths with array indexes replaced by `*`.
 * Used for type, pattern, enum and range failures, which all have the same fix: write it like this.
 */
export const hints: Record<string, string> = {
  '': 'the manifest must be a mapping of keys such as name, handler, owner, expires, triggers',
  name: "name must start with a lowercase letter and use only a-z, 0-9 and '-', at most 63 characters (e.g. resize-image)",
  handler: 'handler must be a file path and an optional export name, like src/index.ts#handler (or src/index.ts#default for `export default { fetch }`)',
  owner: 'owner must be an email address of the responsible person or team, like team@example.com',
  expires: 'expires must be a date like 2027-06-30',
  runtime: 'runtime must be a mapping like { payloadFormat: "2.0", allowCodeGeneration: false }',
  'runtime.payloadFormat': 'payloadFormat must be "2.0" (HTTP API) or "1.0" (REST API)',
  'runtime.allowCodeGeneration': 'allowCodeGeneration must be true or false',
  triggers: 'triggers must be a list with at least one entry, like - http: { method: POST, path: / }',
  'triggers.*': 'each trigger must be a mapping with exactly one key: http (queue and schedule are planned)',
  'triggers.*.http': 'an http trigger must be a mapping like { method: POST, path: /, auth: api-key }',
  'triggers.*.http.method': 'method must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY (upper case)',
  'triggers.*.http.path': 'path must be a string starting with /, like /items/{id}',
  'triggers.*.http.auth': 'auth must be api-key, jwt or public (leave it out to accept an API key or a JWT)',
  input: 'input must be the path of a JSON Schema file relative to bulwark.yaml, like ./schemas/input.json',
  limits: 'limits must be a mapping like { timeout: 3s, memory: 128MB, concurrency: 10, queue: 20, body: 256KB }',
  'limits.timeout': 'timeout must be a duration like 3s, 500ms or 2m',
  'limits.memory': 'memory must be a size like 128MB or 1GB',
  'limits.concurrency': 'concurrency must be a whole number from 1 to 1000',
  'limits.queue': 'queue must be a whole number from 0 to 10000',
  'limits.body': 'body must be a size like 256KB, 1MB or 512B',
  permissions: 'permissions must be a mapping like { egress: [api.example.com:443] }',
  'permissions.egress': 'egress must be a list of host:port entries, like [api.example.com:443]',
  'permissions.egress.*': 'each egress entry must be a host:port string, like api.example.com:443',
};
