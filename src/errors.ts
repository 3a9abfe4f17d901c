// The one error table. Every error Bulwark raises has a stable BWK_E_<AREA>_<WHAT> code listed here
// and documented in docs/errors.md (test/errors.test.ts keeps the two in step, count pinned).
// `message` is what a remote caller may see: it must never contain internal paths, stack traces
// or secrets. Internal detail travels in BulwarkError.detail and goes to the log only.

export interface ErrorSpec {
  /** HTTP status when the error reaches a remote caller. */
  status: number;
  /** Caller-safe message. `%s` placeholders are filled from BulwarkError args. */
  message: string;
}

export const errors = {
  // gateway: the request itself
  BWK_E_GATEWAY_NOT_FOUND: { status: 404, message: 'No function route matches %s' },
  BWK_E_GATEWAY_BAD_REQUEST: { status: 400, message: 'Malformed request: %s' },
  BWK_E_GATEWAY_REQUEST_TIMEOUT: { status: 408, message: 'Request was not received in time' },
  BWK_E_GATEWAY_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Content type %s is not accepted here' },
  BWK_E_GATEWAY_HEADERS_TOO_LARGE: { status: 431, message: 'Request headers are too large' },
  BWK_E_GATEWAY_FUNCTION_EXPIRED: { status: 410, message: 'Function %s is disabled: it is past its expiry date' },
  // Disabled by an administrator or by the expiry sweep (src/lifecycle/disable.ts). 403, not 410: a
  // disable is reversible (`bulwark enable`), so the resource is not gone; 410 stays the answer of a
  // manifest past its own expiry date. The reason is not sent: it is an operator's note, not the caller's.
  BWK_E_GATEWAY_FUNCTION_DISABLED: { status: 403, message: 'Function %s is disabled' },
  BWK_E_GATEWAY_INTERNAL: { status: 500, message: 'Internal error' },
  BWK_E_GATEWAY_CLIENT_CLOSED: { status: 499, message: 'The caller closed the request before it was served' },
  BWK_E_GATEWAY_STOPPING: { status: 503, message: 'The gateway is stopping; send the request again to a running gateway' },

  // guards: the chain in src/guards/chain.ts
  BWK_E_GUARD_BODY_TOO_LARGE: { status: 413, message: 'Request body exceeds %s bytes' },
  BWK_E_GUARD_AUTH_REQUIRED: { status: 401, message: 'Authentication required' },
  BWK_E_GUARD_AUTH_INVALID: { status: 401, message: 'Credentials are invalid or expired' },
  BWK_E_GUARD_FORBIDDEN: { status: 403, message: 'Not allowed to %s' },
  BWK_E_GUARD_INPUT_INVALID: { status: 400, message: 'Input does not match the function schema: %s' },
  BWK_E_GUARD_SCHEMA_UNUSABLE: { status: 500, message: 'Function %s has an input schema this gateway cannot run: it must be redeployed' },
  BWK_E_GUARD_CONCURRENCY: { status: 429, message: 'Function %s is at its concurrency limit' },
  // guards: abuse (src/guards/ip-block/, rate-limit/, caller-rate-limit/). A blocked caller is not told why.
  BWK_E_GUARD_IP_BLOCKED: { status: 403, message: 'Access denied' },
  BWK_E_GUARD_RATE_LIMITED: { status: 429, message: 'Too many requests: retry after %s s' },
  // guards: injection detection (src/guards/injection/). The message names the field, never the pattern.
  BWK_E_GUARD_INJECTION: { status: 400, message: 'Input at %s was refused: it looks like an injection attempt' },
  BWK_E_GUARD_INPUT_TOO_COMPLEX: { status: 400, message: 'Input is too complex to inspect: %s' },
  // guards: denial-of-wallet budgets (src/guards/budget/)
  BWK_E_GUARD_BUDGET_EXHAUSTED: { status: 429, message: 'The budget for calling %s is used up for this period' },
  BWK_E_GUARD_BUDGET_THROTTLED: { status: 429, message: 'Calls to %s are throttled: the budget for this period is running low' },

  // sandbox: running user code
  BWK_E_SANDBOX_TIMEOUT: { status: 504, message: 'Function %s exceeded its %sms timeout' },
  BWK_E_SANDBOX_CRASHED: { status: 502, message: 'Function %s failed' },
  BWK_E_SANDBOX_MEMORY: { status: 502, message: 'Function %s exceeded its memory limit' },
  BWK_E_SANDBOX_FUNCTION_ERROR: { status: 502, message: 'Function %s threw an error' },
  BWK_E_SANDBOX_BAD_RESPONSE: { status: 502, message: 'Function %s returned an invalid response' },
  BWK_E_SANDBOX_LOAD_FAILED: { status: 502, message: 'Function %s could not be loaded' },
  // The bundle file on disk no longer hashes to the digest deployed (src/runtime/sandbox/process/bundles.ts).
  BWK_E_SANDBOX_BUNDLE_TAMPERED: { status: 502, message: 'Function %s was not started: its code failed the integrity check' },
  BWK_E_SANDBOX_UNAVAILABLE: { status: 503, message: 'No sandbox is available for %s' },
  BWK_E_SANDBOX_POOL_FULL: { status: 429, message: 'Function %s has no free sandbox' },

  // leak prevention (src/dlp/): the response is withheld whole; the caller learns nothing of what it held
  BWK_E_DLP_RESPONSE_BLOCKED: { status: 502, message: 'The response of %s was withheld: it contained a credential' },

  // broker: capabilities the sandbox asks for
  BWK_E_BROKER_PROTOCOL: { status: 502, message: 'Function %s broke the sandbox protocol' },
  BWK_E_BROKER_CAPABILITY_DENIED: { status: 403, message: 'Capability %s is not granted' },
  BWK_E_BROKER_EGRESS_DENIED: { status: 403, message: 'Egress to %s is not allowed' },
  BWK_E_BROKER_EGRESS_FAILED: { status: 502, message: 'Egress request to %s failed' },
  BWK_E_BROKER_EGRESS_TOO_LARGE: { status: 502, message: 'Egress response from %s exceeds %s bytes' },
  // broker: context.invoke (function-to-function calls)
  BWK_E_BROKER_INVOKE_HOP_LIMIT: { status: 508, message: 'Call chain deeper than %s function calls refused' },

  // manifest: bulwark.yaml
  BWK_E_MANIFEST_NOT_FOUND: { status: 400, message: 'No manifest at %s' },
  BWK_E_MANIFEST_SYNTAX: { status: 400, message: 'Manifest is not valid YAML: %s' },
  BWK_E_MANIFEST_INVALID: { status: 400, message: 'Manifest is invalid: %s' },

  // deploy: bundling and registering a version
  BWK_E_DEPLOY_BUNDLE_FAILED: { status: 400, message: 'Bundling failed: %s' },
  BWK_E_DEPLOY_DIGEST_MISMATCH: { status: 400, message: 'Bundle digest does not match the declared sha256' },
  BWK_E_DEPLOY_REJECTED: { status: 422, message: 'Deploy rejected: %s' },

  // registry: functions, versions and keys in the store
  BWK_E_REGISTRY_FUNCTION_NOT_FOUND: { status: 404, message: 'No function named %s' },
  BWK_E_REGISTRY_VERSION_NOT_FOUND: { status: 404, message: 'Function %s has no version %s' },
  BWK_E_REGISTRY_KEY_NOT_FOUND: { status: 404, message: 'No API key with id %s' },

  // registry: IP blocks managed through the admin API (src/abuse/blocklist.ts)
  BWK_E_REGISTRY_BLOCK_NOT_FOUND: { status: 404, message: 'No block is in force for %s' },
  BWK_E_REGISTRY_BLOCK_REFUSED: { status: 409, message: 'Cannot block %s: %s' },

  // store and bus backends
  BWK_E_STORE_UNAVAILABLE: { status: 503, message: 'Store backend %s is unavailable' },
  BWK_E_STORE_MIGRATION: { status: 500, message: 'Store migration failed' },
  BWK_E_STORE_SCHEMA_TOO_NEW: { status: 500, message: 'Store schema version %s is newer than this Bulwark supports (%s): upgrade Bulwark' },
  // function key-value store (context.kv, src/runtime/capabilities/kv.ts; bounds in docs/store.md)
  BWK_E_KV_KEY_INVALID: { status: 400, message: 'Key-value key is not acceptable: %s' },
  BWK_E_KV_VALUE_INVALID: { status: 400, message: 'Key-value value is not acceptable: %s' },
  BWK_E_KV_VALUE_TOO_LARGE: { status: 413, message: 'Key-value value exceeds %s bytes of JSON' },
  BWK_E_KV_NAMESPACE_FULL: { status: 409, message: 'Key-value namespace %s is full: it holds its maximum of %s entries' },
  BWK_E_BUS_UNAVAILABLE: { status: 503, message: 'Event bus %s is unavailable' },
  // bus: application messages and queue triggers (src/bus/subject.ts, src/gateway/admin/publish.ts)
  BWK_E_BUS_SUBJECT_INVALID: { status: 400, message: 'Subject is not valid: it %s' },
  BWK_E_BUS_NO_CONSUMER: { status: 404, message: 'No active function consumes subject %s' },
  BWK_E_BUS_MESSAGE_TOO_LARGE: { status: 413, message: 'Message payload exceeds %s bytes' },

  // vault: secrets at rest (src/vault/). Messages name files and variables, never a key or a value.
  BWK_E_VAULT_KEY_MISSING: { status: 500, message: 'No master key: secrets exist but neither BULWARK_MASTER_KEY nor %s is present' },
  BWK_E_VAULT_KEY_MALFORMED: { status: 500, message: 'Master key from %s is malformed: it must be 32 bytes, base64-encoded' },
  BWK_E_VAULT_KEY_WRONG: { status: 500, message: 'Master key from %s does not open this vault: it is not the key the secrets were sealed with' },
  BWK_E_VAULT_KEY_PERMISSIONS: { status: 500, message: 'Master key file %s is readable by others (mode %s): run chmod 600 on it' },
  BWK_E_VAULT_SECRET_NOT_FOUND: { status: 404, message: 'No secret named %s' },
  BWK_E_VAULT_VERSION_NOT_FOUND: { status: 404, message: 'Secret %s has no version %s' },
  BWK_E_VAULT_SECRET_INVALID: { status: 400, message: 'Secret value is not acceptable: %s' },
  BWK_E_VAULT_CONFLICT: { status: 409, message: 'Secret %s was changed concurrently: retry' },
  BWK_E_VAULT_CORRUPT: { status: 500, message: 'Secret %s version %s cannot be decrypted: its stored data was altered' },
  // Two-step master key rotation with BULWARK_MASTER_KEY (src/vault/vault.ts, docs/vault.md).
  BWK_E_VAULT_ROTATION_MODE: { status: 409, message: 'The master key comes from %s: rotate it in %s' },
  BWK_E_VAULT_ROTATION_NOT_PREPARED: { status: 409, message: 'No prepared master key rotation has key id %s: it expired, was replaced by a newer prepare, or the gateway restarted; prepare again' },
  BWK_E_VAULT_ROTATION_PROOF_WRONG: { status: 400, message: 'The proof for prepared master key %s does not match: it was not computed from the prepared key' },

  // signing: publisher keys and signed deploys (src/signing/). Messages name a key id, never key material.
  BWK_E_SIGNING_UNSIGNED: { status: 422, message: '%s refused: it is not signed and signing is enforced (deploy with --sign <key-file>)' },
  BWK_E_SIGNING_INVALID: { status: 422, message: '%s refused: the signature does not match this bundle and manifest' },
  BWK_E_SIGNING_UNKNOWN_KEY: { status: 422, message: '%s refused: signing key %s is not a registered publisher key' },
  BWK_E_SIGNING_KEY_REVOKED: { status: 422, message: '%s refused: signing key %s is revoked' },
  BWK_E_SIGNING_KEY_INVALID: { status: 400, message: 'Publisher key is not usable: %s' },
  BWK_E_SIGNING_KEY_EXISTS: { status: 409, message: 'Publisher key %s is already registered' },
  BWK_E_SIGNING_KEY_NOT_FOUND: { status: 404, message: 'No publisher key with id %s' },

  // policy: least-privilege analysis (src/policy/, `bulwark policy`)
  BWK_E_POLICY_BUNDLE_UNPARSABLE: { status: 422, message: 'The deployed bundle cannot be analysed: %s' },
  BWK_E_POLICY_OVER_PRIVILEGED: { status: 422, message: 'Over-privileged: %s unused grant(s) in %s' },

  // lifecycle: disable/enable, offboarding, inventory (src/lifecycle/)
  BWK_E_LIFECYCLE_EXPIRED: { status: 409, message: 'Function %s is past its expiry date: deploy it with a later expires date instead of enabling it' },

  // incidents: alert rules and playbooks (src/incidents/, docs/incidents.md)
  BWK_E_INCIDENT_RULES_INVALID: { status: 500, message: 'Incident rules are invalid: %s' },
  BWK_E_INCIDENT_NOT_FOUND: { status: 404, message: 'No incident %s' },
  BWK_E_INCIDENT_STATE: { status: 409, message: 'Incident %s is %s: it cannot be %s' },

  // metrics: GET /metrics and its scrape token (src/telemetry/metrics-token.ts). The message never says
  // whether a token was sent or how it was wrong.
  BWK_E_METRICS_UNAUTHORIZED: { status: 401, message: 'A valid metrics token is required' },
  BWK_E_METRICS_TOKEN_UNUSABLE: { status: 500, message: 'Metrics token file %s is unusable: %s' },

  // scanner: orchestration, baseline, waivers and the deploy gate (src/scanner/scan.ts, src/scanner/gate/)
  BWK_E_SCANNER_ROOT_INVALID: { status: 400, message: 'Cannot scan %s: %s' },
  BWK_E_SCANNER_RULE_UNKNOWN: { status: 400, message: 'Unknown scanner rule %s' },
  BWK_E_SCANNER_BASELINE_INVALID: { status: 400, message: 'Baseline %s is invalid: %s' },
  BWK_E_SCANNER_WAIVERS_INVALID: { status: 400, message: 'Waivers are invalid: %s' },
  // `bulwark scan` found what --fail-on says fails the run (exit 1, after the report).
  BWK_E_SCANNER_FINDINGS: { status: 422, message: '%s finding(s) at or above %s' },
  // An engine failed or a file was not analysed (unparsable, minified, too large): a clean result would lie.
  BWK_E_SCANNER_INCOMPLETE: { status: 422, message: 'The scan is incomplete: %s' },
  // Deploy refused by the scan gate, on the CLI (before upload) or on the server (manifest re-scan).
  BWK_E_SCANNER_GATE_REFUSED: { status: 422, message: 'Deploy refused by the security scan: %s' },
  // scanner: dependencies engine (src/scanner/engine/deps/) and `bulwark advisories update`. Local (CLI)
  // errors: the path named is the user's own input.
  BWK_E_SCANNER_ADVISORIES_UNREADABLE: { status: 400, message: 'Cannot read advisory data from %s: %s' },
  BWK_E_SCANNER_ADVISORIES_INVALID: { status: 400, message: 'Advisory data at %s is invalid: %s' },
  BWK_E_SCANNER_LOCKFILE_INVALID: { status: 400, message: 'Lockfile %s cannot be parsed: %s' },

  // audit: the tamper-evident ledger (src/audit/, docs/audit.md). Messages name the key file, never key material.
  BWK_E_AUDIT_CONFLICT: { status: 500, message: 'The audit ledger was appended to by another writer: record %s is taken' },
  BWK_E_AUDIT_KEY_MALFORMED: { status: 500, message: 'Audit node key %s is not an Ed25519 private key in PEM form' },
  BWK_E_AUDIT_KEY_PERMISSIONS: { status: 500, message: 'Audit node key %s is readable by others (mode %s): run chmod 600 on it' },
  BWK_E_AUDIT_NO_LEDGER: { status: 404, message: 'No audit ledger in this home: the gateway creates it on its first start' },
  BWK_E_AUDIT_VERIFY_FAILED: { status: 500, message: 'Audit ledger verification failed at record %s: %s' },
  BWK_E_AUDIT_NO_CHECKPOINT: { status: 404, message: 'The audit ledger has no signed checkpoint yet: the gateway signs one periodically and when it stops' },
  BWK_E_AUDIT_CHECKPOINT_INVALID: { status: 400, message: 'Checkpoint file is not a signed audit checkpoint: %s' },
  BWK_E_AUDIT_SYSLOG_FAILED: { status: 502, message: 'Could not send to the syslog collector %s: %s' },
  BWK_E_AUDIT_UNREADABLE: { status: 500, message: 'The audit ledger cannot be read: %s' },

  // config: bulwark config file and environment
  BWK_E_CONFIG_INVALID: { status: 500, message: 'Configuration is invalid: %s' },
  BWK_E_CONFIG_ISOLATION_UNAVAILABLE: { status: 500, message: 'isolation: strict requires %s' },

  // cli
  BWK_E_CLI_USAGE: { status: 400, message: '%s' },
  BWK_E_CLI_NO_CREDENTIALS: { status: 401, message: 'No API key: set BULWARK_API_KEY or run `bulwark serve` once to create %s' },
  BWK_E_CLI_UNREACHABLE: { status: 503, message: 'Cannot reach the Bulwark gateway at %s' },
  BWK_E_CLI_REMOTE: { status: 502, message: '%s' },
  BWK_E_CLI_CREDENTIALS_INVALID: { status: 401, message: 'Credentials file %s must be JSON with "url" and "apiKey"' },
  BWK_E_CLI_EXISTS: { status: 409, message: 'Refusing to overwrite %s' },
  BWK_E_CLI_CHECKS_FAILED: { status: 500, message: '%s doctor check(s) failed' },
  BWK_E_CLI_UNEXPECTED: { status: 500, message: 'Unexpected error: %s (set BULWARK_DEBUG=1 for details)' },
  // cli: bulwark import (src/import/)
  BWK_E_CLI_IMPORT_TEMPLATE: { status: 400, message: 'Cannot import %s: %s' },
} as const satisfies Record<`BWK_E_${string}`, ErrorSpec>;

export type BulwarkErrorCode = keyof typeof errors;

export class BulwarkError extends Error {
  readonly code: BulwarkErrorCode;
  readonly status: number;
  /** Internal detail for the log: never sent to a remote caller. */
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: BulwarkErrorCode, args: ReadonlyArray<string | number> = [], detail?: Record<string, unknown>) {
    const spec: ErrorSpec = errors[code];
    let i = 0;
    super(spec.message.replace(/%s/g, () => String(args[i++] ?? '')));
    this.name = 'BulwarkError';
    this.code = code;
    this.status = spec.status;
    this.detail = detail;
  }
}

export function isBulwarkError(err: unknown): err is BulwarkError {
  return err instanceof BulwarkError;
}

/** The only body shape a remote caller ever receives on failure. */
export interface ErrorBody {
  error: { code: BulwarkErrorCode; message: string; requestId: string };
}

export function toErrorBody(err: unknown, requestId: string): { status: number; body: ErrorBody } {
  const known = isBulwarkError(err) ? err : new BulwarkError('BWK_E_GATEWAY_INTERNAL');
  return { status: known.status, body: { error: { code: known.code, message: known.message, requestId } } };
}
