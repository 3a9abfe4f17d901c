// `bulwark serve`: run the gateway on this machine until SIGINT/SIGTERM. With --quickstart (what
// `npm start` runs) it also deploys examples/hello through the admin API — a no-op when unchanged —
// replaces the previous quickstart key with a fresh invoker key scoped to hello, and prints a curl line.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { loadConfig, resolveHome, type ConfigOverrides } from '../../config.ts';
import { startPlatform } from '../../gateway/platform.ts';
import { port } from '../args.ts';
import { createClient, type Client } from '../client.ts';
import type { CliIo } from '../io.ts';
import { createProgress } from '../progress.ts';
import { deployDirectory } from './deploy.ts';

const helloDir = fileURLToPath(new URL('../../../examples/hello', import.meta.url));
const quickstartLabel = 'quickstart';

export function serveCommand(io: CliIo): Command {
  return new Command('serve')
    .description('run the Bulwark gateway (embedded store) until interrupted')
    .option('--port <port>', 'port to listen on (default 8787, or BULWARK_PORT)', port)
    .option('--host <host>', 'address to listen on (default 127.0.0.1, or BULWARK_HOST)')
    .option('--quickstart', 'also deploy examples/hello and print a ready-to-paste curl command')
    .action(async (opts: { port?: number; host?: string; quickstart?: boolean }) => {
      const home = resolveHome(io.env);
      const overrides: ConfigOverrides = { listen: { port: opts.port, host: opts.host } };
      const config = loadConfig(home, overrides, io.env);
      // The gateway's JSON log goes to stdout, as a service's should — except in quick-start mode, where
      // stdout is for the person reading the curl line: there only warnings and errors reach stderr, and
      // the full log is in $home/logs/gateway.log either way.
      const platform = await startPlatform(config, opts.quickstart ? { logDestination: warningsTo(io.stderr) } : {});
      const stopped = untilSignal(() => platform.close());
      try {
        io.stderr.write(`Bulwark gateway listening on ${platform.url} (home ${home})\n`);
        if (opts.quickstart) await quickstart(io, platform.url, home);
        else io.stderr.write(`Admin credentials: ${join(home, 'credentials.json')}\n`);
      } catch (err) {
        await platform.close();
        throw err;
      }
      await stopped;
      io.stderr.write('Bulwark gateway stopped\n');
    });
}

async function quickstart(io: CliIo, url: string, home: string): Promise<void> {
  const credentialsFile = join(home, 'credentials.json');
  const { apiKey } = JSON.parse(readFileSync(credentialsFile, 'utf8')) as { apiKey: string };
  const admin = createClient({ url, apiKey, credentialsFile });
  const deployed = await deployDirectory(admin, helloDir, createProgress(io));
  const key = await freshInvokerKey(admin, deployed.name);
  io.stdout.write([
    '',
    `Bulwark is running at ${url} with ${deployed.name}@${deployed.version} deployed (sha256 ${deployed.sha256.slice(0, 12)}…).`,
    '',
    'Call it with the invoker key created for you (scoped to hello, shown only now):',
    '',
    `  curl -H 'Authorization: Bearer ${key}' '${url}/fn/${deployed.name}?name=Ada'`,
    `  curl -H 'Authorization: Bearer ${key}' -H 'content-type: application/json' -d '{"name":"Ada"}' ${url}/fn/${deployed.name}`,
    `  BULWARK_API_KEY=${key} npx bulwark invoke ${deployed.name} --data '{"name":"Ada"}'`,
    '',
    `Admin credentials for the bulwark CLI are in ${credentialsFile} (mode 0600), e.g.`,
    '  npx bulwark list    npx bulwark logs hello    npx bulwark doctor',
    '',
    `Gateway log: ${join(home, 'logs', 'gateway.log')}. Press Ctrl+C to stop.`,
    '',
  ].join('\n'));
}

/** Revokes earlier quickstart keys, so restarting does not pile up live keys, and creates a new one. */
async function freshInvokerKey(admin: Client, fn: string): Promise<string> {
  const { keys } = await admin.admin<{ keys: Array<{ id: string; label: string; revokedAt: string | null }> }>('GET', '/admin/v1/keys');
  for (const k of keys) {
    if (k.label === quickstartLabel && !k.revokedAt) await admin.admin('DELETE', `/admin/v1/keys/${encodeURIComponent(k.id)}`);
  }
  const created = await admin.admin<{ key: string }>('POST', '/admin/v1/keys', {
    role: 'invoker', functions: [fn], label: quickstartLabel,
  });
  return created.key;
}

/** Resolves after the first SIGINT/SIGTERM once `close` finished; a second signal exits at once. */
function untilSignal(close: () => Promise<void>): Promise<void> {
  return new Promise((resolveStopped, rejectStopped) => {
    let closing = false;
    const onSignal = () => {
      if (closing) process.exit(130);
      closing = true;
      close().then(() => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        resolveStopped();
      }, rejectStopped);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** A pino destination passing on only warn (40) and above. */
function warningsTo(out: Writable): { write(line: string): void } {
  return {
    write(line: string) {
      const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? 50);
      if (level >= 40) out.write(line);
    },
  };
}
