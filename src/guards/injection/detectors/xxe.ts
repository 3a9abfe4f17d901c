// XML external entities and DTDs. An XML body (declared XML, or starting with `<?xml`) must carry no
// DTD at all: entities expand into files, URLs and billions of copies, and a function has no use for
// a DTD from a caller. Elsewhere (an XML document inside a JSON field, a base64 SVG) the dangerous
// forms count: an entity declaration, a DOCTYPE with an internal subset or a SYSTEM identifier, and
// XInclude. A plain `<!DOCTYPE html>` (an HTML e-mail template in a JSON field) passes.

import { F, type Detector } from './types.ts';

const DOCUMENT = /^\s*\ufeff?\s*<\?xml\b/;
const ANY_DTD = /<!doctype\b/;
const DANGEROUS = /<!entity\b|<!doctype[^>[]*\[|<!doctype\s+[\w:.-]+\s+system\b|<xi:include\b|xmlns:xi\s*=|<!\[include\[/;

export const xxe: Detector = {
  id: 'xxe',
  patterns: [DOCUMENT, ANY_DTD, DANGEROUS],
  value({ lower, features }, ctx) {
    if ((features & F.ANGLE) === 0) return false;
    if ((ctx.xmlBody || DOCUMENT.test(lower)) && ANY_DTD.test(lower)) return true;
    return DANGEROUS.test(lower);
  },
};
