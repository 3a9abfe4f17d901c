// Path traversal: `..` segments that climb out of the directory a function joins a name onto, after
// every decoding the guard applies (`%2e%2e%2f`, `%252e`, overlong `%c0%af`, `%u002e`, fullwidth `．．／`),
// plus the `....//` and `..;/` filter bypasses, a NUL byte that truncates a path, and the files an
// attacker reads with it. A relative link in markdown, `(../guide.md)`, is one climb after a bracket and
// passes; `../../` anywhere does not. Windows paths in prose ("C:\Users\Ann\Documents") pass. A NUL
// byte in a field's value (it cuts a path short in C-backed file APIs: ../../etc/passwd%00.png) counts;
// in a whole text body it does not (UTF-16 text is full of them).

import { anyRule, F, rulePatterns, type Detector, type Rule } from './types.ts';

const rules: Rule[] = [
  // ../x at the start, after a separator, or after a parameter's `=`/`:`/quote; x/.. x/../ x\..\
  [F.DOTDOT, null, /(?:^|[\\/=:'"])\.{2,};?[\\/]|[\\/]\.{2,}(?:[\\/;]|$)/],
  // what traversal reads
  [F.SLASH, null, /\/etc\/(?:passwd|shadow|sudoers|master\.passwd)\b|\/proc\/(?:self|\d+)\/|\bweb-inf[\\/]/],
  [F.DOT, ['.ini'], /\b(?:win|boot)\.ini\b/],
  [F.BACKSLASH, null, /\bsystem32\\config\\sam\b/],
];

export const traversal: Detector = {
  id: 'traversal',
  patterns: rulePatterns(rules),
  value(s, ctx) {
    return anyRule(s, rules) || (!ctx.rawBody && (s.features & F.NUL) !== 0);
  },
};
