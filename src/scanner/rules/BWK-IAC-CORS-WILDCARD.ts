// CORS that lets every origin read responses: `'*'` in SAM Api Cors (or Globals), HttpApi and
// AWS::ApiGatewayV2::Api CorsConfiguration, function URL Cors, a REST integration response header,
// and serverless `cors: true` / origin '*' (http events, provider.httpApi.cors, function url).
// Any web page a user visits can then call the API from the user's browser.

import type { IacContext } from '../engine/iac/context.ts';
import { serverlessEvents } from '../engine/iac/template.ts';
import { at, entries, get, isTrue, items, str, type PNode } from '../engine/yaml-tree.ts';
import type { Rule } from '../types.ts';

/** `*`, or the quoted `'*'` SAM and API Gateway expect in header values. */
const isStar = (n: PNode | undefined) => {
  const s = str(n)?.trim();
  return s === '*' || s === "'*'" || s === '"*"';
};

export const rule: Rule<IacContext> = {
  meta: {
    id: 'BWK-IAC-CORS-WILDCARD',
    engine: 'iac',
    severity: 'medium',
    owasp: 'SAS-3',
    cwe: ['CWE-942'],
    description: 'CORS configurations that allow every origin (`*`).',
    fix: 'List the origins of your own front ends (`AllowOrigins: [https://app.example.com]`), never `*` on an API that serves user data.',
    messages: {
      wildcard: '{{where}} allows CORS from any origin',
    },
  },
  check(ctx) {
    const flag = (where: string, n: PNode) => ctx.report({ messageId: 'wildcard', data: { where }, line: n.line, column: n.column });
    const origins = (list: PNode | undefined) => items(list).find(isStar);
    const samRestCors = (cors: PNode | undefined, where: string) => {
      if (!cors) return;
      if (isStar(cors)) return flag(where, cors);
      const o = get(cors, 'AllowOrigin');
      if (isStar(o)) flag(where, o!);
    };
    const corsConfiguration = (cors: PNode | undefined, where: string) => {
      if (!cors) return;
      if (isTrue(cors)) return flag(where, cors);
      const o = origins(get(cors, 'AllowOrigins'));
      if (o) flag(where, o);
    };
    samRestCors(get(ctx.globals.Api, 'Cors'), 'Globals.Api Cors');
    corsConfiguration(get(ctx.globals.HttpApi, 'CorsConfiguration'), 'Globals.HttpApi CorsConfiguration');
    for (const r of ctx.resources) {
      const p = r.properties;
      if (r.type === 'AWS::Serverless::Api') samRestCors(get(p, 'Cors'), `Api ${r.id}`);
      else if (r.type === 'AWS::Serverless::HttpApi' || r.type === 'AWS::ApiGatewayV2::Api') corsConfiguration(get(p, 'CorsConfiguration'), `HTTP API ${r.id}`);
      else if (r.type === 'AWS::Lambda::Url') corsConfiguration(get(p, 'Cors'), `function URL ${r.id}`);
      else if (r.type === 'AWS::Serverless::Function') corsConfiguration(at(p, 'FunctionUrlConfig', 'Cors'), `function URL of ${r.id}`);
      else if (r.type === 'AWS::ApiGateway::Method') {
        for (const resp of items(at(p, 'Integration', 'IntegrationResponses'))) {
          const header = entries(get(resp, 'ResponseParameters')).find((e) => e.key.toLowerCase() === 'method.response.header.access-control-allow-origin');
          if (header && isStar(header.value)) flag(`REST method ${r.id}`, header.value);
        }
      }
    }
    if (!ctx.serverless) return;
    const httpApiCors = at(ctx.serverless.provider, 'httpApi', 'cors');
    if (isTrue(httpApiCors)) flag('provider.httpApi.cors', httpApiCors!);
    else if (origins(get(httpApiCors, 'allowedOrigins'))) flag('provider.httpApi.cors', origins(get(httpApiCors, 'allowedOrigins'))!);
    for (const f of ctx.serverless.functions) {
      const urlCors = get(get(f.node, 'url'), 'cors');
      if (isTrue(urlCors)) flag(`function URL of ${f.name}`, urlCors!);
      else if (origins(get(urlCors, 'allowedOrigins'))) flag(`function URL of ${f.name}`, origins(get(urlCors, 'allowedOrigins'))!);
      for (const ev of serverlessEvents(f.node)) {
        if (ev.type !== 'http') continue;
        const cors = get(ev.value, 'cors');
        const where = `http event of ${f.name}`;
        if (isTrue(cors)) flag(where, cors!);
        else if (isStar(get(cors, 'origin'))) flag(where, get(cors, 'origin')!);
        else if (origins(get(cors, 'origins'))) flag(where, origins(get(cors, 'origins'))!);
      }
    }
  },
};
