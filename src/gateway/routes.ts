// Function route resolution: /fn/<name><trigger path>. Functions are deployed while the gateway runs,
// so routes are not registered with fastify; each active version's triggers are compiled once into a
// small matcher (cached by name@version:sha256) and the version is looked up in the store per request,
// so a deploy, rollback or removal takes effect on the next request.
//
// Matching follows API Gateway: literal segments beat {param}, which beats {greedy+}; a specific method
// beats ANY; {greedy+} needs at least one segment. Paths match exactly: letter case counts and a
// trailing slash is a segment of its own.
//
// Route confusion: the router inside the function usually does not match exactly (Express by default
// ignores case and a trailing slash). With triggers `/admin` (api-key) and `/{proxy+}` (public),
// `/ADMIN` or `/admin/` would be admitted as public while the function serves them as /admin. So a
// request that matches a trigger only loosely (ignoring case and one trailing slash), where that trigger
// is more specific than the one it matches exactly (or there is none), is refused with 400: the gateway
// and the function must agree on which route a request is. (`//` and `;` are refused before this, in
// request-target.ts.)

import { BulwarkError } from '../errors.ts';
import type { FunctionRegistry, FunctionVersion } from '../store/store.ts';
import type { HttpTrigger, Trigger } from '../manifest/types.ts';

/** An HTTP trigger tagged with its kind, as the guard chain receives it (GuardRequest.trigger). */
export type RoutedTrigger = Extract<Trigger, { kind: 'http' }>;

export interface RouteMatch {
  fn: FunctionVersion;
  trigger: RoutedTrigger;
  /** Decoded path parameters by name ({proxy+} included under its name). */
  params: Record<string, string>;
}

type Segment = { kind: 0; text: string; lower: string } | { kind: 1; name: string } | { kind: 2; name: string };

interface CompiledRoute {
  trigger: RoutedTrigger;
  segments: Segment[];
}

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}$/;
/** Same rule as the manifest schema: names are lower-case, so a percent-encoded name never matches. */
const FUNCTION_NAME = /^[a-z][a-z0-9-]{0,62}$/;

function split(path: string): string[] {
  return path === '/' ? [] : path.slice(1).split('/');
}

function compile(trigger: HttpTrigger): CompiledRoute {
  const segments = split(trigger.path).map((seg): Segment => {
    const m = PARAM.exec(seg);
    if (!m) return { kind: 0, text: seg, lower: seg.toLowerCase() };
    return m[2] ? { kind: 2, name: m[1]! } : { kind: 1, name: m[1]! };
  });
  // Tagged once per version here, not per request.
  return { trigger: { kind: 'http', ...trigger }, segments };
}

/** Most specific first, so the first match is the right one. */
function bySpecificity(a: CompiledRoute, b: CompiledRoute): number {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const ka = a.segments[i]?.kind ?? -1;
    const kb = b.segments[i]?.kind ?? -1;
    if (ka !== kb) return ka - kb;
  }
  return Number(a.trigger.method === 'ANY') - Number(b.trigger.method === 'ANY');
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

function matchRoute(route: CompiledRoute, method: string, parts: string[]): Record<string, string> | undefined {
  if (route.trigger.method !== 'ANY' && route.trigger.method !== method) return undefined;
  const params: Record<string, string> = {};
  const segs = route.segments;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    if (seg.kind === 2) {
      const rest = parts.slice(i);
      if (rest.length === 0 || rest.every((p) => p === '')) return undefined;
      const value = decode(rest.join('/'));
      if (value === undefined) return undefined;
      params[seg.name] = value;
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    const value = decode(part);
    if (value === undefined) return undefined;
    if (seg.kind === 0 ? value !== seg.text : value === '') return undefined;
    if (seg.kind === 1) params[seg.name] = value;
  }
  return parts.length === segs.length ? params : undefined;
}

/** The way a lenient function router reads the path: literal text in any case, one trailing slash dropped. */
function matchesLoosely(route: CompiledRoute, method: string, parts: string[]): boolean {
  if (route.trigger.method !== 'ANY' && route.trigger.method !== method) return false;
  const trimmed = parts.length > 0 && parts[parts.length - 1] === '' ? parts.slice(0, -1) : parts;
  const segs = route.segments;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    if (seg.kind === 2) return trimmed.length > i;
    const value = trimmed[i] === undefined ? undefined : decode(trimmed[i]!);
    if (value === undefined || value === '') return false;
    if (seg.kind === 0 && value.toLowerCase() !== seg.lower) return false;
  }
  return trimmed.length === segs.length;
}

export interface RouteTable {
  /**
   * `subPath` is the raw (still percent-encoded) path after /fn/<name>, "/" at least. Throws
   * BWK_E_GATEWAY_BAD_REQUEST for a path that only loosely matches another trigger (route confusion).
   */
  resolve(name: string, method: string, subPath: string): Promise<RouteMatch | undefined>;
}

export function createRouteTable(registry: FunctionRegistry, opts: { cacheSize?: number } = {}): RouteTable {
  const cacheSize = opts.cacheSize ?? 1024;
  const compiled = new Map<string, CompiledRoute[]>();

  function routesOf(fn: FunctionVersion): CompiledRoute[] {
    const key = `${fn.name}@${fn.version}:${fn.sha256}`;
    let routes = compiled.get(key);
    if (!routes) {
      routes = fn.manifest.triggers.http.map(compile).sort(bySpecificity);
      if (compiled.size >= cacheSize) compiled.delete(compiled.keys().next().value!);
      compiled.set(key, routes);
    }
    return routes;
  }

  return {
    async resolve(name, method, subPath) {
      if (!FUNCTION_NAME.test(name)) return undefined;
      const fn = await registry.getActive(name);
      if (!fn) return undefined;
      const parts = split(subPath);
      // Most specific first: a trigger met loosely before the exact match is one a lenient router
      // inside the function would prefer to the trigger the gateway authorised.
      for (const route of routesOf(fn)) {
        const params = matchRoute(route, method, parts);
        if (params) return { fn, trigger: route.trigger, params };
        if (matchesLoosely(route, method, parts)) {
          // The trigger is not named: it may be a protected route the caller has no business learning.
          throw new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', ['the path differs from a route of this function only in letter case or a trailing slash'], { function: name, trigger: route.trigger.path });
        }
      }
      return undefined;
    },
  };
}
