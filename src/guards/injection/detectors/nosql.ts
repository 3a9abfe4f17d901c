// NoSQL operator injection: a MongoDB-style operator where the function expects a plain value, so that
// `{ user: req.body.user }` becomes `{ user: { $ne: null } }` and matches everyone. It arrives as an
// object key in a JSON body, as a query name like `user[$ne]=` (which qs-style parsers turn into the
// same object), or as JSON or bracket syntax inside a string the function parses later. Only real
// operator names count: JSON Schema's `$ref`/`$schema`/`$id` and prices like "$5" are not operators.

import { anyRule, F, rulePatterns, type Detector, type Rule } from './types.ts';

/** Query, update and aggregation operators that change what a filter matches or what runs. */
const OPERATORS = [
  'where', 'ne', 'eq', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'regex', 'options', 'exists', 'type', 'not', 'nor',
  'or', 'and', 'expr', 'jsonSchema', 'mod', 'text', 'search', 'all', 'elemMatch', 'size', 'function',
  'accumulator', 'lookup', 'merge', 'out', 'set', 'unset', 'inc', 'rename', 'push', 'pull', 'addToSet', 'geoWithin', 'near',
];
const KEYS = new Set(OPERATORS.map((o) => `$${o}`));
const NAMES = OPERATORS.map((o) => o.toLowerCase()).join('|');

const rules: Rule[] = [
  // {"$ne": 1}   , '$gt':   [ "$where":
  [F.DOLLAR, null, new RegExp(String.raw`(?:^|[{,\[])\s*['"]?\$(?:${NAMES})['"]?\s*:`)],
  // user[$ne]=1 inside a string (a form or query string the function parses itself)
  [F.BRACKET, null, new RegExp(String.raw`\[\s*\$(?:${NAMES})\s*\]`)],
  [F.DOLLAR, null, /\$where\b/],
];

export const nosql: Detector = {
  id: 'nosql',
  patterns: rulePatterns(rules),
  value(s) {
    return (s.features & F.DOLLAR) !== 0 && anyRule(s, rules);
  },
  key(segment) {
    return KEYS.has(segment);
  },
};
