// `auth: public` opens a route to anyone on the network. Sometimes that is the point (a webhook, a
// public form), so the rule is medium; a public route with no input schema hands every caller's raw
// input to the handler, which makes it high.

import type { ManifestContext } from '../engine/manifest/context.ts';
import { at, entry, items, str } from '../engine/yaml-tree.ts';
import type { Rule } from '../types.ts';

export const rule: Rule<ManifestContext> = {
  meta: {
    id: 'BWK-MAN-PUBLIC-ROUTE',
    engine: 'manifest',
    severity: 'medium',
    owasp: 'SAS-2',
    cwe: ['CWE-306'],
    description: 'An http trigger with auth: public, reachable without an API key or JWT.',
    fix: 'Drop `auth: public` (the default needs an API key or a JWT), or keep it only for routes meant to be public, with an input schema, a rate limit and a budget.',
    messages: {
      public: 'http trigger {{method}} {{path}} is public: anyone can call it without an API key or JWT',
      publicNoSchema: 'http trigger {{method}} {{path}} is public and the manifest has no input schema: any caller\'s raw input reaches the handler',
    },
    mitigatedBy: ['rate-limit', 'caller-rate-limit', 'budget', 'schema'],
  },
  check(ctx) {
    const hasInput = at(ctx.root, 'input') !== undefined;
    for (const trigger of items(at(ctx.root, 'triggers'))) {
      const http = at(trigger, 'http');
      const auth = entry(http, 'auth');
      if (!auth || str(auth.value) !== 'public') continue;
      const data = { method: str(at(http, 'method')) ?? '?', path: str(at(http, 'path')) ?? '?' };
      ctx.report({
        messageId: hasInput ? 'public' : 'publicNoSchema',
        ...(hasInput ? {} : { severity: 'high' as const }),
        data, line: auth.keyPos.line, column: auth.keyPos.column,
      });
    }
  },
};
