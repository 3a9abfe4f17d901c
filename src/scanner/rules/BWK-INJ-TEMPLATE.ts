// Server-side template injection: request data compiled as a template (handlebars, ejs, pug, lodash,
// nunjucks, doT), which runs expressions the caller writes. Rendering a constant template WITH the
// data is the fix and is not reported.

import type { JsRuleContext } from '../engine/js/context.ts';
import { argPaths, calleeName, type CallPath, receiverName, reportTainted, taintCandidate } from '../engine/js/rule-kit.ts';
import type { Rule } from '../types.ts';

/** Text that must appear in a file for this rule to have anything to look at. */
const sinkTokens = /handlebars|ejs|pug|jade|lodash|underscore|nunjucks|\bdot\b|doT|art-template|squirrelly|\beta\b|velocityjs|renderString|compile|template/i;

const compilers = new Set([
  'handlebars.compile', 'handlebars.precompile', 'Handlebars.compile', 'ejs.render', 'ejs.compile', 'pug.compile', 'pug.render',
  'pug.compileClient', 'jade.compile', 'jade.render', 'lodash.template', 'underscore.template',
  'nunjucks.renderString', 'nunjucks.compile', 'dot.template', 'dot.compile', 'doT.template', 'art-template.compile', 'art-template.render',
  'squirrelly.render', 'eta.renderString', 'velocityjs.render',
]);
/** nunjucks Environment / handlebars instance methods on a local receiver. */
const instanceMethods = new Set(['renderString', 'compile']);

export const rule: Rule<JsRuleContext> = {
  meta: {
    id: 'BWK-INJ-TEMPLATE',
    engine: 'js',
    severity: 'critical',
    owasp: 'SAS-1',
    cwe: ['CWE-1336', 'CWE-94'],
    description: 'Handler input is compiled as a template by a template engine (server-side template injection).',
    fix: 'Compile only templates you ship; pass input as data to render(), never as the template text.',
    messages: {
      tainted: 'Input from `{{source}}` is compiled as a template by {{sink}}',
    },
    mitigatedBy: ['injection', 'schema'],
  },
  check(context) {
    if (!taintCandidate(context, sinkTokens)) return;
    context.visit({
      CallExpression(p) {
        const path = p as CallPath;
        const name = context.resolve(path);
        const [tpl] = argPaths(path);
        if (!tpl) return;
        if (name !== null && (compilers.has(name) || name === '_.template')) {
          reportTainted(context, tpl, 'template', path, 'tainted', { sink: name });
          return;
        }
        const method = calleeName(path);
        const recv = receiverName(path);
        if (name === null && method !== null && instanceMethods.has(method) && recv !== null && /env|nunjucks|handlebars|hbs|engine|templates?$/i.test(recv)) {
          reportTainted(context, tpl, 'template', path, 'tainted', { sink: `${recv}.${method}` });
        }
      },
    });
  },
};
