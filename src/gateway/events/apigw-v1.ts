// AWS API Gateway REST API payload format 1.0 — selected per function with runtime.payloadFormat: "1.0"
// for handlers that read resource/httpMethod/multiValueHeaders.
// https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
// As in AWS, empty maps are null and single-value maps hold the last value of a repeated name.

import type { Principal } from '../../auth/principal.ts';
import { clfTime, encodeBody, forwardedHeaders, type RequestFacts } from './request.ts';

export interface ApiGwV1Event {
  version: '1.0';
  resource: string;
  path: string;
  httpMethod: string;
  headers: Record<string, string> | null;
  multiValueHeaders: Record<string, string[]> | null;
  queryStringParameters: Record<string, string> | null;
  multiValueQueryStringParameters: Record<string, string[]> | null;
  pathParameters: Record<string, string> | null;
  stageVariables: null;
  requestContext: {
    accountId: string;
    apiId: string;
    resourceId: string;
    resourcePath: string;
    httpMethod: string;
    path: string;
    protocol: string;
    stage: '$default';
    domainName: string;
    domainPrefix: string;
    requestId: string;
    extendedRequestId: string;
    requestTime: string;
    requestTimeEpoch: number;
    identity: { sourceIp: string; userAgent: string | null; apiKeyId: string | null; caller: string | null };
    authorizer: Record<string, unknown> | null;
  };
  body: string | null;
  isBase64Encoded: boolean;
}

/** REST API authorizer context: principalId plus Cognito-style claims for JWT callers. */
function authorizer(p: Principal): Record<string, unknown> | null {
  if (p.kind === 'jwt') return { principalId: p.actor, claims: p.claims ?? {} };
  if (p.kind === 'api-key') return { principalId: p.actor, keyId: p.keyId, roles: p.roles.join(','), functions: p.functions.join(',') };
  return null;
}

function orNull<T>(o: Record<string, T>): Record<string, T> | null {
  return Object.keys(o).length > 0 ? o : null;
}

export function buildV1Event(facts: RequestFacts): ApiGwV1Event {
  const multiValueHeaders = forwardedHeaders(facts);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(multiValueHeaders)) headers[k] = v[v.length - 1]!;
  const query = facts.query;
  const multiQuery = Object.fromEntries(query);
  const singleQuery = Object.fromEntries([...query].map(([k, v]) => [k, v[v.length - 1]!]));
  const { body, isBase64Encoded } = encodeBody(facts);
  const host = facts.domainName;
  return {
    version: '1.0',
    resource: facts.trigger.path,
    path: facts.rawPath,
    httpMethod: facts.method,
    headers: orNull(headers),
    multiValueHeaders: orNull(multiValueHeaders),
    queryStringParameters: orNull(singleQuery),
    multiValueQueryStringParameters: orNull(multiQuery),
    pathParameters: orNull({ ...facts.pathParameters }),
    stageVariables: null,
    requestContext: {
      accountId: 'bulwark',
      apiId: facts.functionName,
      resourceId: facts.trigger.path,
      resourcePath: facts.trigger.path,
      httpMethod: facts.method,
      path: facts.rawPath,
      protocol: facts.protocol,
      stage: '$default',
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      requestId: facts.requestId,
      extendedRequestId: facts.requestId,
      requestTime: clfTime(facts.timeEpoch),
      requestTimeEpoch: facts.timeEpoch,
      identity: {
        sourceIp: facts.sourceIp,
        userAgent: headers['user-agent'] ?? null,
        apiKeyId: facts.principal.keyId ?? null,
        caller: facts.principal.kind === 'anonymous' ? null : facts.principal.actor,
      },
      authorizer: authorizer(facts.principal),
    },
    body: body ?? null,
    isBase64Encoded,
  };
}
