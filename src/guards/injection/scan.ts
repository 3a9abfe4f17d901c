// One request's inspection: every string the walk (fields.ts) finds is decoded (decode.ts) and each
// form run past the detectors, within a budget of strings and characters. What it finds is a Finding:
// the class, the field as a caller may see it, and the SHA-256 of the string as evidence — the string
// itself is never kept, logged or published. Going past a bound is a finding too ('uninspectable'),
// never a silent stop.

import { sha256Hex } from '../../store/store.ts';
import { variants, MAX_ROUNDS } from './decode.ts';
import { features, keyDetectors, valueDetectors, type InjectionClass, type Inspected } from './detectors/index.ts';
import type { FieldAt, FieldSink, ValueFacts } from './fields.ts';

export interface InspectionLimits {
  /** Levels of JSON nesting walked. */
  maxDepth: number;
  /** Keys and values inspected per request. */
  maxStrings: number;
  /** Characters inspected per request, every decoded form counted. */
  maxChars: number;
}

export type Finding =
  | { class: InjectionClass; field: string; evidence: string }
  | { class: 'uninspectable'; field: string; reason: string };

const SAFE_SEGMENT = /^[A-Za-z0-9_$@-]+$/;
const MAX_SEGMENT = 64;
/** A key that is a plain name: only the key checks can concern it (`__proto__` is one of them). */
const NAME = /^[A-Za-z0-9_-]*$/;
const MAX_SEGMENTS = 12;

/** Patterns this module runs on caller input (for the linear-time test). */
export const scanPatterns: readonly RegExp[] = [SAFE_SEGMENT, NAME];

/**
 * The field as the caller-facing message and the event name it: `body.items[2].name`. A key that is not
 * a plain identifier shows as `?`, since a key can itself be the payload (`{"<script>…": 1}`).
 */
export function fieldName(at: FieldAt): string {
  let out: string = at.source;
  const path = at.path.length > MAX_SEGMENTS ? [...at.path.slice(0, MAX_SEGMENTS), '…'] : at.path;
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += `.${seg === '…' || (seg.length <= MAX_SEGMENT && SAFE_SEGMENT.test(seg)) ? seg : '?'}`;
  }
  return out;
}

export interface Scan extends FieldSink {
  readonly findings: Finding[];
}

/**
 * `maxFindings`: stop after this many (1 in block mode: the first finding decides). A field is reported
 * once per class.
 */
export function createScan(limits: InspectionLimits, maxFindings: number): Scan {
  const findings: Finding[] = [];
  const reported = new Set<string>();
  let strings = 0;
  let chars = 0;

  const full = (): boolean => findings.length >= maxFindings;

  function found(cls: InjectionClass, at: FieldAt, raw: string): boolean {
    const field = fieldName(at);
    if (!reported.has(`${cls} ${field}`)) {
      reported.add(`${cls} ${field}`);
      findings.push({ class: cls, field, evidence: sha256Hex(Buffer.from(raw)) });
    }
    return full();
  }

  function uninspectable(at: FieldAt, reason: string): true {
    findings.push({ class: 'uninspectable', field: fieldName(at), reason });
    return true;
  }

  /** The decoded forms of `text`, each charged to the budget; a string over a bound gives a reason instead. */
  function forms(text: string, base64: boolean): string[] | string {
    if (++strings > limits.maxStrings) return `more than ${limits.maxStrings} strings`;
    const all = variants(text, base64);
    if (!all) return `a value encoded more than ${MAX_ROUNDS} times`;
    for (const f of all) chars += f.length;
    if (chars > limits.maxChars) return `more than ${limits.maxChars} characters to inspect`;
    return all;
  }

  /** The first value detector that flags one of the forms. */
  function detect(all: string[], facts: Pick<ValueFacts, 'key' | 'xmlBody' | 'rawBody' | 'skip'>): InjectionClass | undefined {
    for (const text of all) {
      const s: Inspected = { text, lower: text.toLowerCase(), features: features(text) };
      for (const d of valueDetectors) if (d.id !== facts.skip && d.value!(s, facts)) return d.id;
    }
    return undefined;
  }

  return {
    findings,
    key(segment, parent, at, exempt) {
      const all = forms(segment, false);
      if (typeof all === 'string') return uninspectable(at, all);
      for (const form of all) {
        for (const d of keyDetectors) if (d.key!(form, parent)) return found(d.id, at, segment);
      }
      if (exempt || (all.length === 1 && NAME.test(segment))) return false;
      const cls = detect(all, { key: undefined, xmlBody: false, rawBody: false, skip: undefined });
      return cls !== undefined && found(cls, at, segment);
    },
    value(text, at, facts) {
      if (facts.exempt) return ++strings > limits.maxStrings && uninspectable(at, `more than ${limits.maxStrings} strings`);
      const all = forms(text, facts.base64);
      if (typeof all === 'string') return uninspectable(at, all);
      const cls = detect(all, facts);
      return cls !== undefined && found(cls, at, text);
    },
    tooDeep(at) {
      uninspectable(at, `nested deeper than ${limits.maxDepth} levels`);
    },
  };
}
