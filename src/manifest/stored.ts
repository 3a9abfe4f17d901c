// Each version keeps its normalised manifest as it was deployed, and versions are immutable, so a version
// deployed by an older Bulwark keeps the shape of its day. This is the one place that reads a stored
// manifest into today's shape; nothing else needs to know older shapes existed. Older shapes:
//  - triggers had no queue or schedule lists (http only);
//  - input was the body's JSON Schema itself, not a mapping of request parts to schemas. Ajv in strict
//    mode refused unknown keywords when it was deployed, so such a schema never has a top-level key
//    named like a part (body, query, params, headers) unless it is already in today's shape.

import type { InputPart, InputSchemas, Manifest } from './types.ts';

const PARTS: readonly string[] = ['body', 'query', 'params', 'headers'] satisfies InputPart[];

function isPartMapping(input: Record<string, unknown>): boolean {
  const keys = Object.keys(input);
  return keys.length > 0 && keys.every((k) => PARTS.includes(k));
}

export function readStoredManifest(json: string): Manifest {
  const m = JSON.parse(json) as Manifest;
  const triggers = m.triggers as Partial<Manifest['triggers']>;
  const input = m.input as Record<string, unknown> | undefined;
  return {
    ...m,
    triggers: { http: triggers.http ?? [], queue: triggers.queue ?? [], schedule: triggers.schedule ?? [] },
    ...(input === undefined ? {} : { input: isPartMapping(input) ? (input as InputSchemas) : { body: input } }),
  };
}
