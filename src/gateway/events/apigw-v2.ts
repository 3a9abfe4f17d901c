// AWS API Gateway HTTP API payload format 2.0 — what an existing Lambda behind an HTTP API reads.
// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
// Differences, on purpose: rawPath is the path under /fn/<name> (what the trigger paths describe),
// stage is always "$default", and the caller's credential headers are not forwarded (request.ts).

import type { Principal } from '../../auth/principal.ts';
import { clfTime, encodeBody, forwardedHeaders, routeKey, type RequestFacts } from './request.ts';

export interface ApiGwV2Event {
  version: '2.0';
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  headers: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  pathParameters?: Record<string, string>;
  requestContext: {
    accountId: string;
    apiId: string;
    domainName: string;
    domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    routeKey: string;
    stage: '$default';
    time: string;
    timeEpoch: number;
    authorizer?: Record<string, unknown>;
  };
  body?: string;
  isBase64Encoded: boolean;
}

/** JWT callers look like an HTTP API JWT authorizer; API-key callers like a Lambda authorizer context. */
function authorizer(p: Principal): Record<string, unknown> | undefined {
  if (p.kind === 'jwt') return { jwt: { claims: p.claims ?? {}, scopes: null }, principalId: p.actor };
  if (p.kind === 'api-key') return { lambda: { principalId: p.actor, keyId: p.keyId, roles: p.roles, functions: p.functions } };
  return undefined;
}

export function buildV2Event(facts: RequestFacts): ApiGwV2Event {
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, values] of Object.entries(forwardedHeaders(facts))) {
    // 2.0 moves cookies out of the headers into their own list.
    if (name === 'cookie') cookies = values.flatMap((v) => v.split(/;\s*/)).filter((c) => c !== '');
    else headers[name] = values.join(',');
  }
  const query = facts.query;
  const host = facts.domainName;
  const { body, isBase64Encoded } = encodeBody(facts);
  const key = routeKey(facts.trigger);
  const event: ApiGwV2Event = {
    version: '2.0',
    routeKey: key,
    rawPath: facts.rawPath,
    rawQueryString: facts.rawQueryString,
    headers,
    requestContext: {
      accountId: 'bulwark',
      apiId: facts.functionName,
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method: facts.method,
        path: facts.rawPath,
        protocol: facts.protocol,
        sourceIp: facts.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: facts.requestId,
      routeKey: key,
      stage: '$default',
      time: clfTime(facts.timeEpoch),
      timeEpoch: facts.timeEpoch,
    },
    isBase64Encoded,
  };
  if (cookies && cookies.length > 0) event.cookies = cookies;
  if (query.size > 0) event.queryStringParameters = Object.fromEntries([...query].map(([k, v]) => [k, v.join(',')]));
  if (Object.keys(facts.pathParameters).length > 0) event.pathParameters = { ...facts.pathParameters };
  const auth = authorizer(facts.principal);
  if (auth) event.requestContext.authorizer = auth;
  if (body !== undefined) event.body = body;
  return event;
}
