// Lambda-style handler receiving the API Gateway 2.0 (HTTP API) event: GET /?name=Ada or POST {"name":"Ada"}.
// The types below are the few fields this handler reads, declared here so the example stands alone.

interface HttpApiEvent {
  requestContext: { http: { method: string } };
  queryStringParameters?: Record<string, string>;
  body?: string;
  isBase64Encoded: boolean;
}

interface Context {
  requestId: string;
  log: { info(message: string, fields?: Record<string, unknown>): void };
}

export const handler = async (event: HttpApiEvent, context: Context) => {
  let name = event.queryStringParameters?.name;
  if (event.requestContext.http.method === 'POST' && event.body) {
    const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    try {
      name = (JSON.parse(text) as { name?: string }).name;
    } catch {
      return { statusCode: 400, body: JSON.stringify({ message: 'body must be JSON like {"name":"Ada"}' }) };
    }
  }
  const who = typeof name === 'string' && name.length > 0 ? name.slice(0, 100) : 'world';
  context.log.info('said hello', { who });
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: `Hello, ${who}!`, requestId: context.requestId }),
  };
};
