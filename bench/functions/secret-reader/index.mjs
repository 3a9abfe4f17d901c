// GET /      → reads BENCH_TOKEN `n` times (?n=, default 20), answers the µs each read took.
// GET /plain → reads nothing: the same invocation without the capability, for the direct comparison.
export const handler = async (event, context) => {
  if (event.rawPath === '/plain') return { statusCode: 200, body: '[]' };
  const n = Number(event.queryStringParameters?.n ?? 20);
  const micros = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const value = await context.secrets.get('BENCH_TOKEN');
    micros.push((performance.now() - t0) * 1000);
    if (typeof value !== 'string') throw new Error('no secret');
  }
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(micros) };
};
