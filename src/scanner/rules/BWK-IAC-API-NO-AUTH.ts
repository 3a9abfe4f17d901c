// Routes reachable without any authentication: API Gateway REST methods and HTTP API routes with
// AuthorizationType NONE (the default when the key is absent), SAM Api/HttpApi events with no
// authorizer of their own and no DefaultAuthorizer on their API (or in Globals), serverless http /
// httpApi events without an authorizer, and Lambda function URLs with AuthType NONE. CORS preflight
// (OPTIONS) routes are exempt: browsers send them without credentials.

import type { IacContext, LambdaFunction } from '../engine/iac/context.ts';
import { refTarget, samEvents, serverlessEvents } from '../engine/iac/template.ts';
import { at, get, isTrue, str, type PNode, type Pos } from '../engine/yaml-tree.ts';
import type { Rule } from '../types.ts';

export const rule: Rule<IacContext> = {
  meta: {
    id: 'BWK-IAC-API-NO-AUTH',
    engine: 'iac',
    severity: 'high',
    owasp: 'SAS-2',
    cwe: ['CWE-306'],
    description: 'API Gateway routes, SAM/serverless API events and Lambda function URLs without authentication.',
    fix: 'Attach an authorizer (Cognito, JWT, Lambda or AWS_IAM) to the route or as the API\'s DefaultAuthorizer; use AuthType AWS_IAM for function URLs.',
    messages: {
      route: '{{route}} has no authorization: anyone on the internet can invoke it',
      functionUrl: 'the function URL of {{name}} has AuthType NONE: anyone on the internet can invoke it',
    },
    mitigatedBy: ['authn', 'authz'],
  },
  check(ctx) {
    const flag = (route: string, p: Pos) => ctx.report({ messageId: 'route', data: { route }, line: p.line, column: p.column });
    for (const r of ctx.resources) {
      const p = r.properties;
      if (r.type === 'AWS::ApiGateway::Method') {
        const method = str(get(p, 'HttpMethod')) ?? '?';
        if (method.toUpperCase() === 'OPTIONS' || isTrue(get(p, 'ApiKeyRequired'))) continue;
        const auth = get(p, 'AuthorizationType');
        if (auth === undefined) flag(`REST method ${r.id} (${method})`, r.keyPos);
        else if (str(auth) === 'NONE') flag(`REST method ${r.id} (${method})`, auth);
      } else if (r.type === 'AWS::ApiGatewayV2::Route') {
        const key = str(get(p, 'RouteKey')) ?? '?';
        if (key.startsWith('OPTIONS ')) continue;
        const auth = get(p, 'AuthorizationType');
        if (auth === undefined) flag(`HTTP API route ${r.id} (${key})`, r.keyPos);
        else if (str(auth) === 'NONE') flag(`HTTP API route ${r.id} (${key})`, auth);
      } else if (r.type === 'AWS::Lambda::Url') {
        const auth = get(p, 'AuthType');
        if (str(auth) === 'NONE') ctx.report({ messageId: 'functionUrl', data: { name: r.id }, line: auth!.line, column: auth!.column });
      }
    }
    for (const fn of ctx.functions) {
      if (fn.kind === 'sam') samFunction(ctx, fn, flag);
      if (fn.kind === 'serverless') serverlessFunction(ctx, fn, flag);
    }
  },
};

function samFunction(ctx: IacContext, fn: LambdaFunction, flag: (route: string, p: Pos) => void) {
  const url = get(fn.properties, 'FunctionUrlConfig');
  const urlAuth = get(url, 'AuthType');
  if (str(urlAuth) === 'NONE') ctx.report({ messageId: 'functionUrl', data: { name: fn.id }, line: urlAuth!.line, column: urlAuth!.column });
  for (const ev of samEvents(fn)) {
    if (ev.type !== 'Api' && ev.type !== 'HttpApi') continue;
    const method = (str(get(ev.properties, 'Method')) ?? 'ANY').toUpperCase();
    if (method === 'OPTIONS') continue;
    const route = `${ev.type} event ${ev.name} of ${fn.id} (${method} ${str(get(ev.properties, 'Path')) ?? '/'})`;
    const authorizer = at(ev.properties, 'Auth', 'Authorizer');
    if (authorizer !== undefined) {
      if (str(authorizer) === 'NONE') flag(route, authorizer);
      continue;
    }
    if (ev.type === 'Api' && isTrue(at(ev.properties, 'Auth', 'ApiKeyRequired'))) continue;
    const apiId = refTarget(get(ev.properties, ev.type === 'Api' ? 'RestApiId' : 'ApiId'));
    const api = apiId === undefined ? undefined : ctx.resources.find((r) => r.id === apiId)?.properties;
    const global = ev.type === 'Api' ? ctx.globals.Api : ctx.globals.HttpApi;
    if (hasDefaultAuth(api, ev.type) || hasDefaultAuth(global, ev.type)) continue;
    flag(route, ev.keyPos);
  }
}

function hasDefaultAuth(api: PNode | undefined, type: string): boolean {
  const auth = get(api, 'Auth');
  const def = get(auth, 'DefaultAuthorizer');
  if (def !== undefined && str(def) !== 'NONE') return true;
  return type === 'Api' && isTrue(get(auth, 'ApiKeyRequired'));
}

function serverlessFunction(ctx: IacContext, fn: LambdaFunction, flag: (route: string, p: Pos) => void) {
  const url = get(fn.properties, 'url');
  if (url !== undefined && (isTrue(url) || (url.type === 'map' && str(get(url, 'authorizer')) !== 'aws_iam'))) {
    ctx.report({ messageId: 'functionUrl', data: { name: fn.id }, line: url.line, column: url.column });
  }
  for (const ev of serverlessEvents(fn.properties)) {
    if (ev.type !== 'http' && ev.type !== 'httpApi') continue;
    // Short form: `http: GET /items` — no authorizer possible.
    const short = str(ev.value);
    const method = (short ? short.split(/\s+/)[0]! : str(get(ev.value, 'method')) ?? '*').toUpperCase();
    const path = short ? short.split(/\s+/)[1] ?? '/' : str(get(ev.value, 'path')) ?? '/';
    if (method === 'OPTIONS') continue;
    if (!short && (get(ev.value, 'authorizer') !== undefined || isTrue(get(ev.value, 'private')))) continue;
    flag(`${ev.type} event of ${fn.id} (${method} ${path})`, ev.keyPos);
  }
}
