// The JS/TS engine: parses each source once with @babel/parser (error recovery on, TypeScript and JSX
// by extension), lets every rule register visitors, and walks the file ONCE with all of them merged.
// Taint questions are answered by one project-wide analysis (taint.ts) that only looks at files that
// can carry request data, so a dependency tree full of plain libraries costs one parse and one walk.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, type ParserPlugin } from '@babel/parser';
import type { NodePath, Visitor } from '@babel/traverse';
import type * as t from '@babel/types';
import type { Engine, Finding, Location, Rule } from '../../types.ts';
import type { JsReport, JsRuleContext } from './context.ts';
import { resolvePath } from './names.ts';
import { createTaintProject } from './taint.ts';
import { traverse } from './traverse.ts';

const extensions = /\.(?:[cm]?[jt]s|[jt]sx)$/;

/** Files the scanner walks into: sources, not dependencies, declarations or minified bundles. */
function claims(file: string): boolean {
  const f = file.replaceAll('\\', '/');
  if (!extensions.test(f)) return false;
  if (/(?:^|\/)node_modules\//.test(f)) return false;
  if (/\.d\.[cm]?ts$/.test(f) || /\.min\.[cm]?js$/.test(f)) return false;
  return true;
}

/** Above this a file is a bundle or generated data, not hand-written handler code. */
const MAX_BYTES = 2 * 1024 * 1024;

/** Minified code: long with very few lines. Its findings would be unreadable and it is never a handler. */
function looksMinified(source: string): boolean {
  if (source.length < 20_000) return false;
  let lines = 1;
  for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) lines++;
  return source.length / lines > 500;
}

function pluginsFor(file: string): ParserPlugin[] {
  if (/\.[cm]?ts$/.test(file)) return ['typescript'];
  if (file.endsWith('.tsx')) return ['typescript', 'jsx'];
  return ['jsx'];
}

/** Parses a source; when even error recovery cannot make a tree of it, tells `onFail` why and returns null. */
export function parseSource(file: string, source: string, onFail?: (reason: string) => void): t.File | null {
  try {
    return parse(source, {
      sourceType: 'unambiguous',
      sourceFilename: file,
      errorRecovery: true,
      allowReturnOutsideFunction: true,
      allowAwaitOutsideFunction: true,
      allowImportExportEverywhere: true,
      allowUndeclaredExports: true,
      plugins: pluginsFor(file),
    });
  } catch (err) {
    // Babel's messages carry a (line:column) and no host path.
    onFail?.(`cannot be parsed: ${String((err as Error).message ?? err).split('\n')[0]}`);
    return null;
  }
}

export function locationOf(file: string, node: t.Node | NodePath): Location {
  const n = 'node' in node && 'scope' in node ? node.node : (node as t.Node);
  const loc = n.loc;
  if (!loc) return { file, line: 1, column: 1 };
  return { file, line: loc.start.line, column: loc.start.column + 1, endLine: loc.end.line, endColumn: loc.end.column + 1 };
}

function render(template: string, data: Record<string, string | number> | undefined): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => (data && name in data ? String(data[name]) : whole));
}

function emptyProgram(): t.File {
  return parse('', { sourceType: 'module' });
}

type OnError = ((file: string, reason: string) => void) | undefined;

/**
 * Runs a rule's code so that one rule failing on one odd file costs only that rule's findings there:
 * with `onError` (a real scan) the failure is reported and the scan goes on; without it (the rule
 * tester) it is thrown, so a rule bug fails its test.
 */
function isolated(onError: OnError, file: string, ruleId: string, fn: () => void): void {
  if (!onError) {
    fn();
    return;
  }
  try {
    fn();
  } catch (err) {
    onError(file, `rule ${ruleId} failed on this file: ${String((err as Error).message ?? err).split('\n')[0]}`);
  }
}

/** Wraps every handler of a rule's visitor with isolated(), so the merged traversal survives a rule's throw. */
function isolateVisitor(visitor: Visitor, wrap: (fn: () => void) => void): Visitor {
  const exploded = traverse.visitors.explode(visitor) as Record<string, { enter?: Function[]; exit?: Function[] }>;
  for (const handlers of Object.values(exploded)) {
    for (const phase of ['enter', 'exit'] as const) {
      const fns = handlers[phase];
      if (!fns) continue;
      handlers[phase] = fns.map((fn) => function (this: unknown, ...args: unknown[]) {
        wrap(() => fn.apply(this, args));
      });
    }
  }
  return exploded as Visitor;
}

async function run(input: { root: string; files: string[]; rules: Rule[]; onError?: (file: string, reason: string) => void }): Promise<Finding[]> {
  const rules = input.rules as Rule<JsRuleContext>[];
  const onError = input.onError;
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const sources = new Map<string, string>();
  for (const raw of input.files) {
    const file = raw.replaceAll('\\', '/');
    let text: string;
    try {
      text = await readFile(join(input.root, raw), 'utf8');
    } catch (err) {
      onError?.(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      continue;
    }
    // Bundles and minified files are skipped on purpose: they are not hand-written handler code. The
    // skip is said out loud: one long line added to a handler must not hide its sinks silently.
    if (text.length > MAX_BYTES || looksMinified(text)) {
      onError?.(file, `not scanned: ${text.length > MAX_BYTES ? `larger than ${MAX_BYTES} bytes` : 'looks minified (very long lines)'}; list it in .bulwarkignore if it is generated code`);
      continue;
    }
    sources.set(file, text);
  }
  const taintProject = createTaintProject({
    sources,
    parse: (file, text) => parseSource(file, text, (reason) => onError?.(file, reason)),
  });

  for (const [file, source] of sources) {
    let ast: t.File | null = null;
    const astOf = (): t.File => (ast ??= taintProject.astOf(file) ?? emptyProgram());
    const visitors: Visitor[] = [];
    const taint = taintProject.queryFor(file);
    for (const rule of rules) {
      const guard = (fn: () => void) => isolated(onError, file, rule.meta.id, fn);
      const context: JsRuleContext = {
        file,
        source,
        get ast() {
          return astOf();
        },
        visit: (v) => {
          astOf();
          visitors.push(onError ? isolateVisitor(v, guard) : v);
        },
        resolve: resolvePath,
        taint,
        loc: (node) => locationOf(file, node),
        report: (r: JsReport) => {
          const where = 'node' in r ? locationOf(r.file ?? file, r.node) : { line: r.line, column: r.column, endLine: r.endLine, endColumn: r.endColumn };
          const { messageId, data, trace } = r;
          const finding: Finding = {
            file: r.file ?? file,
            ...where,
            messageId,
            ...(data ? { data } : {}),
            ...(trace ? { trace } : {}),
            ruleId: rule.meta.id,
            severity: r.severity ?? rule.meta.severity,
            message: render(rule.meta.messages[messageId] ?? messageId, data),
          };
          const key = `${finding.ruleId}|${finding.file}|${finding.line}|${finding.column}|${messageId}`;
          if (seen.has(key)) return;
          seen.add(key);
          findings.push(finding);
        },
      };
      guard(() => rule.check(context));
    }
    if (ast && visitors.length > 0) traverse(ast, traverse.visitors.merge(visitors));
    taintProject.release(file);
    // Babel caches a path and a scope per node in process-wide WeakMaps; over thousands of files their
    // entries make garbage collection the scan's main cost. Nothing reads them across files (the taint
    // state keeps its own scopes), so each file starts with empty caches.
    traverse.cache.clear();
  }
  return findings;
}

export const engine: Engine = {
  id: 'js',
  claims,
  run,
};
