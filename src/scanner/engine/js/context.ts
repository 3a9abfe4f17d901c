// What a JS/TS rule's `check(context)` receives, once per source file. Rules never traverse the AST
// themselves: they register visitors with `visit()` and the engine merges every rule's visitors into ONE
// traversal of the file after all checks returned (ESLint's create() → visitors, without the re-walks).
// Taint questions go to `taint`, which the engine answers from one scope-aware analysis per file, run
// only for files that can carry request data (see taint.ts).

import type { NodePath, Visitor } from '@babel/traverse';
import type * as t from '@babel/types';
import type { Location, Report } from '../../types.ts';

/** Which sink class a taint question is asked for; sanitizers and guards clean some kinds, not all. */
export type SinkKind =
  | 'cmd'
  | 'code'
  | 'sql'
  | 'nosql'
  | 'path'
  | 'ssrf'
  | 'deser'
  | 'xxe'
  | 'xss'
  | 'regex'
  | 'proto'
  | 'template';

/** A tainted value: how request data got there, source first, the queried expression last. */
export interface TaintHit {
  trace: Location[];
  /** Human-readable name of the source, e.g. `event`, `req`, `request`. */
  source: string;
}

export interface TaintQuery {
  /**
   * False when no handler input can reach this file at all (it is neither handler-shaped nor a local
   * module imported by one): taint rules return early on it, before touching `ast`, so the file is
   * never parsed for them.
   */
  readonly possible: boolean;
  /**
   * Whether the value of an expression can carry handler input (event, request, req) that is not
   * sanitised for `kind` at this point; null when it cannot (or the file carries no input at all).
   */
  of(path: NodePath, kind: SinkKind): TaintHit | null;
  /** Whether the expression is a compile-time constant (literals, constant templates, consts of those). */
  isConstant(path: NodePath): boolean;
}

/** A report from a JS rule: at a node (or path), or at an explicit location; the file defaults to the context's. */
export type JsReport =
  | (Omit<Report, 'file' | 'line' | 'column'> & { node: t.Node | NodePath; file?: string })
  | (Omit<Report, 'file'> & { file?: string });

export interface JsRuleContext {
  /** Path relative to the scanned root, with forward slashes. */
  readonly file: string;
  readonly source: string;
  /**
   * The parsed file. Parsed lazily on first access (or first `visit()`), once for all rules: a rule that
   * can tell from `source` (a cheap text test) that it has nothing to find should return before
   * touching it, so files no rule cares about are never parsed. A file the parser cannot recover is
   * an empty program.
   */
  readonly ast: t.File;
  /** Registers visitors (babel-traverse shape) run in the file's single merged traversal. */
  visit(visitor: Visitor): void;
  /**
   * The canonical dotted name an expression refers to through imports and requires, e.g.
   * `cp.exec` after `const cp = require('node:child_process')` → `child_process.exec`;
   * `readFile` after `import { readFile } from 'fs/promises'` → `fs.readFile` (`node:` prefixes dropped,
   * `fs/promises` and `fs.promises` folded into `fs`);
   * a global such as `eval` → `eval`; `util.promisify(exec)` → `child_process.exec`. Null when unknown.
   * For a call or `new` expression, the callee's name.
   */
  resolve(path: NodePath): string | null;
  readonly taint: TaintQuery;
  report(r: JsReport): void;
  /** Location of a node in this file (1-based line and column). */
  loc(node: t.Node | NodePath): Location;
}
