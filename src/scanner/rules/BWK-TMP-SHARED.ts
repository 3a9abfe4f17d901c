// Fixed file names in the shared temporary directory: `/tmp/cache.json`, `path.join(os.tmpdir(),
// 'session.db')`. Warm function instances keep /tmp between invocations (one caller's data is read by
// the next), other processes on the host can pre-create or symlink the name, and two concurrent
// invocations overwrite each other. Bulwark gives each invocation its own scratch directory
// (`context.tmpdir`); elsewhere `fs.mkdtemp` or a random name does the same. Only writes (and
// directory creation, opening, moving, copying onto the name) are reported.

import type { NodePath } from '@babel/traverse';
import type { JsRuleContext } from '../engine/js/context.ts';
import { argPaths, calleeName, definition, type CallPath } from '../engine/js/rule-kit.ts';
import type { Rule } from '../types.ts';

/** fs operations that create or write the named path, with the index of that path argument. */
const writers = new Map<string, number>([
  ['fs.writeFile', 0], ['fs.writeFileSync', 0], ['fs.appendFile', 0], ['fs.appendFileSync', 0],
  ['fs.createWriteStream', 0], ['fs.open', 0], ['fs.openSync', 0], ['fs.mkdir', 0], ['fs.mkdirSync', 0],
  ['fs.copyFile', 1], ['fs.copyFileSync', 1], ['fs.rename', 1], ['fs.renameSync', 1], ['fs.symlink', 1], ['fs.symlinkSync', 1],
  ['fs.cp', 1], ['fs.cpSync', 1], ['fs-extra.outputFile', 0], ['fs-extra.outputJson', 0], ['fs-extra.writeJson', 0], ['fs-extra.ensureDir', 0],
]);

const writerMethods = new Set([...writers.keys()].map((k) => k.slice(k.lastIndexOf('.') + 1)));

const sharedRoots = /^\/(?:var\/)?tmp(?:\/|$)/;

/**
 * The fixed path an expression always evaluates to when it is under the shared temp directory, or null:
 * string constants, `os.tmpdir()`, and `path.join/resolve`, templates and `+` over only those.
 */
function fixedTmpPath(path: NodePath, context: JsRuleContext, depth = 0): string | null {
  if (depth > 6) return null;
  const value = constantString(path, context, depth);
  return value !== null && sharedRoots.test(value) && value.replace(sharedRoots, '').length > 0 ? value : null;
}

function constantString(path: NodePath, context: JsRuleContext, depth: number): string | null {
  if (depth > 6) return null;
  const d = definition(path);
  const n = d.node;
  if (n.type === 'StringLiteral') return n.value;
  if (n.type === 'TemplateLiteral') {
    let out = n.quasis[0]!.value.cooked ?? '';
    const exprs = d.get('expressions') as NodePath[];
    for (let i = 0; i < exprs.length; i++) {
      const part = constantString(exprs[i]!, context, depth + 1);
      if (part === null) return null;
      out += part + (n.quasis[i + 1]!.value.cooked ?? '');
    }
    return out;
  }
  if (n.type === 'BinaryExpression' && n.operator === '+') {
    const l = constantString(d.get('left') as NodePath, context, depth + 1);
    const r = l === null ? null : constantString(d.get('right') as NodePath, context, depth + 1);
    return l === null || r === null ? null : l + r;
  }
  if (n.type === 'CallExpression') {
    const name = context.resolve(d);
    if (name === 'os.tmpdir') return '/tmp';
    if (name === 'path.join' || name === 'path.resolve' || name === 'path.posix.join') {
      const parts = (d.get('arguments') as NodePath[]).map((a) => constantString(a, context, depth + 1));
      if (parts.some((x) => x === null)) return null;
      return parts.join('/').replace(/\/+/g, '/');
    }
  }
  return null;
}

export const rule: Rule<JsRuleContext> = {
  meta: {
    id: 'BWK-TMP-SHARED',
    engine: 'js',
    severity: 'medium',
    owasp: 'SAS-3',
    cwe: ['CWE-377', 'CWE-379'],
    description: 'A file with a fixed name is written in the shared /tmp (or os.tmpdir()), where warm invocations, concurrent ones and other processes see it.',
    fix: "Write under the invocation's own `context.tmpdir`, or a directory from `fs.mkdtemp(path.join(os.tmpdir(), 'app-'))`, or a random name (crypto.randomUUID()).",
    messages: {
      fixedTmp: '{{op}} writes the fixed shared path {{path}}',
    },
  },
  check(context) {
    if (!/tmp/i.test(context.source)) return;
    context.visit({
      CallExpression(p) {
        const path = p as CallPath;
        if (!writerMethods.has(calleeName(path) ?? '')) return;
        const name = context.resolve(path);
        const at = name === null ? undefined : writers.get(name);
        if (at === undefined) return;
        const arg = argPaths(path)[at];
        if (!arg) return;
        const fixed = fixedTmpPath(arg, context);
        if (fixed) context.report({ node: arg, messageId: 'fixedTmp', data: { op: name!, path: fixed } });
      },
    });
  },
};
