// Reads a Prometheus text exposition with parse-prometheus-text-format (an independent parser, so a
// test does not check our output with our own reading of it) into lookups by metric name and labels.

import { createRequire } from 'node:module';

interface Sample {
  labels?: Record<string, string>;
  value?: string;
  count?: string;
  sum?: string;
  buckets?: Record<string, string>;
}

interface Family {
  name: string;
  help: string;
  type: string;
  metrics: Sample[];
}

// CommonJS without type declarations: loaded through require and typed here.
const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

export interface Scrape {
  families: Family[];
  /** The value of the sample of `name` whose labels include `labels` (summed over all that match); 0 when none. */
  value(name: string, labels?: Record<string, string>): number;
  /** A histogram's sample count for `labels`, summed over matches; 0 when none. */
  count(name: string, labels?: Record<string, string>): number;
  /** A histogram's sum of observations for `labels`, summed over matches; 0 when none. */
  sum(name: string, labels?: Record<string, string>): number;
  /** Every sample of `name` with its labels. */
  samples(name: string): Sample[];
}

export function parseMetrics(text: string): Scrape {
  const families = parse(text);
  // The parser folds a histogram's series into one sample and drops their labels when they have any;
  // read without the TYPE lines, every _bucket/_sum/_count series is a family of its own, labels kept.
  const flat = parse(text.replace(/^# TYPE \S+ (histogram|summary)$/gm, ''));
  const samples = (name: string) => families.find((f) => f.name === name)?.metrics ?? [];
  const matching = (from: Family[], name: string, labels: Record<string, string>) =>
    (from.find((f) => f.name === name)?.metrics ?? []).filter((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  return {
    families,
    samples,
    value: (name, labels = {}) => matching(families, name, labels).reduce((n, s) => n + Number(s.value), 0),
    count: (name, labels = {}) => matching(flat, `${name}_count`, labels).reduce((n, s) => n + Number(s.value), 0),
    sum: (name, labels = {}) => matching(flat, `${name}_sum`, labels).reduce((n, s) => n + Number(s.value), 0),
  };
}
