import { test } from 'node:test';
import { js } from './js.ts';
import { checkValues } from './testing.ts';

test('js: server-side JavaScript injection and script that runs in a page are flagged', () => {
  checkValues(js, {
    flagged: [
      "require('child_process').exec('id')", 'process.mainModule.require("child_process")', 'process.exit(1)', "this.constructor.constructor('return process')()", "eval('process.exit()')",
      "Function('return this')()", "new Function('return process.env')()", "setTimeout('while(1){}', 0)", "'; return true; var foo='", "' || '1'=='1", "'; while(true){}; '",
      '<script>alert(document.cookie)</script>', '<img src=x onerror=alert(1)>', '<svg/onload=alert(1)>', 'javascript:alert(1)', "import('child_process')",
      '(function(){ return process.env })()', 'Object.keys(global)', '"-prompt(8)-"', 'data:text/html;base64,PHNjcmlwdD4=',
    ],
    passed: [
      'JavaScript: The Good Parts', 'Use Array.prototype.map() instead of a for loop here.', "Import it with import { parse } from 'csv-parse';", 'Call fetchUser(id) and then render the profile.',
      'Use const instead of let when the value never changes.', 'This is a <b>bold</b> claim', "The error says \"Cannot read properties of undefined (reading 'name')\".",
      'Press <kbd>Ctrl</kbd> + <kbd>C</kbd> to copy.', 'The function returns early when the list is empty.', 'Is it pronounced "gif" or "jif"?',
    ],
  });
});
