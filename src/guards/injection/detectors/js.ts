// JavaScript code injection: input that a function would run if it reached eval, new Function, vm,
// a `$where` clause or a template compiled to code (server-side JavaScript injection), and script that
// would run if the value were echoed into a page. Developer prose mentions `require` and `eval` and
// "JavaScript: The Good Parts", so this flags the working forms only: require('child_process'),
// process.mainModule, constructor.constructor, eval('…'), a quote that closes a `$where` string and
// carries on with code, <script>, on…= handlers inside a tag, javascript: URLs that run something.

import { anyRule, F, rulePatterns, type Detector, type Rule } from './types.ts';

const NODE_MODULES = 'child_process|fs|fs/promises|net|http|https|vm|os|process|module|dgram|cluster|worker_threads|v8|inspector';

const rules: Rule[] = [
  [F.PAREN, null, new RegExp([
    String.raw`\b(?:require|import)\s*\(\s*['"\x60](?:node:)?(?:${NODE_MODULES})['"\x60]`,
    String.raw`\beval\s*\(\s*(?:['"\x60]|atob|unescape|decodeuri|string\s*\.\s*fromcharcode|buffer\s*\.\s*from|require|process|this|global|[\w$.]+\s*\()`,
    String.raw`\b(?:settimeout|setinterval|setimmediate)\s*\(\s*['"\x60]`,
    String.raw`\b(?:exec|execsync|spawn|spawnsync|execfile|execfilesync)\s*\(\s*['"\x60](?:cat|ls|id|whoami|rm|curl|wget|sh|bash|nc|ping|sleep|touch|echo)\b`,
    String.raw`\bstring\s*\.\s*fromcharcode\s*\(`,
    // reading the process out: })() around it, Object.keys(global)
    String.raw`\}\s*\)\s*\(\s*\)|\bobject\s*\.\s*(?:keys|entries|values|getownpropertynames)\s*\(\s*(?:global|globalthis|process|this)\b`,
    // a loop that never ends, the denial of service of eval and $where
    String.raw`\bwhile\s*\(\s*(?:true|1|!0)\s*\)|\bdo\s*\{[^{}]*\}\s*while\s*\(|\bfor\s*\(\s*;\s*;\s*\)`,
  ].join('|'))],
  [F.DOT | F.SEMI | F.PAREN, ['process', 'module', 'constructor', 'document', 'return'], new RegExp([
    String.raw`\bprocess\s*\.\s*(?:mainmodule|binding|_linkedbinding|dlopen|kill|exit|abort|setuid|setgid|reallyexit)\b|\bglobal(?:this)?\s*\.\s*process\b`,
    String.raw`\bmodule\s*\.\s*(?:constructor|require)\b`,
    String.raw`\.\s*constructor\s*\.\s*constructor\b|\bconstructor\s*\(\s*['"\x60]return\b`,
    String.raw`\bdocument\s*\.\s*(?:cookie|domain)\b`,
    String.raw`;\s*return\s+(?:true|1|this|!0)\s*;?\s*(?://|var\b|['"]|$)|\breturn\s+(?:process|global|globalthis|require)\b`,
  ].join('|'))],
  [F.QUOTE | F.BACKTICK, null, new RegExp([
    String.raw`\b(?:new\s+)?function\s*\(\s*['"\x60]`,
    // closing a string inside $where / eval and carrying on with code: '; return true; var x='
    String.raw`['"]\s*(?:;|\|\||&&)\s*(?:return\b|while\s*\(|for\s*\(|sleep\s*\(|this\s*\.|db\s*\.|var\s|let\s|const\s|throw\b|function\b|process\b|require\b|settimeout\b|eval\b|[\w$]+\s*\(\s*\)\s*;?\s*(?://|['"]|$))`,
    String.raw`['"]\s*(?:\|\||&&)\s*(?:['"][^'"]*['"]|\d+|true)\s*(?:===?|!==?)`,
    // breaking out of a string in a script: "-prompt(8)-"  ';alert(1)//
    String.raw`['"\x60]\s*[-+*/|&^;]\s*(?:alert|prompt|confirm|eval|fetch|import)\s*\(`,
  ].join('|'))],
  // script that runs when echoed into a page
  [F.ANGLE, null, /<script[\s>/]|<\/script\s*>|<[a-z][^<>]*[\s/"'`]on[a-z]{3,}\s*=/],
  [F.COLON, null, /(?:^|[\s"'=(`])(?:java|vb)script\s*:\s*(?:[\w$.]+\s*[(=[`'"]|\/\/|void\b)|data:text\/html[;,]/],
];

export const js: Detector = {
  id: 'js',
  patterns: rulePatterns(rules),
  value(s) {
    return anyRule(s, rules);
  },
};
