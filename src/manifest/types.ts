// The normalised manifest every other module works with. parseManifest (src/manifest/parse.ts) turns a
// bulwark.yaml into this shape after JSON Schema validation: durations are milliseconds, sizes are
// bytes, defaults are filled in, and the input schema file is inlined.

export type HttpAuth = 'api-key' | 'jwt' | 'public';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS' | 'ANY';
/** AWS API Gateway payload format the handler receives: 2.0 (HTTP API) or 1.0 (REST API). */
export type PayloadFormat = '2.0' | '1.0';

export interface HttpTrigger {
  method: HttpMethod;
  /** Path under /fn/<name>, e.g. "/" or "/items/{id}". */
  path: string;
  /** Absent: an API key or a JWT is accepted. 'public' must be said explicitly. */
  auth?: HttpAuth;
}

export interface EgressRule {
  host: string;
  port: number;
}

export interface Manifest {
  name: string;
  /** Path to the handler module relative to the manifest, and the export name ("src/index.ts#handler"). */
  handler: { file: string; export: string };
  owner: string;
  /** ISO date (YYYY-MM-DD) after which the function is disabled. */
  expires: string;
  runtime: { payloadFormat: PayloadFormat; allowCodeGeneration: boolean };
  triggers: { http: HttpTrigger[] };
  /** Inlined JSON Schema the request body must match, if any. */
  input?: Record<string, unknown>;
  limits: {
    timeoutMs: number;
    memoryMb: number;
    concurrency: number;
    /** Requests allowed to wait for a free worker before 429. */
    queue: number;
    bodyBytes: number;
  };
  permissions: {
    egress: EgressRule[];
  };
}

export type FunctionName = string;
