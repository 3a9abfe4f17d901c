// Validates the request body against the manifest's input JSON Schema before the function sees it.
// Validators are compiled once per function version (compileInputSchema, the same compiler the deploy
// used) and cached in this guard instance. The body is parsed as JSON whatever its declared content
// type, so relabelling a JSON body as text/plain does not slip past the schema.

import type { ValidateFunction } from 'ajv';
import { BulwarkError } from '../../errors.ts';
import { compileInputSchema } from '../../manifest/input-schema.ts';
import { deny, pass, type Guard, type GuardMeta } from '../types.ts';

export const meta = {
  id: 'schema',
  phase: 'input',
  description: "Rejects bodies that do not match the function's input JSON Schema",
  errors: ['BWK_E_GUARD_INPUT_INVALID'],
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
  const cache = new Map<string, ValidateFunction>();

  function validatorFor(key: string, schema: Record<string, unknown>): ValidateFunction {
    let v = cache.get(key);
    if (!v) {
      v = compileInputSchema(schema);
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
    let value: unknown;
    try {
      value = JSON.parse(req.body!.toString('utf8'));
    } catch {
      return invalid('body is not valid JSON');
    }
    const validate = validatorFor(`${req.fn.name}@${req.fn.version}:${req.fn.sha256}`, input);
    return validate(value) ? pass() : invalid(describe(validate));
  };
}
