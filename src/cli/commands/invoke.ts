// `bulwark invoke <name>`: call a deployed function through the gateway, like any client would, with
// the key in BULWARK_API_KEY or none (public routes); the stored admin credentials are never sent.
// `bulwark invoke --local [dir]`: deploy the function in `dir` to a throwaway gateway in a temporary home
// and call it once (see local-invoke.ts) — the quickest way to see a handler's result and logs.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { BulwarkError } from '../../errors.ts';
import { createClient, invokeFunction, parseErrorBody, resolveTarget, type Payload } from '../client.ts';
import { printJson, type CliIo } from '../io.ts';
import { invokeLocally } from '../local-invoke.ts';

export interface InvokeOptions {
  data?: string;
  path: string;
  method?: string;
  local?: boolean;
  json?: boolean;
}

/** `--data` is JSON text or `@file`; JSON is sent as application/json, anything else as text/plain. */
export function readPayload(io: CliIo, data: string | undefined): Payload {
  if (data === undefined) return { body: undefined, contentType: undefined };
  let text = data;
  if (data.startsWith('@')) {
    try {
      text = readFileSync(resolve(io.cwd, data.slice(1)), 'utf8');
    } catch {
      throw new BulwarkError('BWK_E_CLI_USAGE', [`--data ${data}: cannot read that file`]);
    }
  }
  try {
    JSON.parse(text);
    return { body: text, contentType: 'application/json' };
  } catch {
    return { body: text, contentType: 'text/plain; charset=utf-8' };
  }
}

export function invokeCommand(io: CliIo): Command {
  return new Command('invoke')
    .description('call a deployed function, or run one locally with --local')
    .argument('[target]', 'function name, or with --local the function directory (default .)')
    .option('-d, --data <json|@file>', 'request body: JSON text, or @path to read it from a file')
    .option('-p, --path <path>', 'path under the function, with an optional ?query', '/')
    .addOption(new Option('-X, --method <method>', 'HTTP method (default: POST with --data, else GET)')
      .choices(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']))
    .option('--local', 'run the function once on a throwaway local gateway (temporary home, no key needed)')
    .option('--json', 'print status, headers and body as JSON')
    .action(async (target: string | undefined, opts: InvokeOptions) => {
      if (!opts.path.startsWith('/')) throw new BulwarkError('BWK_E_CLI_USAGE', ['--path must start with /']);
      const payload = readPayload(io, opts.data);
      const method = opts.method ?? (payload.body === undefined ? 'GET' : 'POST');
      if (opts.local) {
        const result = await invokeLocally(io, resolve(io.cwd, target ?? '.'), { method, path: opts.path, payload });
        if (opts.json) {
          const { error, ...rest } = result;
          printJson(io, error ? { ...rest, error: { code: error.code, message: error.message } } : rest);
        } else {
          for (const l of result.logs) {
            const fields = l.fields && Object.keys(l.fields).length > 0 ? ' ' + JSON.stringify(l.fields) : '';
            io.stderr.write(`[log] ${l.level.toUpperCase()} ${l.message}${fields}\n`);
          }
          if (!result.error) {
            io.stderr.write(`${result.function}: HTTP ${result.statusCode}\n`);
            io.stdout.write(result.body + (result.body === '' || result.body.endsWith('\n') ? '' : '\n'));
          }
        }
        if (result.error) throw result.error;
        if (result.statusCode >= 400) throw new BulwarkError('BWK_E_CLI_REMOTE', [`${result.function} answered HTTP ${result.statusCode}`]);
        return;
      }
      if (!target) throw new BulwarkError('BWK_E_CLI_USAGE', ['invoke needs a function name (or --local [dir])']);
      // Only a key the user gave for this (BULWARK_API_KEY), never the admin key in credentials.json:
      // a function route is the one place the gateway hands requests to code someone else wrote.
      const invokeKey = io.env.BULWARK_API_KEY || undefined;
      const client = createClient({ ...resolveTarget(io.env), apiKey: invokeKey }, { requireKey: false });
      const answer = await invokeFunction(client, target, method, opts.path, payload);
      const remote = parseErrorBody(answer);
      if (remote) {
        if (remote.status === 401 && !invokeKey) {
          io.stderr.write(`hint: invoke sends only BULWARK_API_KEY, never the stored admin key; create one with \`bulwark keys create --role invoker --functions ${target}\`\n`);
        }
        throw remote;
      }
      if (opts.json) printJson(io, { statusCode: answer.status, headers: Object.fromEntries(answer.headers), body: answer.text });
      else io.stdout.write(answer.text + (answer.text === '' || answer.text.endsWith('\n') ? '' : '\n'));
      if (answer.status >= 400) throw new BulwarkError('BWK_E_CLI_REMOTE', [`${target} answered HTTP ${answer.status}`]);
    });
}
