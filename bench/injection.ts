// The injection guard on its corpora (test/corpus/injection/): detection rate per class and overall and
// the false-positive rate, from the real guard on real parsed manifests and GuardRequests built the way
// the gateway builds them; then the guard's own cost per request, median and p99, over the benign
// corpus (what ordinary traffic pays) and the attack corpus. Each timed call starts from an unparsed
// body, so JSON.parse is included (the schema guard shares that parse when the function has an input
// schema). The rates are asserted by src/guards/injection/corpus.test.ts; the speed is only reported here.
//
//   node bench/injection.ts [--rounds 10] [--write]

import { cpus, release } from 'node:os';
import { parseArgs } from 'node:util';
import { create } from '../src/guards/injection/index.ts';
import { lazyJson, type GuardRequest } from '../src/guards/types.ts';
import { attackRequest, benignRequest, corpusRates, readCorpus, type AttackCase, type BenignCase } from '../test/corpus/injection/corpus.ts';
import { quantile, writeBenchSection } from './internal/child.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '10' }, write: { type: 'boolean', default: false } } });
const rounds = Number(values.rounds);
const guard = create();

const attacks = readCorpus<AttackCase>('attacks.jsonl');
const benign = readCorpus<BenignCase>('benign.jsonl');
const rates = await corpusRates(guard);

/** µs per guard call over `rounds` passes of `requests`, after two passes of warm-up. */
async function timings(requests: GuardRequest[]): Promise<number[]> {
  const out: number[] = [];
  for (let round = -2; round < rounds; round++) {
    for (const req of requests) {
      req.json = lazyJson(req.body);
      const t0 = process.hrtime.bigint();
      await guard(req);
      const micros = Number(process.hrtime.bigint() - t0) / 1000;
      if (round >= 0) out.push(micros);
    }
  }
  return out.sort((a, b) => a - b);
}
const benignTimes = await timings(benign.map(benignRequest));
const attackTimes = await timings(attacks.map(attackRequest));

const pct = (n: number, d: number) => `${((100 * n) / d).toFixed(1)}%`;
const second = { attacks: attacks.filter((a) => a.batch === 2), benign: benign.filter((b) => b.batch === 2) };
const secondMissed = rates.missed.filter((m) => m.batch === 2).length;
const secondFalse = rates.falsePositives.filter((f) => f.case.batch === 2).length;

const lines = [
  `Machine: ${cpus()[0]?.model ?? 'unknown cpu'} × ${cpus().length}, Linux ${release()}, Node.js ${process.version}. ${rounds} timed passes over each corpus.`,
  '',
  '| class | payloads | detected |',
  '|---|---:|---:|',
  ...Object.entries(rates.byClass).map(([cls, [detected, total]]) => `| ${cls} | ${total} | ${pct(detected, total)} |`),
  `| **all** | **${rates.attacks}** | **${pct(rates.detected, rates.attacks)}** (target ≥ 95%) |`,
  '',
  `- false positives: **${rates.falsePositives.length} of ${rates.benign}** benign requests (**${pct(rates.falsePositives.length, rates.benign)}**, target ≤ 0.5%)` +
    (rates.falsePositives.length ? `: ${rates.falsePositives.map((f) => `${f.rule} in ${f.message.replace(/^Input at (\S+) .*$/, '$1')} (${f.case.kind})`).join(', ')}` : ''),
  `- missed: ${rates.missed.map((m) => `${m.class} \`${m.payload.slice(0, 40).replace(/`/g, "'")}\``).join(', ') || 'none'}`,
  `- second batch (written after the detectors, see attacks.ts/benign.ts): ${second.attacks.length - secondMissed}/${second.attacks.length} attacks detected, ` +
    `${secondFalse}/${second.benign.length} benign refused`,
  `- guard cost per request, benign corpus: median **${quantile(benignTimes, 0.5).toFixed(1)} µs**, p99 ${quantile(benignTimes, 0.99).toFixed(1)} µs`,
  `- guard cost per request, attack corpus: median ${quantile(attackTimes, 0.5).toFixed(1)} µs, p99 ${quantile(attackTimes, 0.99).toFixed(1)} µs`,
];
const report = lines.join('\n');
process.stdout.write(`${report}\n`);
if (values.write) writeBenchSection('injection', 'node bench/injection.ts --write', report);
