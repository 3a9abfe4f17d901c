// The official SARIF 2.1.0 JSON schema as a validator, for tests of `--format sarif`. The schema is the
// one shipped by @microsoft/jest-sarif (lib/schemas/sarif-2.1.0-rtm.5.json, MIT licence): that file is
// draft-04, which Ajv 8 reads once its two draft-04 spellings (`$schema`, root `id`) get their draft-07
// names; nothing else in the schema is touched.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';

export function sarifValidator(): { check(log: unknown): boolean; errors(): ErrorObject[] | null | undefined } {
  const require = createRequire(import.meta.url);
  const schema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));
  assert.equal(schema.$schema, 'http://json-schema.org/draft-04/schema#');
  schema.$schema = 'http://json-schema.org/draft-07/schema#';
  schema.$id = schema.id;
  delete schema.id;
  // unicodeRegExp off: one `pattern` of the schema (the language tag) is a valid ECMAScript regex only
  // without the u flag.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  const validate = ajv.compile(schema);
  // A plain boolean, not Ajv's type guard (which would narrow the log to `unknown`).
  return { check: (log: unknown): boolean => validate(log), errors: () => validate.errors };
}
