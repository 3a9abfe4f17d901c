// Prototype pollution: a key that reaches Object.prototype when a function merges, clones or sets by
// path (`__proto__`, or `constructor` then `prototype`). It arrives as a JSON key, as a query name such
// as `a[__proto__][x]=1` or `constructor[prototype][x]=1`, or as a property path in a string handed to
// a set-by-path helper (`__proto__.isAdmin`). A key is judged by its shape, so exempt fields are
// checked too.

import { anyRule, F, rulePatterns, type Detector, type Rule } from './types.ts';

const rules: Rule[] = [
  // __proto__ as a segment of a property path: a.__proto__.b, a[__proto__], {"__proto__":, ?__proto__=
  [F.UNDERSCORE, ['__proto__'], /(?:^|[.[\]'"/=&?{,])__proto__(?:$|[.[\]'"/=&:])/],
  [F.DOT | F.BRACKET, ['prototype'], /\bconstructor['"]?\s*\]?\s*(?:\.|\[\s*['"]?)\s*prototype\b/],
];

export const prototype: Detector = {
  id: 'prototype',
  patterns: rulePatterns(rules),
  value(s) {
    return anyRule(s, rules);
  },
  key(segment, parent) {
    return segment === '__proto__' || (segment === 'prototype' && parent === 'constructor');
  },
};
