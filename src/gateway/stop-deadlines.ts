// Node enforces headersTimeout and requestTimeout with a timer that server.close() clears
// (httpServerPreClose in lib/_http_server.js). From the moment a stop begins, a client dripping its
// headers or its body (slowloris, slow POST) would hold its connection, and with it the stop, open for as
// long as it likes. This keeps both deadlines while the server stops; before that, Node's own checks run.
// Not covered, as in Node: a client that stops reading an answer larger than the kernel's buffers.

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface StopDeadlineLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** How often the deadlines are checked once the stop has begun (Node's connectionsCheckingInterval). */
  checkEveryMs: number;
}

export interface StopDeadlines {
  /** From the request handler, for every request: one map write, no listener, no clock read. */
  requestStarted(req: IncomingMessage, res: ServerResponse): void;
  /** When the stop begins: from here, connections that overrun the deadlines are closed. */
  enforce(): void;
}

export function trackStopDeadlines(server: Server, limits: StopDeadlineLimits): StopDeadlines {
  /** Each connection's answer to the request it is on, or last was on (res.req is that request). */
  const connections = new Map<Socket, ServerResponse | undefined>();
  server.on('connection', (socket: Socket) => {
    connections.set(socket, undefined);
    socket.once('close', () => connections.delete(socket));
  });
  /** Connections answered 408 by a check: the next check closes them if the client has not. */
  const timedOut = new WeakSet<Socket>();
  let timer: NodeJS.Timeout | undefined;
  server.once('close', () => clearInterval(timer));

  // Between requests, the same answer as Node's own deadline gives (error-reply.ts's clientError
  // handler: 408 in the one error shape, logged), then the connection is closed at the next check
  // whatever the client does. Every earlier answer on it is out, and a request completed meanwhile gets
  // 503 BWK_E_GATEWAY_STOPPING, never the function.
  const timeOut = (socket: Socket): void => {
    timedOut.add(socket);
    server.emit('clientError', Object.assign(new Error('request timed out while the gateway stops'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), socket);
  };

  const check = (stopBegan: number): void => {
    const now = performance.now();
    // Both clocks start at the stop: when a request's first byte came is not known here, and reading the
    // clock for every request to know when its headers did would cost the requests that are never cut.
    for (const [socket, res] of connections) {
      if (timedOut.has(socket)) {
        socket.destroy();
      } else if (!res || res.writableFinished) {
        // Between requests: a request's headers still arriving (an idle connection was closed when the
        // stop began).
        if (now - stopBegan > limits.headersTimeoutMs) timeOut(socket);
      } else if (!res.req.complete && now - stopBegan > limits.requestTimeoutMs) {
        // A body still arriving: closed with no answer, since the answer to a request pipelined before
        // it may still be going out, and a body completed after a 408 must not reach the function. A
        // request whose body is in is left to its answer, which the function's timeout bounds.
        socket.destroy();
      }
    }
  };

  return {
    requestStarted(req, res) {
      // A connection closed meanwhile is not tracked again.
      if (connections.has(req.socket)) connections.set(req.socket, res);
    },
    enforce() {
      if (timer) return;
      const stopBegan = performance.now();
      timer = setInterval(() => check(stopBegan), limits.checkEveryMs);
      timer.unref();
    },
  };
}
