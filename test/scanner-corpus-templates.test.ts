// The fixture corpus of the manifest and IaC rules, run through the real engines with every rule of
// their kind: each vulnerable case must produce a finding of its folder's rule, each safe case none of
// it. (The corpus benchmark measures precision and recall over all engines; this keeps these two
// engines' cases honest in the ordinary test run.)

import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { engine as iac } from '../src/scanner/engine/iac/index.ts';
import { engine as manifest } from '../src/scanner/engine/manifest/index.ts';
import { rules } from '../src/scanner/rules/index.ts';
import type { Engine } from '../src/scanner/types.ts';

const corpus = new URL('./fixtures/scanner-corpus/', import.meta.url).pathname;
// Pinned: runtime deprecation findings depend on the day.
const options = { ruleOptions: { 'BWK-IAC-RUNTIME-EOL': { today: '2026-11-22' } } };

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const abs = join(dir, name);
    if (statSync(abs).isDirectory()) out.push(...filesUnder(abs));
    else out.push(relative(dir, abs));
  }
  return out.map((f) => f.replaceAll('\\', '/'));
}

for (const engine of [manifest, iac] as Engine[]) {
  const mine = Object.values(rules).filter((r) => r.meta.engine === engine.id);
  for (const rule of mine) {
    describe(`corpus ${rule.meta.id}`, () => {
      for (const kind of ['vulnerable', 'safe'] as const) {
        const dir = join(corpus, rule.meta.id, kind);
        const cases = readdirSync(dir);
        it(`has at least 4 ${kind} cases`, () => assert.ok(cases.length >= 4, `${cases.length} ${kind} cases`));
        for (const name of cases) {
          it(`${kind}/${name}`, async () => {
            const root = join(dir, name);
            const files = filesUnder(root).filter((f) => engine.claims(f));
            const findings = await engine.run({ root, files, rules: mine, options });
            const own = findings.filter((f) => f.ruleId === rule.meta.id);
            if (kind === 'vulnerable') assert.ok(own.length > 0, `no ${rule.meta.id} finding`);
            else assert.deepEqual(own.map((f) => `${f.file}:${f.line} ${f.message}`), []);
          });
        }
      }
    });
  }
}
