// SQL injection. A sentence may say "select the best option from our menu; drop by anytime" and a name
// may be O'Brien, so SQL words alone prove nothing. What this flags is SQL that breaks out of the place
// a value is put: a quote (or a leading number) followed by a boolean tautology, a comment that cuts
// the rest of the statement, a stacked statement, a UNION SELECT, or a function only an attacker sends
// (SLEEP, BENCHMARK, xp_cmdshell, information_schema. …). Inline comments (`/**/`, `/*!50000 … */`)
// are read as the whitespace they are to the database before matching; an unclosed `/*` is left, since
// cutting the rest of the statement is what it is there for.

import { anyRule, F, rulePatterns, type Detector, type Rule } from './types.ts';

/** A literal or column a tautology compares: 'a', "a", 1, 2+3, true, users.id. */
const OPERAND = String.raw`(?:'[^']*'|"[^"]*"|\d+(?:\.\d+)?(?:\s*[-+*/]\s*\d+)*|[a-z_][\w.]*)`;
/** A comparison; LIKE and friends only against a quoted pattern ("1 or something like that" is prose). */
const COMPARE = String.raw`(?:=|<>|!=|<|>|\b(?:r?like|regexp|sounds\s+like)\s*['"]|\bin\s*\(|\bis\s+(?:not\s+)?null\b)`;
const WORD_LOGIC = String.raw`(?:(?:or|and|xor)\b|\|\||&&)`;
/** After a broken-out quote: an operator joining an attacker expression (`'-sleep(5)-'`, `'xor(if(...))xor'`). */
const JOIN = String.raw`(?:(?:or|and|xor|div|r?like|regexp)\b|\|\||&&|[-+*|^&])`;
const FUNCTION = String.raw`(?:sleep|benchmark|pg_sleep|if|iif|case|exists|ascii|substr|substring|mid|char|chr|length|len|ord|updatexml|extractvalue|concat|rand|elt|user|database|version|count|hex|unhex|cast|convert|instr|make_set|row|now|sysdate)\s*\(`;
const END = String.raw`[\s)]*(?:--|#|/\*|;|$)`;

/** "x or 1=1--", "... where id = 1 or 1=1": a tautology closing the value without a quote. */
const TAUTOLOGY = /\b(?:or|and)[\s(]+(?:\d+|'[^']*'|"[^"]*")\s*(?:=|<>|!=|<|>|like)\s*(?:\d+|'[^']*'|"[^"]*")[\s)]*(?:--|#|\/\*|;|$)/;

const rules: Rule[] = [
  [F.QUOTE | F.BACKTICK, null, new RegExp([
    // admin'--   admin'#   admin')/*
    String.raw`\w['"\x60][ \t)]*(?:--(?:[\s+-]|$)|#|/\*)`,
    String.raw`['"\x60][\s)]*(?:` + [
      // ' or 'a'='a   ") or ("x"="x   ' and 1=convert(...)   'or'1'='1
      String.raw`(?:or|and|xor)\b[\s(]*${OPERAND}[\s)]*${COMPARE}`,
      // ' || 1=1   (symbolic operators only with literals: `"a" || b == c` is everyday code)
      String.raw`(?:\|\||&&)[\s(]*(?:'[^']*'|"[^"]*"|\d+)[\s)]*${COMPARE}`,
      // ' or 1--   " or true#   ' or 1;
      String.raw`${WORD_LOGIC}[\s(]*(?:\d+|true|false|null)${END}`,
      // ' and sleep(5)   ' or (select ...)   '-(select 1)-'
      String.raw`${JOIN}[\s(]*(?:${FUNCTION}|select\b)`,
      // ' order by 3--   ' group by x having 1=1   ' procedure analyse   ' limit 1--
      String.raw`order\s+by\s+\d|group\s+by\b[^'"]*\bhaving\b|having\s+\d+\s*=|procedure\s+analyse|limit\s+\d+\s*(?:,\s*\d+\s*)?(?:--|#|/\*|$)`,
    ].join('|') + ')',
  ].join('|'))],
  // a value that is a number followed by SQL: 1 or 1=1, 1) and (select 1), 1 order by 3
  [F.DIGIT_START, null, new RegExp(String.raw`^\s*-?\d+(?:\.\d+)?[\s)]*(?:${WORD_LOGIC}[\s(]*(?:${OPERAND}[\s)]*${COMPARE}|(?:\d+|true|false)${END}|${FUNCTION}|select\b)|(?:order|group)\s+by\s+\d|having\s+\d+\s*=)`)],
  // union select, with something only a query has after it, or right after a quote or a number
  [0, ['union'], /\bunion[\s(]+(?:all[\s(]+|distinct[\s(]+)?select[\s(]+(?:null\b|\d|\*|@@|'|"|0x|(?:[a-z_][\w.]*|`[^`]*`)\s*(?:\(|,)|[\w.]+\s+from\s+[\w.]+\s*(?:--|#|\/\*|;|\)|$|where\b|limit\b|order\b))|['"`\d)][\s)]*union[\s(]+(?:all[\s(]+|distinct[\s(]+)?select\b/],
  // functions, tables and variables only an attacker sends
  [F.AT, ['@@'], /@@(?:version|datadir|hostname|basedir|servername)\b/],
  [F.UNDERSCORE, null, /\b(?:xp_cmdshell|sp_executesql|sp_oacreate|sp_makewebtask|information_schema\.|pg_sleep\s*\(|dbms_pipe\.|dbms_lock\.sleep|utl_http\.|utl_inaddr\.|load_file\s*\(|pg_read_file\s*\(|lo_import\s*\()/],
  [F.PAREN, ['benchmark', 'extractvalue', 'updatexml'], /\b(?:benchmark\s*\(\s*\d+\s*,|extractvalue\s*\(|updatexml\s*\()/],
  [0, ['sys', 'file', 'waitfor', 'program'], /\b(?:sysobjects\b|syscolumns\b|into\s+(?:out|dump)file\b|waitfor\s+(?:delay|time)\s+['"]|copy\s+\(?[\w.]*\)?\s*(?:from|to)\s+program\b)/],
  // sleep(5) where SQL puts it, not time.sleep(5) or await sleep(5)
  [F.PAREN, ['sleep'], /(?:[('"`,=+|&]|\b(?:or|and|xor|select|by|if|then|when|else|not|where))\s*sleep\s*\(\s*\d+(?:\.\d+)?\s*\)/],
  // a stacked statement: ; drop table …   ; exec xp_…   ; select pg_sleep(5)
  [F.SEMI, null, /;\s*(?:drop\s+(?:table|database|schema|user|view|index|procedure|function|trigger)\b|delete\s+from\b|insert\s+into\b|update\s+[\w.`"[\]]+\s+set\b|truncate\s+table\b|alter\s+(?:table|user|database|login)\b|create\s+(?:table|user|database|login|function|procedure|trigger)\b|exec(?:ute)?\s*(?:xp_|sp_|master\.|\(|@)|declare\s+@|shutdown\s*(?:--|#|;|$|with\s+nowait)|waitfor\s+delay\b|grant\s+all\s+privileges\b|select\s+(?:\*|@@|\d|null\b|pg_sleep|sleep|benchmark|load_file|[\w.]+\s*\())/],
  [F.EQ | F.ANGLE, null, TAUTOLOGY],
  [0, ['like'], TAUTOLOGY],
];

// A whole inline comment; MySQL runs the content of a versioned one (/*!50000UNION*\/).
const COMMENT = /\/\*!?\d*([^*]*)\*\//g;

export const sql: Detector = {
  id: 'sql',
  patterns: [...rulePatterns(rules), COMMENT],
  value(s) {
    const commented = (s.features & F.STAR) !== 0 && s.lower.includes('/*');
    return anyRule(s, rules, commented ? s.lower.replace(COMMENT, ' $1 ') : s.lower);
  },
};
