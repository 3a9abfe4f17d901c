// Answers the same small JSON whoever calls it.
export const handler = async () => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' });
