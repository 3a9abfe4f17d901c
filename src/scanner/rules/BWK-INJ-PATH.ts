// Path traversal: request data in a file system path (`../../etc/passwd`, absolute paths). Taking the
// basename, or resolving against a base and checking the result still starts with it, is the fix.

import type { JsRuleContext } from '../engine/js/context.ts';
import { argPaths, calleeName, type CallPath, definition, propertyPath, receiverName, reportTainted, taintCandidate } from '../engine/js/rule-kit.ts';
import type { Rule } from '../types.ts';

/** Text that must appear in a file for this rule to have anything to look at. */
const sinkTokens = /\bfs\b|fs\/promises|sendFile|sendfile|download|readFile|writeFile|createReadStream|createWriteStream|unlink/;

const fsFunctions = new Set([
  'readFile', 'readFileSync', 'writeFile', 'writeFileSync', 'appendFile', 'appendFileSync', 'open', 'openSync', 'createReadStream',
  'createWriteStream', 'unlink', 'unlinkSync', 'rm', 'rmSync', 'rmdir', 'rmdirSync', 'readdir', 'readdirSync', 'stat', 'statSync',
  'lstat', 'lstatSync', 'access', 'accessSync', 'mkdir', 'mkdirSync', 'copyFile', 'copyFileSync', 'rename', 'renameSync', 'readlink',
  'readlinkSync', 'symlink', 'symlinkSync', 'realpath', 'realpathSync', 'exists', 'existsSync', 'truncate', 'truncateSync', 'chmod',
  'chmodSync', 'chown', 'chownSync', 'opendir', 'opendirSync', 'cp', 'cpSync', 'utimes', 'utimesSync', 'link', 'linkSync', 'watch',
]);
/** Sinks whose second argument is a path as well. */
const twoPaths = new Set(['copyFile', 'copyFileSync', 'rename', 'renameSync', 'symlink', 'symlinkSync', 'cp', 'cpSync', 'link', 'linkSync']);
const responseFile = new Set(['sendFile', 'download', 'sendfile']);

export const rule: Rule<JsRuleContext> = {
  meta: {
    id: 'BWK-INJ-PATH',
    engine: 'js',
    severity: 'high',
    owasp: 'SAS-1',
    cwe: ['CWE-22'],
    description: 'Handler input is used in a file system path (fs.*, res.sendFile) without a containment check.',
    fix: 'Use path.basename(input), or resolve against a base directory and refuse results that do not start with base + path.sep; better, map ids to file names.',
    messages: {
      tainted: 'Input from `{{source}}` is used as a file path in {{sink}}',
    },
    mitigatedBy: ['injection', 'schema'],
  },
  check(context) {
    if (!taintCandidate(context, sinkTokens)) return;
    context.visit({
      CallExpression(p) {
        const path = p as CallPath;
        const args = argPaths(path);
        if (!args[0]) return;
        const name = context.resolve(path);
        if (name !== null && name.startsWith('fs.')) {
          const fn = name.slice(3);
          if (!fsFunctions.has(fn)) return;
          if (reportTainted(context, args[0], 'path', path, 'tainted', { sink: name })) return;
          if (twoPaths.has(fn) && args[1]) reportTainted(context, args[1], 'path', path, 'tainted', { sink: name });
          return;
        }
        const method = calleeName(path);
        if (method === null || !responseFile.has(method) || path.node.callee.type === 'Identifier') return;
        if (!/^(?:res|response|reply|ctx|this)$/.test(receiverName(path) ?? '')) return;
        // express sendFile(file, { root }) refuses paths that escape root.
        const opts = args[1] ? definition(args[1]) : null;
        if (opts && propertyPath(opts, 'root')) return;
        reportTainted(context, args[0], 'path', path, 'tainted', { sink: `${receiverName(path)}.${method}` });
      },
    });
  },
};
