// `bulwark import <template>`: turns one function of an AWS SAM / CloudFormation template or a
// serverless.yml into a bulwark.yaml (src/import/from-template.ts). Never overwrites: an existing
// bulwark.yaml stops the command before anything is written.

import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { Command } from 'commander';
import { BulwarkError } from '../../errors.ts';
import { importFunction, manifestPath } from '../../import/from-template.ts';
import type { CliIo } from '../io.ts';
import { keyValue } from '../args.ts';

export function importCommand(io: CliIo): Command {
  return new Command('import')
    .description('turn a function of an AWS SAM / CloudFormation template or serverless.yml into a bulwark.yaml')
    .argument('<template>', 'template.yaml, template.json or serverless.yml')
    .option('--function <id>', 'the function to import: logical id, serverless function key, or its FunctionName')
    .option('--out <dir>', 'directory to write bulwark.yaml in (default: the function\'s code directory)')
    .option('--opt <name=value>', 'value of a serverless ${opt:name} variable, e.g. --opt stage=prod (repeatable)', keyValue, {} as Record<string, string>)
    .action(async (template: string, opts: { function?: string; out?: string; opt: Record<string, string> }) => {
      const path = resolve(io.cwd, template);
      let source: string;
      try {
        source = await readFile(path, 'utf8');
      } catch (err) {
        throw new BulwarkError('BWK_E_CLI_IMPORT_TEMPLATE', [template, `it cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
      }
      const result = importFunction(path, source, {
        ...(opts.function !== undefined ? { function: opts.function } : {}),
        ...(opts.out !== undefined ? { out: resolve(io.cwd, opts.out) } : {}),
        vars: opts.opt,
      });
      const target = manifestPath(result);
      const shown = relative(io.cwd, target) || target;
      if (existsSync(target)) throw new BulwarkError('BWK_E_CLI_EXISTS', [shown]);
      await mkdir(result.outDir, { recursive: true });
      try {
        // wx: never follows a link or replaces a file, even one that appeared since the check above (a
        // dangling symbolic link named bulwark.yaml, which existsSync reports as absent, included).
        await writeFile(target, result.manifest, { flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new BulwarkError('BWK_E_CLI_EXISTS', [shown]);
        throw err;
      }
      io.stdout.write(`wrote ${shown} from function ${result.functionId}\n`);
      for (const w of result.warnings) io.stderr.write(`warning: ${w}\n`);
      io.stderr.write(`next: fill in owner and expires, review the TODO comments, then \`bulwark scan\` and \`bulwark deploy ${relative(io.cwd, result.outDir) || '.'}\`\n`);
    });
}
