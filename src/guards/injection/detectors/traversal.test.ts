import { test } from 'node:test';
import { traversal } from './traversal.ts';
import { checkValues } from './testing.ts';

// Encoded forms are decoded by the scan before a detector sees them (decode.test.ts); these are decoded.
test('traversal: climbing out of a directory, the files it reads and NUL truncation are flagged', () => {
  checkValues(traversal, {
    flagged: [
      '../../../../etc/passwd', '..\\..\\..\\windows\\win.ini', '....//....//etc/passwd', '..;/..;/WEB-INF/web.xml', '/var/www/../../etc/passwd', 'file/../../../etc/passwd',
      '/etc/passwd', '/proc/self/environ', '../config/database.yml', 'path=../../secret', '../../etc/passwd\u0000.png', 'C:\\inetpub\\wwwroot\\..\\..\\windows\\win.ini',
    ],
    passed: [
      'Read [the guide](../guide.md) before filing an issue.', 'Wait... what?', 'Copy the file to C:\\Users\\Ann\\Documents\\report.docx',
      'Edit C:\\Windows\\System32\\drivers\\etc\\hosts as administrator.', 'see /etc/hosts for the mapping', '1.2.3', 'https://example.com/a/b/c', '...',
    ],
  });
});
