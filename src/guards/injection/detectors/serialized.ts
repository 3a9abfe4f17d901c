// Serialized-object markers: payloads for deserializers that build objects (and run code) from data.
// node-serialize's `_$$ND_FUNC$$_` (an IIFE there runs on unserialize), funcster's `__js_function`,
// cryo's `_CRYO_FUNCTION_`, js-yaml/PyYAML/SnakeYAML/Psych tags that construct objects, PHP's
// `O:8:"stdClass":…`, Python pickle opcodes, Java serialization's magic bytes (AC ED 00 05, `rO0AB` in
// base64), .NET BinaryFormatter's `AAEAAAD/////`, gadget class names, and a type key (`$type`,
// `@type`, `@class`) naming a fully qualified class, which Json.NET and fastjson instantiate.
// JSON-LD's `"@type": "Person"` names no class and passes.

import { anyRule, F, rulePatterns, type Detector, type Rule } from './types.ts';

const TYPE_KEYS = new Set(['$type', '@type', '@class', '__type', '$class', 'javaClass']);
/** com.sun.rowset.JdbcRowSetImpl, System.Windows.Data.ObjectDataProvider, PresentationFramework */
const CLASS_NAME = /^\s*[a-z_$][\w$]*(?:\.[\w$]+){2,}/;
/** Base64 and hex of serialized streams, starting a value or a `name=`/`name:` part of one. Case matters here. */
const MAGIC = /(?:^\s*["']?|[=:,]\s*["']?)(?:rO0AB|aced0005|ACED0005|AAEAAAD\/\/\/\/\/|gASV)/;
const rules: Rule[] = [
  [F.DOLLAR | F.UNDERSCORE | F.BANG | F.COLON, ['$$', '_function', '!!', '!ruby', 'tag:yaml'], /_\$\$nd_func\$\$_|__js_function|_cryo_function_|!!js\/(?:function|regexp|undefined)|!!python\/(?:object|name|module)|!ruby\/(?:object|hash|struct|marshal)|!!(?:javax?|com\.sun|org\.apache|org\.springframework)\.|tag:yaml\.org,2002:(?:js|python)\//],
  // PHP objects and arrays: O:8:"stdClass":1:{   a:2:{i:0;
  [F.BRACE, null, /\b[oc]:\d+:"[\w\\]+":\d+:\{|\ba:\d+:\{[is]:\d/],
  // pickle protocol 0: cos\nsystem\n
  [F.NEWLINE, null, /\bc(?:os|posix|nt|subprocess|builtins|__builtin__|commands)\n(?:system|popen|exec|eval|check_output|call|run|getoutput)\b/],
  // Java stream magic decoded (escaped or percent-encoded) and gadget classes
  [F.PERCENT | F.BACKSLASH | F.NON_ASCII, null, /\u00ac\u00ed\u0000\u0005|%ac%ed%00%05|\\xac\\xed\\x00\\x05/],
  [F.DOT, ['java.lang', 'rowset', 'functors', 'objectdataprovider', 'diagnostics', 'templatesimpl'], /\bjava\.lang\.runtime\b|\bcom\.sun\.rowset\.jdbcrowsetimpl\b|\borg\.apache\.commons\.collections\d*\.functors\b|objectdataprovider|\bsystem\.diagnostics\.process\b|templatesimpl\b/],
];

export const serialized: Detector = {
  id: 'serialized',
  patterns: [CLASS_NAME, MAGIC, ...rulePatterns(rules)],
  value(s, ctx) {
    if (ctx.key !== undefined && TYPE_KEYS.has(ctx.key) && CLASS_NAME.test(s.lower)) return true;
    return MAGIC.test(s.text) || anyRule(s, rules);
  },
};
