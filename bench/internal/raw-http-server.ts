// Baseline (a): the least a Node.js HTTP function server can do. It parses the same 1 KB JSON body
// and answers the same JSON the hello example returns, with no auth, no sandbox and no guards.

import { createServer } from 'node:http';

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let who = 'world';
    if (chunks.length > 0) {
      try {
        const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { name?: unknown };
        if (typeof parsed.name === 'string') who = parsed.name.slice(0, 100);
      } catch {
        res.writeHead(400).end();
        return;
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: `Hello, ${who}!` }));
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${address.port}` }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
// The driver holds our stdin open: when it dies, so do we.
process.stdin.on('end', () => process.exit(0)).resume();
