// The detectors, one module per attack class.

import { command } from './command.ts';
import { js } from './js.ts';
import { nosql } from './nosql.ts';
import { prototype } from './prototype.ts';
import { serialized } from './serialized.ts';
import { sql } from './sql.ts';
import { ssrf } from './ssrf.ts';
import { template } from './template.ts';
import { traversal } from './traversal.ts';
import { xxe } from './xxe.ts';
import type { Detector, InjectionClass } from './types.ts';

export { features } from './types.ts';
export type { Detector, InjectionClass, Inspected, ValueContext } from './types.ts';

/**
 * Most specific first: a request that is several attacks at once (an XXE document reading file:///,
 * a node-serialize payload calling require) is reported as the one it most precisely is. A benign
 * string runs every detector's gates whatever the order.
 */
export const detectors: readonly Detector[] = [xxe, serialized, prototype, nosql, template, ssrf, command, traversal, js, sql];

export const injectionClasses: readonly InjectionClass[] = detectors.map((d) => d.id);

/** Detectors of a value's content: skipped in exempt fields. */
export const valueDetectors: readonly Detector[] = detectors.filter((d) => d.value !== undefined);

/** Detectors of a key's shape: they run everywhere, exempt fields included. */
export const keyDetectors: readonly Detector[] = detectors.filter((d) => d.key !== undefined);
