// A YAML (or JSON) document as a small tree in which every node keeps the 1-based line and column it
// was written at, shared by the manifest and IaC engines. Rules read values and report positions from
// the same node, so a finding always points at the key or value at fault. CloudFormation short-form
// tags (`!Ref X`, `!GetAtt A.Arn`) and their long forms (`{ "Ref": "X" }`, `{ "Fn::GetAtt": … }`)
// both become `fn` nodes, so rules never care which spelling a template used.

import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node as YamlNode } from 'yaml';

export interface Pos {
  line: number;
  column: number;
}

export interface PMap extends Pos {
  type: 'map';
  entries: PEntry[];
}
export interface PEntry {
  key: string;
  keyPos: Pos;
  value: PNode;
}
export interface PSeq extends Pos {
  type: 'seq';
  items: PNode[];
}
export interface PScalar extends Pos {
  type: 'scalar';
  value: string | number | boolean | null;
}
/** An intrinsic function: `Ref`, `Fn::Sub`, `Fn::GetAtt`, … (short tags are normalised to these names). */
export interface PFn extends Pos {
  type: 'fn';
  name: string;
  arg: PNode;
}
export type PNode = PMap | PSeq | PScalar | PFn;

export interface ParsedTree {
  root: PNode | undefined;
  /** The first syntax error, when the text is not YAML/JSON; `root` is then undefined. */
  error?: { line: number; column: number; message: string };
}

const SHORT_TAGS: Record<string, string> = {
  '!Ref': 'Ref', '!Condition': 'Condition',
  '!Sub': 'Fn::Sub', '!GetAtt': 'Fn::GetAtt', '!Join': 'Fn::Join', '!If': 'Fn::If', '!Select': 'Fn::Select',
  '!Split': 'Fn::Split', '!FindInMap': 'Fn::FindInMap', '!ImportValue': 'Fn::ImportValue', '!Base64': 'Fn::Base64',
  '!GetAZs': 'Fn::GetAZs', '!Equals': 'Fn::Equals', '!Not': 'Fn::Not', '!And': 'Fn::And', '!Or': 'Fn::Or',
  '!Cidr': 'Fn::Cidr', '!Transform': 'Fn::Transform', '!ToJsonString': 'Fn::ToJsonString', '!Length': 'Fn::Length',
};

/** Parses YAML or JSON (JSON is read by the YAML parser, which keeps positions). Never throws on bad input. */
export function parseTree(text: string, opts: { intrinsics: boolean }): ParsedTree {
  const lineCounter = new LineCounter();
  // uniqueKeys off: a template with a repeated key is still scanned (the last one wins, as in CloudFormation).
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false, strict: false });
  const posOf = (offset: number): Pos => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const first = doc.errors[0];
  if (first) return { root: undefined, error: { ...posOf(first.pos[0]), message: first.message.split('\n')[0]! } };
  const convert = makeConverter(doc, posOf, opts.intrinsics);
  return { root: doc.contents ? convert(doc.contents as YamlNode, 0) : undefined };
}

/** Nodes that alias expansion may copy in one document, all aliases together. */
export const MAX_ALIAS_COPIED_NODES = 100_000;

function makeConverter(doc: Document, posOf: (offset: number) => Pos, intrinsics: boolean) {
  // Aliases are followed a bounded number of times, and the nodes they copy are counted: a "billion
  // laughs" template (a large anchored list aliased a thousand times, or aliases of aliases) must not
  // hang the scan or exhaust memory. Past either budget an alias reads as null.
  let aliasBudget = 1000;
  let copiedBudget = MAX_ALIAS_COPIED_NODES;
  let aliasDepth = 0;
  const convert = (node: YamlNode | null | undefined, depth: number, fallback?: Pos): PNode => {
    const pos = node?.range ? posOf(node.range[0]) : (fallback ?? { line: 1, column: 1 });
    if (!node || depth > 200) return { type: 'scalar', value: null, ...pos };
    if (aliasDepth > 0 && copiedBudget-- <= 0) return { type: 'scalar', value: null, ...pos };
    if (isAlias(node)) {
      const target = aliasBudget-- > 0 && copiedBudget > 0 ? node.resolve(doc) : undefined;
      if (!target) return { type: 'scalar', value: null, ...pos };
      aliasDepth++;
      try {
        return { ...convert(target as YamlNode, depth + 1, pos), line: pos.line, column: pos.column };
      } finally {
        aliasDepth--;
      }
    }
    let out: PNode;
    if (isMap(node)) {
      const entries: PEntry[] = [];
      for (const pair of node.items) {
        const keyNode = pair.key as YamlNode | null;
        const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode ?? '');
        const keyPos = keyNode?.range ? posOf(keyNode.range[0]) : pos;
        if (key === '<<' && isAlias(pair.value)) {
          // A YAML merge key: its entries become this map's, unless the map says otherwise.
          const merged = convert(pair.value as YamlNode, depth + 1, keyPos);
          if (merged.type === 'map') for (const e of merged.entries) if (!node.has(e.key)) entries.push(e);
          continue;
        }
        entries.push({ key, keyPos, value: convert(pair.value as YamlNode, depth + 1, keyPos) });
      }
      out = { type: 'map', entries, ...pos };
      if (intrinsics && entries.length === 1 && isIntrinsicKey(entries[0]!.key)) {
        out = { type: 'fn', name: entries[0]!.key, arg: entries[0]!.value, ...pos };
      }
    } else if (isSeq(node)) {
      out = { type: 'seq', items: node.items.map((i) => convert(i as YamlNode, depth + 1, pos)), ...pos };
    } else if (isScalar(node)) {
      const v = node.value;
      out = { type: 'scalar', value: typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : v === null || v === undefined ? null : String(v), ...pos };
    } else {
      out = { type: 'scalar', value: null, ...pos };
    }
    const tag = (node as { tag?: string }).tag;
    if (intrinsics && tag && SHORT_TAGS[tag]) {
      // `!GetAtt A.Arn` is the scalar form of `Fn::GetAtt: [A, Arn]`.
      return { type: 'fn', name: SHORT_TAGS[tag]!, arg: out, ...pos };
    }
    return out;
  };
  return convert;
}

function isIntrinsicKey(key: string): boolean {
  return key === 'Ref' || key === 'Condition' || key.startsWith('Fn::');
}

// ---- reading helpers ---------------------------------------------------------------------------------

export function get(node: PNode | undefined, key: string): PNode | undefined {
  if (node?.type !== 'map') return undefined;
  let found: PEntry | undefined;
  for (const e of node.entries) if (e.key === key) found = e;
  return found?.value;
}

export function entry(node: PNode | undefined, key: string): PEntry | undefined {
  if (node?.type !== 'map') return undefined;
  let found: PEntry | undefined;
  for (const e of node.entries) if (e.key === key) found = e;
  return found;
}

/** get() along a path of keys. */
export function at(node: PNode | undefined, ...keys: string[]): PNode | undefined {
  let cur = node;
  for (const k of keys) cur = get(cur, k);
  return cur;
}

/** The node's text when it is a string scalar. */
export function str(node: PNode | undefined): string | undefined {
  return node?.type === 'scalar' && typeof node.value === 'string' ? node.value : undefined;
}

/** The scalar value as text (numbers and booleans included). */
export function text(node: PNode | undefined): string | undefined {
  return node?.type === 'scalar' && node.value !== null ? String(node.value) : undefined;
}

/** A list's items, or the node itself when a single value stands where a list may be. */
export function items(node: PNode | undefined): PNode[] {
  if (!node) return [];
  if (node.type === 'seq') return node.items;
  if (node.type === 'scalar' && node.value === null) return [];
  return [node];
}

export function entries(node: PNode | undefined): PEntry[] {
  return node?.type === 'map' ? node.entries : [];
}

/** True for a literal `true` (or the text "true", which templates often quote). */
export function isTrue(node: PNode | undefined): boolean {
  return node?.type === 'scalar' && (node.value === true || node.value === 'true' || node.value === 'True');
}

/** A plain JavaScript value of the subtree, intrinsics as `{ Ref: … }` / `{ 'Fn::Sub': … }`. */
export function toPlain(node: PNode | undefined): unknown {
  if (!node) return undefined;
  switch (node.type) {
    case 'scalar': return node.value;
    case 'seq': return node.items.map(toPlain);
    case 'fn': return { [node.name]: toPlain(node.arg) };
    case 'map': return Object.fromEntries(node.entries.map((e) => [e.key, toPlain(e.value)]));
  }
}
