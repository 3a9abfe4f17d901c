export const handler = async (event, context) => {
  const n = Number(event.queryStringParameters?.n ?? 1);
  const micros = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const answer = await context.invoke('callee', { i });
    micros.push((performance.now() - t0) * 1000);
    if (answer.statusCode !== 200) throw new Error(`callee answered ${answer.statusCode}`);
  }
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(micros) };
};
