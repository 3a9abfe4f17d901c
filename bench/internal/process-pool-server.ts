// Scenario (e) of bench/run.ts, the architecture's floor: what a process-per-invocation design reaches
// on this machine with nothing else in the way. A node:http server hands each request to one of a pool
// of plain `node` child processes (no permission model, no bubblewrap, no auth, no guards, no logs) as
// one JSON line on a pipe, one invocation per process at a time, and answers with the JSON line it gets
// back. Its handler does what examples/hello does with a POST. It is a peer, not Bulwark: it shows how
// much of the distance between (a) and (b) is the process hop itself and how much is the gateway.
//
//   node bench/internal/process-pool-server.ts [--workers 10]    prints {"url": …} and serves until SIGTERM

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { workers: { type: 'string', default: '10' } } });
const WORKER = String.raw`
let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  let nl;
  while ((nl = buffered.indexOf('\n')) >= 0) {
    const event = JSON.parse(buffered.slice(0, nl));
    buffered = buffered.slice(nl + 1);
    let who = 'world';
    try { const n = JSON.parse(event.body).name; if (typeof n === 'string') who = n.slice(0, 100); } catch {}
    process.stdout.write(JSON.stringify({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'Hello, ' + who + '!' }) }) + '\n');
  }
});
process.stdin.on('end', () => process.exit(0));
`;

interface Result { statusCode: number; headers: Record<string, string>; body: string }
interface Job { event: unknown; done: (r: Result) => void }
interface PoolWorker { child: ChildProcess; job: Job | undefined; buffered: string }

const idle: PoolWorker[] = [];
const queue: Job[] = [];

function start(w: PoolWorker, job: Job): void {
  w.job = job;
  w.child.stdin!.write(`${JSON.stringify(job.event)}\n`);
}

for (let i = 0; i < Number(values.workers); i++) {
  const w: PoolWorker = { child: spawn(process.execPath, ['--input-type=commonjs', '-e', WORKER], { stdio: ['pipe', 'pipe', 'inherit'], env: {} }), job: undefined, buffered: '' };
  w.child.stdout!.setEncoding('utf8');
  w.child.stdout!.on('data', (chunk: string) => {
    w.buffered += chunk;
    let nl;
    while ((nl = w.buffered.indexOf('\n')) >= 0) {
      const result = JSON.parse(w.buffered.slice(0, nl)) as Result;
      w.buffered = w.buffered.slice(nl + 1);
      const job = w.job!;
      const next = queue.shift();
      if (next) start(w, next);
      else { w.job = undefined; idle.push(w); }
      job.done(result);
    }
  });
  idle.push(w);
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const event = { rawPath: req.url, headers: req.headers, requestContext: { http: { method: req.method } }, body: Buffer.concat(chunks).toString('utf8') };
    const job: Job = { event, done: (r) => res.writeHead(r.statusCode, r.headers).end(r.body) };
    const w = idle.pop();
    if (w) start(w, job);
    else queue.push(job);
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${address.port}` }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
