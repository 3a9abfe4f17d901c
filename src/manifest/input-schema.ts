// The one way a function's input JSON Schema is compiled, shared by the manifest loader (which proves at
// deploy time that the schema compiles) and the gateway's schema guard (which runs it on every request),
// so a schema accepted at deploy can never fail to compile at request time.
//
// strictSchema: a typo such as `requried` or an unknown format is a compile error instead of a schema
// that silently accepts everything. The stricter style checks (strictRequired, strictTypes, strictTuples)
// stay off: they reject schemas that are valid and common. A fresh Ajv per schema: two functions may use the same $id without
// colliding, and no remote $ref is ever fetched (no loadSchema).

import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under Node's ESM loader its callable export is the module's default.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export function compileInputSchema(schema: Record<string, unknown>): ValidateFunction {
  const ajv = new Ajv({
    allErrors: false,
    strictSchema: true,
    strictNumbers: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    coerceTypes: false,
    useDefaults: false,
    logger: false,
  });
  addFormats(ajv);
  return ajv.compile(schema);
}
