// `bulwark publish <subject> <json|->`: publishes a message through the admin API (POST /admin/v1/publish)
// to the functions whose queue triggers consume the subject. The payload is any JSON value, given as the
// argument or, with `-`, read from standard input; it is checked to be JSON here, so a typo is a usage
// error before anything is sent, and sent exactly as parsed.

import { Command } from 'commander';
import type { Readable } from 'node:stream';
import { BulwarkError } from '../../errors.ts';
import { createClient, resolveTarget } from '../client.ts';
import { printJson, type CliIo } from '../io.ts';

/** Far above any gateway's triggers.maxMessageBytes: the gateway sets the real bound and says so. */
const MAX_STDIN_BYTES = 8 * 1024 * 1024;

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > MAX_STDIN_BYTES) throw new BulwarkError('BWK_E_CLI_USAGE', [`the payload on standard input is larger than ${MAX_STDIN_BYTES} bytes`]);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function parsePayload(text: string, from: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const why = (err as Error).message.split('\n')[0]!.slice(0, 200);
    throw new BulwarkError('BWK_E_CLI_USAGE', [`the payload ${from} is not valid JSON (${why}): pass a JSON value such as '{"id": 7}', quoted for your shell, or - to read it from standard input`]);
  }
}

export function publishCommand(io: CliIo): Command {
  return new Command('publish')
    .description('publish a message to the functions whose queue triggers consume a subject')
    .argument('<subject>', 'dot-separated subject, like images.uploaded')
    .argument('<json>', 'the payload: a JSON value, or - to read it from standard input')
    .option('--json', 'print JSON')
    .action(async (subject: string, json: string, opts: { json?: boolean }) => {
      const payload = json === '-' ? parsePayload(await readAll(io.stdin), 'on standard input') : parsePayload(json, 'argument');
      const client = createClient(resolveTarget(io.env));
      const answer = await client.admin<{ messageId: string; subject: string; functions: string[] }>('POST', '/admin/v1/publish', { subject, payload });
      if (opts.json) return printJson(io, answer);
      io.stdout.write(`${answer.messageId}\n`);
      io.stderr.write(`published on ${answer.subject} to ${answer.functions.join(', ')}\n`);
    });
}
