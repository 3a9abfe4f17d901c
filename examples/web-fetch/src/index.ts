// Web-standard handler: a Request in, a Response out. Echoes what it received, uppercased.

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const text = request.method === 'GET' || request.method === 'HEAD' ? url.searchParams.get('text') ?? '' : await request.text();
    return Response.json({ method: request.method, path: url.pathname, echo: text.toUpperCase() });
  },
};
