// The manifest's `injection` key: how the injection guard (src/guards/injection/) treats a function's
// input. Its shape is checked by JSON Schema (INJECTION_SCHEMA); the field paths by normaliseInjection,
// which reports each problem against the entry it concerns, so the author gets file:line:col.
//
//   injection:
//     mode: monitor                    # block (default) | monitor
//     exempt: [body.snippet, query.q]  # content not inspected (key checks still apply)
//     base64: [body.attachment]        # also inspected base64-decoded
//
// A field path is a source (body, query, params, headers) and the object keys below it, separated by
// dots; `*` stands for any one key, arrays are passed through (body.items.name is every item's name).
// Query names are split the way qs-style parsers split them: `filter[name]` is query.filter.name.

import type { FieldPath, HttpTrigger, InjectionPolicy } from './types.ts';

const FIELD_LIST = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

export const INJECTION_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mode: { type: 'string', enum: ['block', 'monitor'] },
    exempt: FIELD_LIST,
    base64: FIELD_LIST,
  },
} as const;

export interface AuthorInjection {
  mode?: 'block' | 'monitor';
  exempt?: string[];
  base64?: string[];
}

const SOURCES: readonly string[] = ['body', 'query', 'params', 'headers'] satisfies FieldPath['source'][];
const SEGMENT = /^(?:\*|[^.\s*]+)$/;
const HEADER = /^(?:\*|[A-Za-z0-9!#$%&'+^_`|~-]+)$/;
const PARAM = /\{([A-Za-z_][A-Za-z0-9_]*)\+?\}/g;

/** A field path as written → FieldPath, or a message saying how to write it. */
function parseFieldPath(entry: string, params: ReadonlySet<string>): FieldPath | string {
  const [source, ...path] = entry.split('.');
  if (!SOURCES.includes(source!)) return `'${entry}' must start with body, query, params or headers, like body.snippet or query.q`;
  if (path.some((s) => !SEGMENT.test(s))) {
    return `'${entry}' has an empty or invalid segment: separate object keys with single dots and write * alone, like body.items.*.text`;
  }
  if (source === 'query' && path.length === 0) return `'${entry}' must name a query parameter, like query.q`;
  if (source === 'headers') {
    if (path.length !== 1 || !HEADER.test(path[0]!)) return `'${entry}' must name one header, like headers.x-signature`;
    return { source, path: [path[0]!.toLowerCase()] };
  }
  if (source === 'params') {
    if (path.length !== 1) return `'${entry}' must name one path parameter, like params.id`;
    if (path[0] !== '*' && !params.has(path[0]!)) {
      const known = [...params].map((p) => `params.${p}`).join(', ');
      return `'${entry}': no http trigger path has a {${path[0]}} parameter${known ? ` (there are ${known})` : ''}`;
    }
  }
  return { source: source as FieldPath['source'], path };
}

/** Checks and normalises `injection`; `report(list, index, message)` records a problem at an entry. */
export function normaliseInjection(
  author: AuthorInjection,
  http: readonly HttpTrigger[],
  report: (at: Array<string | number>, message: string) => void,
): InjectionPolicy {
  const params = new Set(http.flatMap((t) => [...t.path.matchAll(PARAM)].map((m) => m[1]!)));
  const read = (list: 'exempt' | 'base64'): FieldPath[] => {
    const out: FieldPath[] = [];
    (author[list] ?? []).forEach((entry, i) => {
      const field = parseFieldPath(entry, params);
      if (typeof field === 'string') return report(['injection', list, i], field);
      if (list === 'base64' && (field.source === 'headers' || field.source === 'params')) {
        return report(['injection', list, i], `'${entry}': base64 fields are in the body or the query string`);
      }
      if (list === 'base64' && (author.exempt ?? []).includes(entry)) {
        return report(['injection', list, i], `'${entry}' is also exempt, so it is not inspected and base64 changes nothing: remove it from one of the lists`);
      }
      out.push(field);
    });
    return out;
  };
  return { mode: author.mode ?? 'block', exempt: read('exempt'), base64: read('base64') };
}
