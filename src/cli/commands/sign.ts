// `bulwark sign keygen`: creates a publisher's Ed25519 key pair for code signing (docs/signing.md). The
// private key goes to a new file with mode 0600 (never overwritten, never printed); the public key and
// its id are printed, to be registered with `bulwark publishers add`. Deploys are signed with
// `bulwark deploy --sign <key-file>`.

import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { BulwarkError } from '../../errors.ts';
import { generatePublisherKey } from '../../signing/signature.ts';
import { printJson, type CliIo } from '../io.ts';

export function signCommand(io: CliIo): Command {
  const sign = new Command('sign').description('code signing: create publisher keys (sign deploys with `bulwark deploy --sign`)');

  sign.command('keygen')
    .description('create an Ed25519 publisher key: private key to a new 0600 file, public key printed')
    .requiredOption('--out <file>', 'where to write the private key (must not exist)')
    .option('--json', 'print JSON')
    .action(async (opts: { out: string; json?: boolean }) => {
      const file = resolve(io.cwd, opts.out);
      const key = generatePublisherKey();
      try {
        // wx: never replace an existing key file; mode 0600 from the first byte.
        await writeFile(file, key.privateKeyPem, { mode: 0o600, flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new BulwarkError('BWK_E_CLI_EXISTS', [file]);
        throw err;
      }
      if (opts.json) return printJson(io, { keyId: key.keyId, publicKey: key.publicKey, privateKeyFile: file });
      io.stdout.write(`${key.publicKey}\n`);
      io.stderr.write(`key ${key.keyId}: private key written to ${file} (mode 0600, keep it secret); register the public key above with\n`
        + `  bulwark publishers add --name <who> --public-key ${key.publicKey}\n`);
    });

  return sign;
}
