// API access logs are the record of who called what, from where: without them an abused endpoint
// leaves only the function's own logs, which never see refused or throttled requests.

import type { IacContext } from '../engine/iac/context.ts';
import { samEvents, serverlessEvents } from '../engine/iac/template.ts';
import { at, get, isTrue, type Pos } from '../engine/yaml-tree.ts';
import type { Rule } from '../types.ts';

export const rule: Rule<IacContext> = {
  meta: {
    id: 'BWK-IAC-NO-ACCESS-LOGS',
    engine: 'iac',
    severity: 'low',
    owasp: 'SAS-5',
    cwe: ['CWE-778'],
    description: 'API Gateway stages and SAM/serverless APIs without access logging.',
    fix: 'Add AccessLogSetting (REST) / AccessLogSettings (HTTP API) with a log group and a format, or provider.logs.restApi / httpApi: true (serverless).',
    messages: {
      noLogs: '{{api}} has no access log settings: calls to it are not recorded',
    },
  },
  check(ctx) {
    const flag = (api: string, p: Pos) => ctx.report({ messageId: 'noLogs', data: { api }, line: p.line, column: p.column });
    const globalRest = get(ctx.globals.Api, 'AccessLogSetting');
    const globalHttp = get(ctx.globals.HttpApi, 'AccessLogSettings');
    for (const r of ctx.resources) {
      const p = r.properties;
      if (r.type === 'AWS::ApiGateway::Stage' && !get(p, 'AccessLogSetting')) flag(`stage ${r.id}`, r.keyPos);
      else if (r.type === 'AWS::ApiGatewayV2::Stage' && !get(p, 'AccessLogSettings')) flag(`stage ${r.id}`, r.keyPos);
      else if (r.type === 'AWS::Serverless::Api' && !get(p, 'AccessLogSetting') && !globalRest) flag(`Api ${r.id}`, r.keyPos);
      else if (r.type === 'AWS::Serverless::HttpApi' && !get(p, 'AccessLogSettings') && !globalHttp) flag(`HttpApi ${r.id}`, r.keyPos);
    }
    // SAM creates an implicit API for events that name none; only Globals can configure its logs.
    let implicitRest = false;
    let implicitHttp = false;
    for (const fn of ctx.functions) {
      if (fn.kind !== 'sam') continue;
      for (const ev of samEvents(fn)) {
        if (ev.type === 'Api' && !get(ev.properties, 'RestApiId') && !globalRest && !implicitRest) {
          implicitRest = true;
          flag(`the implicit REST API (event ${ev.name} of ${fn.id})`, ev.keyPos);
        }
        if (ev.type === 'HttpApi' && !get(ev.properties, 'ApiId') && !globalHttp && !implicitHttp) {
          implicitHttp = true;
          flag(`the implicit HTTP API (event ${ev.name} of ${fn.id})`, ev.keyPos);
        }
      }
    }
    if (!ctx.serverless) return;
    const logs = get(ctx.serverless.provider, 'logs');
    const rest = at(logs, 'restApi');
    const http = at(logs, 'httpApi');
    const on = (n: typeof rest) => n !== undefined && (isTrue(n) || n.type === 'map');
    let restDone = on(rest);
    let httpDone = on(http);
    for (const f of ctx.serverless.functions) {
      for (const ev of serverlessEvents(f.node)) {
        if (ev.type === 'http' && !restDone) {
          restDone = true;
          flag(`the REST API (http event of ${f.name})`, ev.keyPos);
        } else if (ev.type === 'httpApi' && !httpDone) {
          httpDone = true;
          flag(`the HTTP API (httpApi event of ${f.name})`, ev.keyPos);
        }
      }
    }
  },
};
