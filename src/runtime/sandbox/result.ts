// Turns whatever a handler returned into an HttpResult, following API Gateway's Lambda proxy rules so
// an existing Lambda function behaves the same here:
//  - payload 2.0: an object with `statusCode` is a response; anything else (string, object, number…)
//    becomes a 200 with content-type application/json (a string body is passed through as is, any other
//    value is JSON-encoded).
//  - payload 1.0: the result must be an object with `statusCode`.
// Header names must be tokens and values must not contain CR/LF (no response splitting); the body must
// fit config.sandbox.maxResponseBytes. Anything else is BWK_E_SANDBOX_BAD_RESPONSE.

import { BulwarkError } from '../../errors.ts';
import type { PayloadFormat } from '../../manifest/types.ts';
import type { HttpResult } from './sandbox.ts';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FORBIDDEN_VALUE = /[\r\n\0]/;

function bad(fn: string, why: string): BulwarkError {
  return new BulwarkError('BWK_E_SANDBOX_BAD_RESPONSE', [fn], { why });
}

function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

export function normaliseResult(value: unknown, format: PayloadFormat, maxBytes: number, fn: string): HttpResult {
  const isResponse = value !== null && typeof value === 'object' && !Array.isArray(value) && 'statusCode' in value;
  if (!isResponse) {
    if (format === '1.0') throw bad(fn, 'payload 1.0 requires an object with statusCode');
    const body = value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
    return checkSize({ statusCode: 200, headers: { 'content-type': 'application/json' }, cookies: [], body, isBase64Encoded: false }, maxBytes, fn);
  }

  const r = value as Record<string, unknown>;
  const status = r.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) throw bad(fn, 'statusCode must be an integer 100-599');

  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  const addHeader = (name: string, v: string): void => {
    if (!TOKEN.test(name)) throw bad(fn, `invalid header name ${JSON.stringify(name.slice(0, 40))}`);
    if (FORBIDDEN_VALUE.test(v)) throw bad(fn, `header ${name} contains CR, LF or NUL`);
    const key = name.toLowerCase();
    if (key === 'set-cookie') cookies.push(v);
    else headers[key] = headers[key] === undefined ? v : `${headers[key]}, ${v}`;
  };
  if (r.headers !== undefined && r.headers !== null) {
    if (typeof r.headers !== 'object' || Array.isArray(r.headers)) throw bad(fn, 'headers must be an object');
    for (const [k, v] of Object.entries(r.headers)) {
      const s = scalar(v);
      if (s === undefined) throw bad(fn, `header ${k} must be a string, number or boolean`);
      addHeader(k, s);
    }
  }
  if (r.multiValueHeaders !== undefined && r.multiValueHeaders !== null) {
    if (typeof r.multiValueHeaders !== 'object' || Array.isArray(r.multiValueHeaders)) throw bad(fn, 'multiValueHeaders must be an object');
    for (const [k, vs] of Object.entries(r.multiValueHeaders)) {
      if (!Array.isArray(vs)) throw bad(fn, `multiValueHeaders.${k} must be an array`);
      // API Gateway lets multiValueHeaders win over a single header of the same name.
      if (k.toLowerCase() !== 'set-cookie') delete headers[k.toLowerCase()];
      for (const v of vs) {
        const s = scalar(v);
        if (s === undefined) throw bad(fn, `multiValueHeaders.${k} items must be scalars`);
        addHeader(k, s);
      }
    }
  }
  if (r.cookies !== undefined && r.cookies !== null) {
    if (!Array.isArray(r.cookies) || r.cookies.some((c) => typeof c !== 'string')) throw bad(fn, 'cookies must be an array of strings');
    for (const c of r.cookies as string[]) addHeader('set-cookie', c);
  }

  let body: string;
  if (r.body === undefined || r.body === null) body = '';
  else if (typeof r.body === 'string') body = r.body;
  else throw bad(fn, 'body must be a string');

  if (r.isBase64Encoded !== undefined && typeof r.isBase64Encoded !== 'boolean') throw bad(fn, 'isBase64Encoded must be a boolean');
  const isBase64Encoded = r.isBase64Encoded === true;
  if (isBase64Encoded && !/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw bad(fn, 'body is not valid base64');

  return checkSize({ statusCode: status, headers, cookies, body, isBase64Encoded }, maxBytes, fn);
}

function checkSize(result: HttpResult, maxBytes: number, fn: string): HttpResult {
  const size = result.isBase64Encoded ? Buffer.byteLength(result.body, 'base64') : Buffer.byteLength(result.body);
  if (size > maxBytes) throw bad(fn, `body of ${size} bytes exceeds ${maxBytes}`);
  return result;
}
