// `bulwark init [dir]`: scaffold a TypeScript function — manifest, handler, input schema and a node:test
// test of the handler — that deploys as it is. Never overwrites: an existing file stops the command
// before anything is written.

import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { BulwarkError } from '../../errors.ts';
import type { CliIo } from '../io.ts';

export function initCommand(io: CliIo): Command {
  return new Command('init')
    .description('scaffold a new TypeScript function')
    .argument('[dir]', 'directory to create the function in', '.')
    .option('--name <name>', 'function name (default: the directory name)')
    .action(async (dir: string, opts: { name?: string }) => {
      const root = resolve(io.cwd, dir);
      const name = opts.name ?? functionName(basename(root));
      if (!/^[a-z][a-z0-9-]{0,62}$/.test(name)) {
        throw new BulwarkError('BWK_E_CLI_USAGE', [
          `"${name}" is not a valid function name: use a-z, 0-9 and '-', starting with a letter (pass --name)`]);
      }
      const files = scaffold(name, expiryDate(new Date()));
      for (const rel of Object.keys(files)) {
        if (existsSync(join(root, rel))) throw new BulwarkError('BWK_E_CLI_EXISTS', [relative(io.cwd, join(root, rel)) || rel]);
      }
      for (const [rel, text] of Object.entries(files)) {
        await mkdir(join(root, rel, '..'), { recursive: true });
        await writeFile(join(root, rel), text, { flag: 'wx' });
      }
      const shown = relative(io.cwd, root) || '.';
      io.stdout.write(`created function ${name} in ${shown}\n`
        + Object.keys(files).map((f) => `  ${f}\n`).join('')
        + `next: edit owner and expires in bulwark.yaml, run its test with \`node --test ${join(shown, 'src', 'index.test.ts')}\`,\n`
        + `      then \`bulwark deploy ${shown}\`\n`);
    });
}

/** A directory name turned into a valid function name, e.g. "My_Func" → "my-func". */
function functionName(dirName: string): string {
  return dirName.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^[^a-z]+/, '').replace(/-+$/, '').slice(0, 63);
}

/** One year ahead: every function gets an offboarding date that someone has to renew on purpose. */
function expiryDate(now: Date): string {
  const d = new Date(now);
  d.setUTCFullYear(d.getUTCFullYear() + 1);
  return d.toISOString().slice(0, 10);
}

function scaffold(name: string, expires: string): Record<string, string> {
  return {
    'bulwark.yaml': `name: ${name}
handler: src/index.ts#handler
owner: owner@example.com   # the person or team answerable for this function
expires: ${expires}        # the function is disabled after this date; renew it on purpose
triggers:
  - http: { method: POST, path: / }   # needs an API key or a JWT (default deny)
input: ./schemas/input.json           # requests that do not match never reach the handler
limits: { timeout: 3s, memory: 128MB, concurrency: 10 }
permissions:
  egress: []                          # host:port entries context.fetch may reach
`,
    'schemas/input.json': JSON.stringify({
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: { name: { type: 'string', minLength: 1, maxLength: 100 } },
    }, null, 2) + '\n',
    'src/index.ts': `// ${name}: answers POST / with a greeting. Runs in the Bulwark sandbox: no filesystem beyond
// context.tmpdir, no network except context.fetch to the hosts in bulwark.yaml.

/** The parts of the API Gateway 2.0 event this handler reads. */
export interface HttpEvent {
  body?: string;
  isBase64Encoded?: boolean;
}

export interface Context {
  requestId: string;
  log: { info(message: string, fields?: Record<string, unknown>): void };
}

export interface HttpResult {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
}

export const handler = async (event: HttpEvent, context: Context): Promise<HttpResult> => {
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : event.body ?? '{}';
  // The gateway has already checked the body against schemas/input.json.
  const input = JSON.parse(raw) as { name: string };
  context.log.info('greeting', { name: input.name });
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: \`Hello, \${input.name}!\`, requestId: context.requestId }),
  };
};
`,
    'src/index.test.ts': `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { handler, type Context } from './index.ts';

test('greets the name it is given', async () => {
  const logged: string[] = [];
  const context: Context = { requestId: 'req-1', log: { info: (message) => { logged.push(message); } } };
  const result = await handler({ body: JSON.stringify({ name: 'Ada' }) }, context);
  assert.equal(result.statusCode, 200);
  assert.deepEqual(JSON.parse(result.body), { message: 'Hello, Ada!', requestId: 'req-1' });
  assert.deepEqual(logged, ['greeting']);
});
`,
    'package.json': JSON.stringify({
      name, private: true, type: 'module', scripts: { test: 'node --test' },
    }, null, 2) + '\n',
  };
}
