// Where a value sits in a YAML source: every YAML file Bulwark validates (manifests, waivers, alert
// rules) reports problems at file:line:col, found by walking the parsed document along the path of
// the problem (a JSON Schema instance path, split).

import { isAlias, isMap, isScalar, isSeq, type Document, type Node, type Pair } from 'yaml';

export type YamlPath = Array<string | number>;

/**
 * Source offset of the node at `path` (of its key, with part 'key'), falling back to the deepest
 * existing ancestor. Aliases are followed.
 */
export function locate(doc: Document, path: YamlPath, part: 'key' | 'value' = 'value'): number {
  let node: unknown = doc.contents;
  let offset = (node as Node | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    if (isAlias(node)) node = node.resolve(doc);
    const seg = path[i]!;
    let pair: Pair | undefined;
    if (isMap(node)) {
      pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
      if (!pair) return offset;
      const last = i === path.length - 1;
      if (last && part === 'key' && isScalar(pair.key) && pair.key.range) return pair.key.range[0];
      node = pair.value;
      // `key:` with no value has a null value node without a useful range: point at the key.
      const keyStart = isScalar(pair.key) && pair.key.range ? pair.key.range[0] : offset;
      offset = (node as Node | null)?.range?.[0] ?? keyStart;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      node = node.items[seg];
      offset = (node as Node | null)?.range?.[0] ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

/** The path of a JSON Schema instance path (`/rules/0/window` → ['rules', 0, 'window']). */
export function pathOf(instancePath: string): YamlPath {
  return instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
