// serverless.yml variables, resolved the way the Serverless Framework would for the values a scan can
// know: `${self:path.to.key}` from the file itself, `${opt:name}` from ScanOptions.options (with the
// framework's defaults, stage `dev` and region `us-east-1`), `${sls:stage}`, and `, fallback` values.
// Everything else (`${env:…}`, `${ssm:…}`, `${file(…)}`, `${cf:…}`) is left as written: the scanner must
// not read the scanning machine's environment, and a rule reads such text as "a reference, not a literal".
// An unresolvable or cyclic variable never throws; its text stays.

import { get, type PNode } from '../yaml-tree.ts';

const MAX_DEPTH = 10;
/**
 * Characters all substitutions of one file may produce together. Variables that each name a few others
 * grow exponentially with MAX_DEPTH (six references, ten levels: 60 million copies); past this budget
 * the rest are left as written, like unresolvable ones.
 */
export const MAX_RESOLVED_CHARS = 1024 * 1024;
const INNERMOST = /\$\{([^${}]*)\}/;

const OPT_DEFAULTS: Record<string, string> = { stage: 'dev', region: 'us-east-1' };

export function resolveServerless(root: PNode, options: Record<string, string>): PNode {
  let budget = MAX_RESOLVED_CHARS;
  const lookup = (path: string): PNode | undefined => {
    let cur: PNode | undefined = root;
    for (const k of path.split('.').filter(Boolean)) {
      if (cur?.type === 'seq' && /^[0-9]+$/.test(k)) cur = cur.items[Number(k)];
      else cur = get(cur, k);
    }
    return cur;
  };

  const unquote = (s: string): string => s.trim().replace(/^(['"])(.*)\1$/, '$2');

  /** One variable body (`opt:stage, 'dev'`): a text, a subtree, or undefined to keep it as written. */
  const resolveVar = (body: string, depth: number): string | PNode | undefined => {
    if (budget <= 0) return undefined;
    const comma = body.indexOf(',');
    const expr = (comma === -1 ? body : body.slice(0, comma)).trim();
    const fallbackText = comma === -1 ? undefined : body.slice(comma + 1).trim();
    const fallback = () => {
      if (fallbackText === undefined || fallbackText === '') return undefined;
      // Old-style fallbacks name another variable without `${}`: `${opt:stage, self:provider.stage}`.
      if (/^(self|opt|sls):/.test(fallbackText)) return resolveVar(fallbackText, depth + 1);
      if (/^[a-z]+:/.test(fallbackText)) return undefined;
      return unquote(fallbackText);
    };
    const colon = expr.indexOf(':');
    const source = colon === -1 ? expr : expr.slice(0, colon);
    const address = colon === -1 ? '' : expr.slice(colon + 1);
    if (source === 'self') {
      const found = address === '' ? root : lookup(address);
      if (found === undefined || (found.type === 'scalar' && found.value === null)) return fallback();
      if (found.type === 'scalar') {
        const v = String(found.value);
        return v.includes('${') && depth < MAX_DEPTH ? asText(resolveString(v, depth + 1)) : v;
      }
      return depth < MAX_DEPTH ? resolveNode(found, depth + 1) : undefined;
    }
    if (source === 'opt') return options[address] ?? fallback() ?? OPT_DEFAULTS[address];
    if (source === 'sls' && address === 'stage') return options.stage ?? OPT_DEFAULTS.stage;
    return undefined;
  };

  const asText = (v: string | PNode): string | undefined => (typeof v === 'string' ? v : v.type === 'scalar' ? String(v.value) : undefined);

  /** A string's variables resolved; a string that is exactly one variable may become a subtree. */
  const resolveString = (s: string, depth: number): string | PNode => {
    const kept: string[] = [];
    let out = s;
    for (let i = 0; i < 64; i++) {
      const m = INNERMOST.exec(out);
      if (!m) break;
      const value = depth < MAX_DEPTH ? resolveVar(m[1]!, depth) : undefined;
      if (value !== undefined && typeof value !== 'string' && m[0] === out && kept.length === 0) return value;
      let replacement = value === undefined ? undefined : asText(value);
      if (replacement !== undefined && (budget -= replacement.length) < 0) replacement = undefined;
      // A value that still holds a variable was resolved as far as it goes (cycles end at MAX_DEPTH):
      // parked like an unresolvable one, never scanned again, so the work stays linear.
      if (replacement === undefined || replacement.includes('${')) {
        kept.push(replacement ?? m[0]);
        out = out.slice(0, m.index) + `\u0000${kept.length - 1}\u0000` + out.slice(m.index + m[0].length);
      } else {
        out = out.slice(0, m.index) + replacement + out.slice(m.index + m[0].length);
      }
    }
    return out.replace(/\u0000([0-9]+)\u0000/g, (_, n: string) => kept[Number(n)]!);
  };

  const resolveNode = (node: PNode, depth: number): PNode => {
    switch (node.type) {
      case 'scalar': {
        if (typeof node.value !== 'string' || !node.value.includes('${')) return node;
        const v = resolveString(node.value, depth);
        // A substituted subtree keeps the position of the text that referenced it: that is where the
        // author wrote the value in this place.
        return typeof v === 'string' ? { ...node, value: v } : { ...v, line: node.line, column: node.column };
      }
      case 'seq': return { ...node, items: node.items.map((i) => resolveNode(i, depth)) };
      case 'map': return { ...node, entries: node.entries.map((e) => ({ ...e, value: resolveNode(e.value, depth) })) };
      case 'fn': return { ...node, arg: resolveNode(node.arg, depth) };
    }
  };

  return resolveNode(root, 0);
}

/** True when a value is (or contains) a variable or intrinsic reference rather than a literal. */
export function isReferenceText(s: string): boolean {
  return s.includes('${') || s.includes('{{resolve:');
}
