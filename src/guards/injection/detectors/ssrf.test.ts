import { test } from 'node:test';
import { ssrf } from './ssrf.ts';
import { checkValues } from './testing.ts';

test('ssrf: internal addresses in every spelling a URL parser accepts, and non-HTTP schemes, are flagged', () => {
  checkValues(ssrf, {
    flagged: [
      'http://169.254.169.254/latest/meta-data/', 'http://127.0.0.1:8080/admin', 'http://localhost:6379/', 'http://[::1]/', 'http://0.0.0.0:22/', 'http://2130706433/',
      'http://0x7f000001/', 'http://0177.0.0.1/', 'http://127.1/', 'http://0x7f.1/', 'http://[::ffff:127.0.0.1]/', 'http://[::ffff:a9fe:a9fe]/', 'http://169.254.169.254.nip.io/',
      'http://metadata.google.internal/computeMetadata/v1/', 'http://100.100.100.200/', 'http://[fd00:ec2::254]/', 'http://10.0.0.5/', 'http://192.168.1.1/', 'http://172.16.0.10:9200/',
      'http://evil.example@127.0.0.1/', 'http://127.0.0.1#@evil.example/', 'http://evil.example\\@127.0.0.1/', 'http://①②⑦.⓪.⓪.①/', 'file:///etc/passwd', 'gopher://127.0.0.1:6379/_x',
      'dict://127.0.0.1:11211/stats', 'ldap://127.0.0.1:389/', 'jar:http://evil.example/x.jar!/', 'php://filter/resource=index.php', 'http:127.0.0.1/', '//169.254.169.254/latest/',
      '169.254.169.254', '127.0.0.1:6379', 'localhost', 'db.internal:5432', 'http://[fe80::1%eth0]/', 'http://0/', 'http://7f000001.nip.io/', 'http://app-a9fea9fe.nip.io/', 'see http://10.1.1.1/ for details', 'http://kubernetes.default.svc/api',
    ],
    passed: [
      'https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s', 'https://1.1.1.1/dns-query', 'https://[2606:4700:4700::1111]/dns-query', 'https://api.stripe.com/v1/charges', 'ftp://ftp.gnu.org/gnu/',
      'https://user:token@git.example.com/org/repo.git', 'Note: the meeting is at 10:30', 'php: 8.2 is required', 'dict: a mapping type', 'Attached file: report.pdf', '3.14', '0.99',
      '1.2.3.4', 'Version 1.2.3', 'mailto:ana@example.com', 'https://xn--bcher-kva.example/', 'https://8.8.8.8/', 'http://08080808.nip.io/', 'http://deadbeef.example.com/',
    ],
  });
});

test('ssrf: tabs and newlines inside a URL, which the WHATWG parser deletes before it dials, hide nothing', () => {
  checkValues(ssrf, {
    flagged: [
      'http://\t169.254.169.254/latest/meta-data/', 'http://a\t@169.254.169.254/x', 'http:/\n/127.0.0.1/', 'ht\ttp://127.0.0.1/',
      'http://127.0.\r\n0.1:6379/', 'see http://\n10.0.0.5/ for details', '//\t169.254.169.254/latest/', 'gop\nher://127.0.0.1:6379/_x',
    ],
    passed: ['first line\nhttps://example.com/page\nlast line', 'https://api.example.com/v1\t200 OK\t12 ms', 'notes:\n\t- ship it\n\t- 10.5 hours'],
  });
});
