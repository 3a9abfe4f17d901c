// OS command injection: a shell separator (`;`, `&`, `|`, a newline, `$(`, a backtick) followed by a
// command the way a shell reads it. "Tom & Jerry", "Q&A; type your question" and a markdown table
// `| id | name |` must pass, so commands that are also English words count only with an argument a
// shell user would write (a flag, a path, an address, a file name), and a bare command only when the
// value ends there. Shell-only constructs ($IFS, `() { :; };` Shellshock, /dev/tcp, `{cat,/etc/passwd}`)
// count wherever they are.

import { anyRule, F, rulePatterns, type Detector, type Rule } from './types.ts';

/** Backticks are not here: "run `ls -la`" is markdown; substitution has its own pattern below. */
const SEP = String.raw`(?:[;&|\n\r]|\$\()`;
/** For bare words like `id`: a lone `&` between spaces is prose ("passport & ID"), not a shell. */
const TIGHT_SEP = String.raw`(?:[;|\n\r]|&&|[^\s&]&|^&|\$\()`;
/** The value (or the command) ends: nothing, another separator, a closing `)`/backtick, a comment, a redirect. */
const TERM = String.raw`\s*(?:$|[;&\x60)#>\n])`;
/** Meaningful with no argument, and not English words. */
const STANDALONE = 'id|ls|pwd|env|uname|whoami|ifconfig|ipconfig|hostname|netstat|ps|dir|systeminfo|tasklist|printenv|getent';
/** Never English: any argument counts. */
const TOOLS = 'whoami|uname|ifconfig|ipconfig|netstat|systeminfo|tasklist|certutil|bitsadmin|powershell|pwsh|nslookup|busybox|ncat|netcat|mkfifo|rundll32|regsvr32|mshta|wmic|printenv|crontab|useradd|getent|xterm';
/** Also English words: they need an argument shaped like one. */
const WORDS = 'cat|tac|head|tail|more|less|nl|find|grep|awk|sed|xargs|echo|printf|type|rm|del|cp|mv|chmod|chown|touch|kill|pkill|killall|sleep|timeout|ping|nc|telnet|ssh|ftp|tftp|curl|wget|dig|host|bash|sh|zsh|ksh|csh|dash|python[23]?|perl|ruby|php|node|lua|sudo|su|base64|xxd|openssl|net|tar|zip|unzip|nohup|id|ls|dir|env|ps';
const ARG = String.raw`\s+(?:-{1,2}[a-z]|/[\w.~]|~/|\\\\|\$\{?[\w{]|[a-z]:\\|(?:https?|ftp|tftp)://|\d{1,3}(?:\.\d{1,3}){3}\b|[\w-]+\.(?:txt|sh|php|py|pl|rb|exe|bat|ps1|conf|cfg|log|ini|db|key|pem|xml|json|js|so|dll)\b|[<>])`;
const NETWORK = String.raw`(?:ping|nslookup|dig|host|curl|wget|nc|ncat|telnet|ftp|tftp|ssh)\s+[a-z0-9-]+(?:\.[a-z0-9-]+)+`;
const PATH = String.raw`(?:(?:/usr)?/s?bin/)?`;
const ALL = `${TOOLS}|${WORDS}`;

const rules: Rule[] = [
  [F.SEMI | F.AMP | F.PIPE | F.NEWLINE | F.DOLLAR, null, new RegExp([
    String.raw`${TIGHT_SEP}\s*${PATH}(?:${STANDALONE})(?:\.exe)?${TERM}`,
    String.raw`${SEP}\s*(?:` + [
      String.raw`${PATH}(?:${TOOLS})(?:\.exe)?(?:${TERM}|\s+\S)`,
      String.raw`${PATH}(?:${WORDS})(?:\.exe)?${ARG}`,
      String.raw`${NETWORK}|(?:echo|printf)\s+(?:['"$]|\w+${TERM})|sleep\s+\d+(?:\.\d+)?[smhd]?${TERM}|ping\s+-[nc]\s*\d`,
      String.raw`/(?:usr/)?s?bin/[a-z]+`,
    ].join('|') + ')',
  ].join('|'))],
  // command substitution: $(id), `whoami` (a backtick after `=`, a quote or a word, or the whole value:
  // "run \`ls -la\` to see" in prose is markdown, not a shell)
  [F.DOLLAR, null, new RegExp(String.raw`\$\(\s*${PATH}(?:${ALL})\b`)],
  [F.BACKTICK, null, new RegExp(String.raw`(?:^\s*|[=;&|'"(\w])\x60\s*${PATH}(?:${ALL})\b[^\x60]*\x60`)],
  // shell-only syntax: $IFS, Shellshock, brace expansion
  [F.DOLLAR, null, /\$\{?ifs\b/],
  [F.BRACE, null, /\(\)\s*\{\s*:\s*;\s*\}\s*;|\(\)\s*\{\s*_\s*;\s*\}\s*>/],
  [F.BRACE, null, new RegExp(String.raw`\{\s*(?:${ALL})\s*,\s*[-/~.$]`)],
  // reverse shells and interpreters run with code
  [F.SLASH | F.MINUS, ['/dev/', 'bash', 'nc', 'netcat', 'sh -i', 'mkfifo', 'powershell', 'cmd'], /\/dev\/(?:tcp|udp)\/|\bbash\s+-i\s*>&|\bn(?:c|cat|etcat)\s+(?:-[a-z]+\s+)*-[a-z]*[ec]\b|\bsh\s+-i\b|\bmkfifo\s+\/tmp\/|\bpowershell(?:\.exe)?\s+(?:-[a-z]+\s+)*-(?:e|en|enc|encodedcommand|c|command|nop|noprofile|w|windowstyle|exec|executionpolicy)\b|\bcmd(?:\.exe)?\s+\/[ck]\s/],
];

export const command: Detector = {
  id: 'command',
  patterns: rulePatterns(rules),
  value(s) {
    return anyRule(s, rules);
  },
};
