// The CLI's only way to the platform: HTTP to the admin API and to function routes. The gateway URL and
// API key come from BULWARK_URL / BULWARK_API_KEY or $BULWARK_HOME/credentials.json, never from a flag
// (a key on the command line lands in shell history and in `ps`). The key is never printed.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BulwarkError } from '../errors.ts';
import { resolveHome } from '../config.ts';

export const defaultUrl = 'http://127.0.0.1:8787';

export interface Target {
  url: string;
  /** Undefined when no key is configured; requests that need one fail with BWK_E_CLI_NO_CREDENTIALS. */
  apiKey: string | undefined;
  credentialsFile: string;
}

/** An error the gateway answered with: its own code, message and request id, shown as they are. */
export class RemoteError extends Error {
  readonly code: string;
  readonly status: number;
  readonly requestId: string;

  constructor(status: number, body: { code: string; message: string; requestId: string }) {
    super(body.message);
    this.name = 'RemoteError';
    this.code = body.code;
    this.status = status;
    this.requestId = body.requestId;
  }
}

export function credentialsPath(env: NodeJS.ProcessEnv): string {
  return join(resolveHome(env), 'credentials.json');
}

export function resolveTarget(env: NodeJS.ProcessEnv): Target {
  const credentialsFile = credentialsPath(env);
  let stored: { url?: unknown; apiKey?: unknown } = {};
  if (existsSync(credentialsFile)) {
    try {
      stored = JSON.parse(readFileSync(credentialsFile, 'utf8'));
    } catch {
      throw new BulwarkError('BWK_E_CLI_CREDENTIALS_INVALID', [credentialsFile]);
    }
    if (typeof stored !== 'object' || stored === null) throw new BulwarkError('BWK_E_CLI_CREDENTIALS_INVALID', [credentialsFile]);
  }
  const url = (env.BULWARK_URL || (typeof stored.url === 'string' ? stored.url : '') || defaultUrl).replace(/\/+$/, '');
  const apiKey = env.BULWARK_API_KEY || (typeof stored.apiKey === 'string' ? stored.apiKey : undefined);
  return { url, apiKey, credentialsFile };
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
}

export interface Client {
  readonly url: string;
  /** Calls the admin API; returns the parsed JSON body, throws RemoteError on an error answer. */
  admin<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** A raw request to any gateway path with the API key attached; the answer is returned whatever its status. */
  send(method: string, path: string, init?: { body?: string; headers?: Record<string, string> }): Promise<HttpAnswer>;
}

export function createClient(target: Target, opts: { requireKey?: boolean } = {}): Client {
  if (opts.requireKey !== false && !target.apiKey) {
    throw new BulwarkError('BWK_E_CLI_NO_CREDENTIALS', [target.credentialsFile]);
  }
  async function send(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
    const headers: Record<string, string> = { ...init.headers };
    if (target.apiKey) headers.authorization = `Bearer ${target.apiKey}`;
    let res: Response;
    try {
      res = await fetch(target.url + path, { method, headers, body: init.body, redirect: 'manual' });
    } catch (err) {
      throw new BulwarkError('BWK_E_CLI_UNREACHABLE', [target.url], { cause: String((err as Error).cause ?? err) });
    }
    return { status: res.status, headers: res.headers, text: await res.text() };
  }
  return {
    url: target.url,
    send,
    async admin<T>(method: string, path: string, body?: unknown): Promise<T> {
      const answer = await send(method, path, body === undefined ? {} : {
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
      const remote = parseErrorBody(answer);
      if (remote) throw remote;
      if (answer.status >= 400) {
        throw new BulwarkError('BWK_E_CLI_REMOTE', [`gateway answered HTTP ${answer.status} to ${method} ${path}`]);
      }
      if (answer.status === 204 || answer.text === '') return undefined as T;
      try {
        return JSON.parse(answer.text) as T;
      } catch {
        throw new BulwarkError('BWK_E_CLI_REMOTE', [`gateway answered ${method} ${path} with a body that is not JSON`]);
      }
    },
  };
}

/** A request body as `bulwark invoke` sends it; read from --data by readPayload. */
export interface Payload {
  body: string | undefined;
  contentType: string | undefined;
}

/** Calls a function route, `/fn/<name><path>` (path "/" is the function's root); the answer whatever its status. */
export function invokeFunction(client: Client, name: string, method: string, path: string, payload: Payload): Promise<HttpAnswer> {
  const headers: Record<string, string> = {};
  if (payload.contentType) headers['content-type'] = payload.contentType;
  return client.send(method, `/fn/${encodeURIComponent(name)}${path === '/' ? '' : path}`, { body: payload.body, headers });
}

/** A RemoteError when the answer is the platform's error shape, else undefined. */
export function parseErrorBody(answer: HttpAnswer): RemoteError | undefined {
  if (answer.status < 400) return undefined;
  try {
    const body = JSON.parse(answer.text) as { error?: { code?: unknown; message?: unknown; requestId?: unknown } };
    const e = body?.error;
    if (e && typeof e.code === 'string' && typeof e.message === 'string') {
      return new RemoteError(answer.status, { code: e.code, message: e.message, requestId: String(e.requestId ?? '') });
    }
  } catch {
    // not JSON: the caller decides what a bare error status means
  }
  return undefined;
}
