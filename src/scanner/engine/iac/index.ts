// The IaC engine: AWS SAM and CloudFormation templates (YAML with short-form tags, or JSON) and
// serverless.yml. Each claimed file is read and parsed once into an IacTemplate (./template.ts); every
// IaC rule then checks that one model. A file that is YAML but no template is skipped quietly; a
// template that does not parse is reported through onError and skipped.

import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Engine, Finding, Rule } from '../../types.ts';
import { sortFindings, toFinding } from '../rule-report.ts';
import type { IacContext } from './context.ts';
import { readTemplate } from './template.ts';

// YAML files that are never templates, by name: lockfiles, CI and container config, our own manifest.
const NOT_TEMPLATES = /^(bulwark\.ya?ml|pnpm-lock\.ya?ml|pnpm-workspace\.ya?ml|docker-compose.*|compose\.ya?ml|\.?codecov\.ya?ml|\.travis\.yml|mkdocs\.ya?ml|\.pre-commit-config\.ya?ml|\.?golangci\.ya?ml)$/i;

export const engine: Engine = {
  id: 'iac',
  claims(file) {
    const path = file.replaceAll('\\', '/');
    if (/(^|\/)(node_modules|\.git|\.github|\.serverless|\.aws-sam)\//.test(path)) return false;
    const name = basename(path);
    if (/^serverless\.(ya?ml|json)$/i.test(name)) return true;
    if (NOT_TEMPLATES.test(name)) return false;
    if (/\.(ya?ml|template)$/i.test(name)) return true;
    // JSON only by name: package.json, tsconfig.json and the like are never templates.
    return /\.json$/i.test(name) && /(template|cfn|cloudformation|stack)/i.test(name);
  },
  async run({ root, files, rules, options, onError }) {
    const findings: Finding[] = [];
    for (const file of files) {
      let source: string;
      try {
        source = await readFile(join(root, file), 'utf8');
      } catch (err) {
        onError?.(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
        continue;
      }
      const template = readTemplate(file, source, options.options ?? {});
      if (template === undefined) continue;
      if ('error' in template) {
        onError?.(file, `is not valid YAML/JSON: ${template.error}`);
        continue;
      }
      for (const rule of rules) {
        const context: IacContext = {
          ...template,
          options: options.ruleOptions?.[rule.meta.id] ?? {},
          report: (r) => findings.push(toFinding(rule as Rule<unknown>, { ...r, file: r.file ?? file })),
        };
        try {
          (rule as Rule<IacContext>).check(context);
        } catch (err) {
          // One rule's bug must not cost the findings of every other rule on this file.
          onError?.(file, `rule ${rule.meta.id} failed: ${(err as Error).message}`);
        }
      }
    }
    return sortFindings(findings);
  },
};
