// Fetches an upstream through context.fetch, the only network a function has: the broker in the gateway
// makes the request if the manifest allows the host:port, and refuses it otherwise. GET /?url=... picks
// another URL, to see the refusal for a host that is not listed: context.fetch rejects, and this handler
// answers 403 with the broker's reason.

interface HttpApiEvent {
  queryStringParameters?: Record<string, string>;
}

interface Context {
  requestId: string;
  fetch(url: string, init?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<Response>;
  log: { info(message: string, fields?: Record<string, unknown>): void };
}

const upstream = 'http://127.0.0.1:8799/';

export const handler = async (event: HttpApiEvent, context: Context) => {
  const url = event.queryStringParameters?.url ?? upstream;
  let res: Response;
  try {
    res = await context.fetch(url, { headers: { accept: 'application/json, text/plain' } });
  } catch (err) {
    context.log.info('fetch refused or failed', { url });
    return { statusCode: 403, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ upstream: url, refused: (err as Error).message }) };
  }
  const text = await res.text();
  context.log.info('fetched', { url, status: res.status, bytes: text.length });
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ upstream: url, status: res.status, body: text.slice(0, 1000) }),
  };
};
