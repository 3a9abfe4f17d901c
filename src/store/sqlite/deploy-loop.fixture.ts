// Child process for sqlite.test.ts: deploys versions of the named functions in a loop and prints
// "<name> <version>" after each deploy() has returned (stdout to a pipe is synchronous on Linux, so a
// printed line means the commit happened first). Runs `count` rounds, or until killed.
//   node deploy-loop.fixture.ts <home> <name,name,...> [count]

import { createHash, randomBytes } from 'node:crypto';
import { parseManifest } from '../../manifest/parse.ts';
import { openSqliteStore } from './index.ts';

const [home, names, count] = process.argv.slice(2);
const store = await openSqliteStore(home!);
const rounds = count === undefined ? Infinity : Number(count);
for (let i = 0; i < rounds; i++) {
  for (const name of names!.split(',')) {
    const manifestSource = `name: ${name}\nhandler: index.js\nowner: team@example.com\nexpires: 2099-01-01\ntriggers:\n  - http: { method: GET, path: / }\n`;
    // Big enough that a kill often lands inside the transaction that writes it.
    const bundle = new Uint8Array(randomBytes(256 * 1024));
    const v = await store.functions.deploy({
      name,
      manifest: parseManifest(manifestSource, 'bulwark.yaml', () => undefined),
      manifestSource,
      bundle,
      sha256: createHash('sha256').update(bundle).digest('hex'),
      deployedBy: `pid_${process.pid}`,
    });
    process.stdout.write(`${name} ${v.version}\n`);
  }
}
await store.close();
