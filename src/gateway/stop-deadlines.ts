// Node enforces headersTimeout and requestTimeout with a timer that server.close() clears
// (httpServerPreClose in lib/_http_server.js). From the moment a stop begins, a client dripping its
// headers or its body (slowloris, slow POST) would hold its connection, and with it the stop, open for as
// long as it likes. This keeps both deadlines while the server stops; before that, Node's own checks run.

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface StopDeadlineLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** How often the deadlines are checked once the stop has begun (Node's connectionsCheckingInterval). */
  checkEveryMs: number;
}

/** The request a connection is on, or last was on, and when its headers were complete. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  at: number;
}

export interface StopDeadlines {
  /** From the request handler, for every request: one map write, no listener. */
  requestStarted(req: IncomingMessage, res: ServerResponse): void;
  /** When the stop begins: from here, connections that overrun the deadlines are destroyed. */
  enforce(): void;
}

export function trackStopDeadlines(server: Server, limits: StopDeadlineLimits): StopDeadlines {
  const connections = new Map<Socket, Exchange | undefined>();
  server.on('connection', (socket: Socket) => {
    connections.set(socket, undefined);
    socket.once('close', () => connections.delete(socket));
  });
  let timer: NodeJS.Timeout | undefined;
  server.once('close', () => clearInterval(timer));

  const check = (stopBegan: number): void => {
    const now = performance.now();
    for (const [socket, exchange] of connections) {
      if (!exchange || exchange.res.writableFinished) {
        // Between requests: a request's headers still arriving (an idle connection was closed when the
        // stop began). Its clock starts at the stop, since when its first byte came is not known here.
        if (now - stopBegan > limits.headersTimeoutMs) socket.destroy();
      } else if (!exchange.req.complete && now - exchange.at > limits.requestTimeoutMs) {
        // A body still arriving. A request whose body is in is left to its answer, which the function's
        // timeout bounds.
        socket.destroy();
      }
    }
  };

  return {
    requestStarted(req, res) {
      connections.set(req.socket, { req, res, at: performance.now() });
    },
    enforce() {
      if (timer) return;
      const stopBegan = performance.now();
      timer = setInterval(() => check(stopBegan), limits.checkEveryMs);
      timer.unref();
    },
  };
}
