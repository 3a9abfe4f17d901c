// Validates the request against the manifest's input JSON Schemas before the function sees it: path
// parameters, query string, headers and body, each against its own schema when the manifest gives one,
// cheapest first. Queue messages and scheduled runs have only a body (their payload), checked against
// the body schema. Validators are compiled once per function version and part (compileInputSchema, the
// same compiler the deploy used) and cached in this guard instance. The body is parsed as JSON whatever
// its declared content type, so relabelling a JSON body as text/plain does not slip past the schema.
//
// Parameters, query values and headers are text on the wire; their schemas are compiled with coercion
// ("10" satisfies {type: integer}) and run on a copy, so the function and later guards still see exactly
// what the caller sent.
//
// A version deployed under older, looser rules may hold a schema that no longer compiles (a pattern the
// linear-time gate now refuses). Its requests are refused with BWK_E_GUARD_SCHEMA_UNUSABLE, the pattern
// and reason going to the log: never validated with a weaker engine, never an unhandled throw. The failure
// is cached like a validator, so a broken version costs one compile, not one per request.

import type { ValidateFunction } from 'ajv';
import { BulwarkError } from '../../errors.ts';
import { compileInputSchema, describeSchemaFailure } from '../../manifest/input-schema.ts';
import type { InputPart } from '../../manifest/types.ts';
import { deny, pass, type Guard, type GuardMeta, type GuardRequest } from '../types.ts';

export const meta = {
  id: 'schema',
  phase: 'input',
  description: "Rejects requests whose path parameters, query, headers or body do not match the function's input JSON Schemas",
  errors: ['BWK_E_GUARD_INPUT_INVALID', 'BWK_E_GUARD_SCHEMA_UNUSABLE'],
} as const satisfies GuardMeta;

export interface SchemaOptions {
  /** Compiled validators kept (one per function version and part); the oldest is dropped past this. */
  cacheSize?: number;
}

/** Methods that normally carry no body: without one there is nothing to validate. */
const BODILESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);
/** The text parts, cheapest first; the body comes last. */
const TEXT_PARTS = ['params', 'query', 'headers'] as const satisfies readonly InputPart[];

function invalid(reason: string, part: InputPart): ReturnType<typeof deny> {
  return deny(new BulwarkError('BWK_E_GUARD_INPUT_INVALID', [reason]), { rule: part });
}

/** A copy coercion may rewrite: the values are strings or arrays of strings, one level deep. */
function copyOf(values: Record<string, string | string[] | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined) out[k] = Array.isArray(v) ? [...v] : v;
  return out;
}

export function create(opts: SchemaOptions = {}): Guard {
  const cacheSize = opts.cacheSize ?? 512;
  const cache = new Map<string, ValidateFunction | BulwarkError>();

  function validatorFor(fn: GuardRequest['fn'], part: InputPart, schema: Record<string, unknown>): ValidateFunction | BulwarkError {
    const key = `${fn.name}@${fn.version}:${fn.sha256}:${part}`;
    let v = cache.get(key);
    if (!v) {
      try {
        v = compileInputSchema(schema, { coerce: part !== 'body' });
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        v = new BulwarkError('BWK_E_GUARD_SCHEMA_UNUSABLE', [fn.name], { version: fn.version, part, reason });
      }
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
      cache.set(key, v);
    }
    return v;
  }

  return async function schema(req) {
    const input = req.fn.manifest.input;
    if (!input) return pass();
    if (req.source === 'http') {
      for (const part of TEXT_PARTS) {
        const partSchema = input[part];
        if (!partSchema) continue;
        const validate = validatorFor(req.fn, part, partSchema);
        if (validate instanceof BulwarkError) return deny(validate, { rule: part });
        if (!validate(copyOf(req[part]))) return invalid(describeSchemaFailure(validate, part), part);
      }
    }
    if (!input.body) return pass();
    const empty = !req.body || req.body.length === 0;
    if (empty && BODILESS.has(req.method)) return pass();
    if (empty) return invalid('a JSON body is required', 'body');
    const parsed = req.json();
    if (!parsed.ok) return invalid('body is not valid JSON', 'body');
    const validate = validatorFor(req.fn, 'body', input.body);
    if (validate instanceof BulwarkError) return deny(validate, { rule: 'body' });
    return validate(parsed.value) ? pass() : invalid(describeSchemaFailure(validate, 'body'), 'body');
  };
}
