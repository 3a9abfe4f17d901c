// Without an input schema the schema guard has nothing to check, and everything a caller or publisher
// sends reaches the handler. A trigger that carries a body (POST/PUT/PATCH/ANY, queue messages) needs
// a body schema; any http trigger needs some input schema.

import type { ManifestContext } from '../engine/manifest/context.ts';
import { at, get, items, str } from '../engine/yaml-tree.ts';
import type { Rule } from '../types.ts';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'ANY']);

export const rule: Rule<ManifestContext> = {
  meta: {
    id: 'BWK-MAN-NO-SCHEMA',
    engine: 'manifest',
    severity: 'medium',
    owasp: 'SAS-1',
    cwe: ['CWE-20'],
    description: 'An http or queue trigger whose input is not constrained by an input schema.',
    fix: 'Add `input: ./schemas/input.json` (or `input: { body, query, params, headers }`) describing exactly what the function accepts, with additionalProperties: false.',
    messages: {
      noSchema: '{{trigger}} has no input schema: whatever the caller sends reaches the handler unchecked',
      noBodySchema: '{{trigger}} carries a body but the input schema has no body part',
    },
    mitigatedBy: ['schema', 'injection'],
  },
  check(ctx) {
    const input = at(ctx.root, 'input');
    const hasBody = input !== undefined && (input.type === 'scalar' || get(input, 'body') !== undefined);
    for (const trigger of items(at(ctx.root, 'triggers'))) {
      const http = get(trigger, 'http');
      const queue = get(trigger, 'queue');
      if (!http && !queue) continue;
      const method = str(get(http, 'method'));
      const name = http ? `http trigger ${method ?? '?'} ${str(get(http, 'path')) ?? '?'}` : `queue trigger ${str(get(queue, 'subject')) ?? '?'}`;
      const needsBody = queue !== undefined || (method !== undefined && BODY_METHODS.has(method));
      const where = { line: trigger.line, column: trigger.column };
      if (input === undefined) ctx.report({ messageId: 'noSchema', data: { trigger: name }, ...where });
      else if (needsBody && !hasBody) ctx.report({ messageId: 'noBodySchema', data: { trigger: name }, ...where });
    }
  },
};
