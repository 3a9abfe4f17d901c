// The response filter: a function's HttpResult is scanned for credentials before the gateway writes it
// (src/gateway/invoke.ts). Header names and values, cookies and the body are scanned; docs/dlp.md says why each
// choice below was made.
//   block  → any finding withholds the whole response (BWK_E_DLP_RESPONSE_BLOCKED, 502, no content)
//   redact → each finding becomes [REDACTED:<kind>]; a binary body with a finding is still withheld,
//            since cutting bytes out of an image or archive would hand the caller a corrupt file
//   off    → nothing is scanned
// Work is linear in the response size, which config.sandbox.maxResponseBytes already caps.

import type { HttpResult } from '../runtime/sandbox/sandbox.ts';
import { LeakTally, type Leak, type Scanner } from './scanner.ts';

export type ResponseMode = 'block' | 'redact' | 'off';

export interface ResponseInspection {
  /** The result to send: the original, or its redacted copy. Unused when `withheld`. */
  result: HttpResult;
  leaks: Leak[];
  withheld: boolean;
}

/** Content types whose base64-encoded body is still text, so it can be redacted and re-encoded. */
const TEXTUAL = /^(?:text\/|application\/(?:[a-z0-9.+-]*\+)?(?:json|xml|javascript|x-www-form-urlencoded|yaml|x-yaml))/;

function contentType(result: HttpResult): string {
  for (const [name, value] of Object.entries(result.headers)) if (name.toLowerCase() === 'content-type') return String(value).toLowerCase();
  return '';
}

export function inspectResponse(result: HttpResult, scanner: Scanner, mode: ResponseMode): ResponseInspection {
  if (mode === 'off') return { result, leaks: [], withheld: false };
  const tally = new LeakTally();
  const redact = (text: string): string => {
    const out = scanner.redact(text);
    tally.note(text, out.findings);
    return out.text;
  };

  // Names are scanned too: a function picks its header names, so a name can carry a secret as well as a
  // value can. They reach here lower-cased (normaliseResult), which hides nothing worth hiding from a
  // reader, so they are scanned ignoring case. A redacted name is no longer a valid header token, so a
  // finding in one withholds the response.
  const headers: Record<string, string> = {};
  let nameLeak = false;
  for (const [name, value] of Object.entries(result.headers)) {
    const inName = scanner.scan(name, { ignoreCase: true });
    tally.note(name, inName);
    nameLeak ||= inName.length > 0;
    headers[name] = redact(String(value));
  }
  const cookies = result.cookies.map(redact);

  let body = result.body;
  let binaryLeak = false;
  if (!result.isBase64Encoded) body = redact(result.body);
  else {
    const bytes = Buffer.from(result.body, 'base64');
    if (TEXTUAL.test(contentType(result))) {
      const text = bytes.toString('utf8');
      const redacted = redact(text);
      if (redacted !== text) body = Buffer.from(redacted, 'utf8').toString('base64');
    } else {
      // latin1 maps each byte to one character, so ASCII-shaped credentials are found in any byte stream.
      const text = bytes.toString('latin1');
      const findings = scanner.scan(text);
      tally.note(text, findings);
      binaryLeak = findings.length > 0;
    }
  }

  const found = tally.leaks();
  if (found.length === 0) return { result, leaks: found, withheld: false };
  return { result: { ...result, headers, cookies, body }, leaks: found, withheld: mode === 'block' || binaryLeak || nameLeak };
}
