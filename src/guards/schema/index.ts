// Validates the request body against the manifest's input JSON Schema before the function sees it.
// Validators are compiled once per function version (compileInputSchema, the same compiler the deploy
// used) and cached in this guard instance. The body is parsed as JSON whatever its declared content
// type, so relabelling a JSON body as text/plain does not slip past the schema.
//
// A version deployed under older, looser rules may hold a schema that no longer compiles (a pattern the
// linear-time gate now refuses). Its requests are refused with BWK_E_GUARD_SCHEMA_UNUSABLE, the pattern
// and reason going to the log: never validated with a weaker engine, never an unhandled throw. The failure
// is cached like a validator, so a broken version costs one compile, not one per request.

import type { ValidateFunction } from 'ajv';
import { BulwarkError } from '../../errors.ts';
import { compileInputSchema } from '../../manifest/input-schema.ts';
import { deny, pass, type Guard, type GuardMeta, type GuardRequest } from '../types.ts';

export const meta = {
  id: 'schema',
  phase: 'input',
  description: "Rejects bodies that do not match the function's input JSON Schema",
  errors: ['BWK_E_GUARD_INPUT_INVALID', 'BWK_E_GUARD_SCHEMA_UNUSABLE'],
} as const satisfies GuardMeta;

export interface SchemaOptions {
  /** Compiled validators kept; the oldest is dropped past this. */
  cacheSize?: number;
}

/** Methods that normally carry no body: without one there is nothing to validate. */
const BODILESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);
const MAX_REASON = 160;

function invalid(reason: string): ReturnType<typeof deny> {
  return deny(new BulwarkError('BWK_E_GUARD_INPUT_INVALID', [reason]));
}

/** The first ajv error as a short reason: the location and the rule, never the offending value. */
function describe(validate: ValidateFunction): string {
  const e = validate.errors?.[0];
  if (!e) return 'invalid';
  const extra = e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: unknown }).additionalProperty)})` : '';
  const text = `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${extra}`;
  // Control characters would let a crafted property name forge log lines or confuse clients.
  return text.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, MAX_REASON);
}

export function create(opts: SchemaOptions = {}): Guard {
  const cacheSize = opts.cacheSize ?? 512;
  const cache = new Map<string, ValidateFunction | BulwarkError>();

  function validatorFor(fn: GuardRequest['fn'], schema: Record<string, unknown>): ValidateFunction | BulwarkError {
    const key = `${fn.name}@${fn.version}:${fn.sha256}`;
    let v = cache.get(key);
    if (!v) {
      try {
        v = compileInputSchema(schema);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        v = new BulwarkError('BWK_E_GUARD_SCHEMA_UNUSABLE', [fn.name], { version: fn.version, reason });
      }
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
      cache.set(key, v);
    }
    return v;
  }

  return async function schema(req) {
    const input = req.fn.manifest.input;
    if (!input) return pass();
    const empty = !req.body || req.body.length === 0;
    if (empty && BODILESS.has(req.method)) return pass();
    if (empty) return invalid('a JSON body is required');
    const parsed = req.json();
    if (!parsed.ok) return invalid('body is not valid JSON');
    const validate = validatorFor(req.fn, input);
    if (validate instanceof BulwarkError) return deny(validate);
    return validate(parsed.value) ? pass() : invalid(describe(validate));
  };
}
