// Writes attacks.jsonl and benign.jsonl from the hand-written pieces in attacks.ts and benign.ts.
// Deterministic (a seeded generator, no clock): run it again and the files do not change. The output
// is committed, so the corpora can be read and diffed without running anything.
//
//   node test/corpus/injection/generate.ts
//
// Attacks: every hand-written payload as written, plus, for every other one sent in a field, the same
// payload encoded the way filter bypasses encode it (URL, double URL, HTML entities, JavaScript and IIS
// escapes, fullwidth, mixed case), and a few per class inside a base64-declared field.
// Benign: whole requests of a dozen everyday kinds built from the pieces.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { attacks, secondBatch, type AttackSpec } from './attacks.ts';
import * as pieces from './benign.ts';
import type { AttackCase, BenignCase } from './corpus.ts';

const here = import.meta.dirname;

/** mulberry32: a small seeded generator, so the output is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
let random = seeded(20240501);
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
const chance = (p: number): boolean => random() < p;

// ---- encodings ---------------------------------------------------------------------------------------

const SPECIAL = /[^A-Za-z0-9 ]/g;
const hex2 = (c: string) => c.charCodeAt(0).toString(16).padStart(2, '0');

const encodings: Record<string, (s: string) => string> = {
  url: (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${hex2(c).toUpperCase()}`),
  'double-url': (s) => encodings.url!(encodings.url!(s)),
  html: (s) => s.replace(SPECIAL, (c, i: number) => (i % 2 === 0 ? `&#${c.charCodeAt(0)};` : `&#x${hex2(c)};`)),
  'js-escape': (s) => s.replace(SPECIAL, (c) => (c.charCodeAt(0) < 0x100 ? `\\u00${hex2(c)}` : c)),
  iis: (s) => s.replace(SPECIAL, (c) => (c.charCodeAt(0) < 0x100 ? `%u00${hex2(c)}` : c)),
  fullwidth: (s) => s.replace(/[!-~]/g, (c) => (/[A-Za-z0-9]/.test(c) ? c : String.fromCharCode(c.charCodeAt(0) + 0xfee0))),
  'mixed-case': (s) => s.replace(/[a-z]/gi, (c, i: number) => (i % 2 === 0 ? c.toUpperCase() : c.toLowerCase())),
};

/** Which encodings a field payload of each class is also sent with (one per payload, in turn). */
const classEncodings: Record<string, string[]> = {
  sql: ['url', 'double-url', 'html', 'js-escape', 'mixed-case'],
  nosql: ['url', 'js-escape'],
  command: ['url', 'double-url', 'js-escape', 'iis'],
  js: ['url', 'html', 'js-escape', 'mixed-case', 'fullwidth'],
  traversal: ['url', 'double-url', 'iis', 'fullwidth', 'js-escape'],
  ssrf: ['url', 'double-url', 'html', 'js-escape'],
  xxe: ['url', 'html'],
  prototype: ['url', 'double-url'],
  serialized: ['url', 'js-escape'],
  template: ['url', 'html', 'js-escape', 'fullwidth'],
};

export function attackCases(): AttackCase[] {
  const out: AttackCase[] = [];
  for (const [cls, specs] of Object.entries(attacks)) {
    const fieldSpecs: AttackSpec[] = [];
    for (const spec of specs) {
      out.push({ class: cls, ...spec, encoding: 'none' });
      if (spec.where === 'body' || spec.where === 'query' || spec.where === 'header' || spec.where === 'form') fieldSpecs.push(spec);
    }
    const encs = classEncodings[cls]!;
    fieldSpecs.forEach((spec, i) => {
      if (i % 2 === 1) return;
      const encoding = encs[(i / 2) % encs.length]!;
      const payload = encodings[encoding]!(spec.payload);
      // Header values are ASCII on the wire; a query value is sent encoded once more than it is here.
      if (spec.where === 'header' && /[^\x20-\x7e]/.test(payload)) return;
      out.push({ class: cls, ...spec, payload, encoding });
    });
    // Inside a field the manifest declares base64 (function `uploads`).
    specs.filter((s) => s.where === 'body').slice(0, 4).forEach((spec) => {
      out.push({ class: cls, where: 'body', field: 'attachment', fn: 'uploads', payload: Buffer.from(spec.payload).toString('base64'), encoding: 'base64' });
    });
  }
  for (const [cls, payloads] of Object.entries(secondBatch)) {
    for (const payload of payloads) out.push({ class: cls, where: 'body', field: 'input', payload, encoding: 'none', batch: 2 });
  }
  return out;
}

// ---- benign requests ---------------------------------------------------------------------------------

const p = pieces;
const headers = (extra: Record<string, string> = {}): Record<string, string> => {
  const h: Record<string, string> = { 'user-agent': pick(p.userAgents) };
  if (chance(0.3)) h.cookie = pick(p.cookies);
  if (chance(0.3)) h.referer = pick(p.referers);
  if (chance(0.2)) h['x-request-id'] = `req-${Math.floor(random() * 1e9).toString(36)}`;
  return { ...h, ...extra };
};
const sku = () => `${pick(['A', 'B', 'K', 'Z'])}-${Math.floor(random() * 900 + 100)}`;
const price = () => `$${(random() * 200).toFixed(2)}`;
const text = () => pick(pick([p.prose, p.prose, p.prose, p.markdown, p.codeish, p.windowsProse, p.international, p.social, p.listings, p.formal, p.devTickets]));
const iso = () => `2024-0${Math.floor(random() * 9) + 1}-1${Math.floor(random() * 9)}T${10 + Math.floor(random() * 9)}:${pick(['00', '15', '30', '45'])}:00Z`;

const scenarios: Array<[string, () => Omit<BenignCase, 'kind'>]> = [
  ['signup', () => ({ body: { name: pick(p.names), email: pick(p.emails), password: pick(p.passwords), address: pick(p.addresses), phone: pick(p.phones), marketing: chance(0.5) }, headers: headers() })],
  ['comment', () => ({ body: { author: pick(p.names), text: text(), rating: Math.floor(random() * 5) + 1 }, headers: headers() })],
  ['search', () => ({ method: 'GET', query: new URLSearchParams({ q: pick(p.searches), page: String(Math.floor(random() * 5) + 1), sort: pick(['price', '-price', 'relevance', 'date']) }).toString(), headers: headers() })],
  ['checkout', () => ({
    body: {
      items: Array.from({ length: Math.floor(random() * 3) + 1 }, () => ({ sku: sku(), name: pick(p.titles), price: price(), qty: Math.floor(random() * 3) + 1 })),
      coupon: pick(['SAVE20', 'WELCOME-10', '', 'SPRING$5']), shipping: { name: pick(p.names), address: pick(p.addresses), phone: pick(p.phones) },
      notes: pick(p.prose), total: price(), currency: pick(['USD', 'EUR', 'GBP']),
    },
    headers: headers(),
  })],
  ['profile', () => ({ method: 'PUT', body: { displayName: pick(p.names), bio: pick([...p.markdown, ...p.prose]), website: pick(p.urls), location: pick(p.addresses), links: [pick(p.urls), pick(p.urls)] }, headers: headers() })],
  ['webhook', () => ({ body: { url: pick(p.urls.filter((u) => u.startsWith('https://'))), events: ['order.created', 'order.paid'], description: pick(p.titles) }, headers: headers() })],
  ['support', () => ({ body: { subject: pick(p.titles), body: pick([...p.prose, ...p.windowsProse, ...p.codeish, ...p.devTickets, ...p.formal]), category: pick(p.tags), attachments: [pick(p.filenames)] }, headers: headers() })],
  ['listing', () => ({ body: { title: pick(p.titles), description: pick(p.listings), price: price(), tags: [pick(p.tags)], seller: pick(p.names), location: pick(p.addresses) }, headers: headers() })],
  ['post', () => ({ body: { text: pick([...p.social, ...p.international]), visibility: pick(['public', 'friends']), mentions: [pick(p.names)] }, headers: headers() })],
  ['calendar', () => ({ body: { title: pick(p.titles), description: text(), location: pick(p.addresses), start: iso(), end: iso(), attendees: [pick(p.emails), pick(p.emails)] }, headers: headers() })],
  ['message', () => ({ body: { to: pick(p.emails), text: pick([...p.international, ...p.prose]) }, headers: headers() })],
  ['file', () => ({ method: 'PUT', params: { name: encodeURIComponent(pick(p.filenames)) }, body: { description: pick(p.prose), tags: [pick(p.tags), pick(p.tags)] }, headers: headers() })],
  ['item', () => ({ method: 'GET', params: { id: String(Math.floor(random() * 1e6)) }, query: `fields=${pick(['name,price', 'id', 'name,price,stock'])}&expand=${pick(['reviews', 'seller', 'none'])}&ref=${encodeURIComponent(pick(p.urls))}`, headers: headers() })],
  ['snippet', () => ({ fn: 'snippets', body: { title: pick(p.titles), language: pick(p.languages), snippet: pick(p.snippets), description: pick(p.codeish) }, headers: headers() })],
  ['snippet-search', () => ({ fn: 'snippets', method: 'GET', query: new URLSearchParams({ q: pick(p.snippets).split('\n')[0]!, lang: pick(p.languages) }).toString(), headers: headers() })],
  ['upload', () => ({ fn: 'uploads', body: { filename: pick(p.filenames), contentType: 'text/plain', attachment: Buffer.from(pick([...p.prose, ...p.textBodies, ...p.markdown])).toString('base64') }, headers: headers() })],
  ['upload-binary', () => ({ fn: 'uploads', body: { filename: pick(p.filenames), contentType: 'image/png', attachment: Buffer.from(Array.from({ length: 64 + Math.floor(random() * 512) }, () => Math.floor(random() * 256))).toString('base64') }, headers: headers() })],
  ['contact-form', () => ({ contentType: 'application/x-www-form-urlencoded', text: new URLSearchParams({ name: pick(p.names), email: pick(p.emails), message: pick(p.prose) }).toString(), headers: headers() })],
  ['xml-order', () => ({ contentType: 'application/xml', text: pick(p.xmlDocs), headers: headers() })],
  ['text-note', () => ({ contentType: pick(['text/plain', 'text/csv']), text: pick(p.textBodies), headers: headers() })],
  ['linked-data', () => ({ body: pick([
    { '@context': 'https://schema.org', '@type': 'Person', name: pick(p.names), email: pick(p.emails), url: pick(p.urls) },
    { '@context': 'https://schema.org', '@type': 'Product', name: pick(p.titles), offers: { '@type': 'Offer', price: '19.99', priceCurrency: 'USD' } },
    { $schema: 'https://json-schema.org/draft/2020-12/schema', $id: 'https://example.com/order.schema.json', type: 'object', properties: { price: { type: 'string', pattern: '^\\$[0-9]+' } } },
    { prices: { regular: price(), sale: price() }, note: 'Prices include VAT; $ amounts are USD.', currencySymbol: '$' },
  ]), headers: headers() })],
  ['analytics', () => ({ body: { event: pick(['page_view', 'click', 'add_to_cart', 'purchase']), url: pick(p.urls), referrer: pick(p.referers.filter((r) => !r.includes('localhost') && !r.includes('127.0.0.1'))), screen: pick(['1920x1080', '390x844', '1440x900']), language: pick(['en-GB', 'fr-FR', 'ja-JP']), ts: iso() }, headers: headers() })],
];

export function benignCases(count = 1200): BenignCase[] {
  random = seeded(20240501);
  const out: BenignCase[] = [];
  for (let i = 0; out.length < count; i++) {
    const [kind, build] = scenarios[i % scenarios.length]!;
    out.push({ kind, ...build() });
  }
  for (const body of p.secondBatch) out.push({ kind: 'support', body: { subject: pick(p.titles), body, category: pick(p.tags) }, headers: headers(), batch: 2 });
  return out;
}

/** The file text of a corpus: one JSON object per line. */
export const jsonl = (rows: unknown[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

if (import.meta.main) {
  const attackRows = attackCases();
  const benignRows = benignCases();
  writeFileSync(join(here, 'attacks.jsonl'), jsonl(attackRows));
  writeFileSync(join(here, 'benign.jsonl'), jsonl(benignRows));
  process.stdout.write(`attacks.jsonl: ${attackRows.length} payloads; benign.jsonl: ${benignRows.length} requests\n`);
}
