// Incident notifications to one webhook (incidents.webhook), sent by the gateway process itself — never
// through a function's sandbox or its egress grants. Each delivery is a JSON POST signed like Stripe's:
//
//   X-Bulwark-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
// so a receiver can check the body is ours and fresh (docs/incidents.md has a verification example).
// The secret comes from a file or a vault secret, never from the config text. A delivery is tried up to
// maxAttempts times with doubling backoff, on network errors, timeouts, 408, 429 and 5xx; any other
// answer is final. Redirects are not followed (a redirect could send the signed body elsewhere).

import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { BulwarkError } from '../errors.ts';
import type { IncidentWebhookConfig } from '../config.ts';
import type { Logger } from '../telemetry/logger.ts';

export const SIGNATURE_HEADER = 'x-bulwark-signature';

/** The header value for `body` signed with `secret` at `t` (unix seconds). */
export function signPayload(secret: string | Uint8Array, t: number, body: string): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

export interface DeliveryOutcome {
  ok: boolean;
  attempts: number;
  /** The last HTTP status, when an answer came. */
  status?: number;
  /** Why it failed (never the secret nor the body). */
  reason?: string;
}

export interface WebhookNotifier {
  /** Host of the webhook, for the record (never the path or query, which may carry tokens). */
  readonly target: string;
  deliver(event: string, payload: Record<string, unknown>): Promise<DeliveryOutcome>;
}

export interface WebhookDeps {
  logger: Logger;
  /** Vault read for secretName. */
  readSecret: (name: string) => Promise<Uint8Array | undefined>;
  sleep?: (ms: number) => Promise<void>;
}

const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * Checks the config and reads a secret file now, so a missing or empty file stops the start rather than
 * the first notification. Throws BWK_E_CONFIG_INVALID naming the key.
 */
export function createWebhookNotifier(config: IncidentWebhookConfig, deps: WebhookDeps): WebhookNotifier {
  let fileSecret: Buffer | undefined;
  if (config.secretFile !== undefined) {
    let mode: number;
    try {
      mode = statSync(config.secretFile).mode & 0o777;
      fileSecret = Buffer.from(readFileSync(config.secretFile, 'utf8').trim(), 'utf8');
    } catch (err) {
      throw new BulwarkError('BWK_E_CONFIG_INVALID', [`incidents.webhook.secretFile cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
    }
    // Whoever can read the signing secret can forge notifications: owner-only, as the vault's key file.
    if ((mode & 0o077) !== 0) throw new BulwarkError('BWK_E_CONFIG_INVALID', [`incidents.webhook.secretFile is readable by others (mode ${mode.toString(8)}): run chmod 600 on it`]);
    if (fileSecret.length < 16) throw new BulwarkError('BWK_E_CONFIG_INVALID', ['incidents.webhook.secretFile must hold a secret of at least 16 characters']);
  }
  const target = new URL(config.url).host;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  async function secret(): Promise<Uint8Array> {
    if (fileSecret) return fileSecret;
    const value = await deps.readSecret(config.secretName!);
    if (!value || value.length === 0) throw new Error(`vault secret ${config.secretName} is not set`);
    return value;
  }

  return {
    target,
    async deliver(event, payload) {
      const delivery = randomUUID();
      const body = JSON.stringify({ event, delivery, ...payload });
      let key: Uint8Array;
      try {
        key = await secret();
      } catch (err) {
        return { ok: false, attempts: 0, reason: (err as Error).message };
      }
      let last: DeliveryOutcome = { ok: false, attempts: 0 };
      for (let attempt = 1; attempt <= config.maxAttempts; attempt++) {
        if (attempt > 1) await sleep(config.backoffMs * 2 ** (attempt - 2));
        const t = Math.floor(Date.now() / 1000);
        try {
          const res = await fetch(config.url, {
            method: 'POST',
            redirect: 'manual',
            signal: AbortSignal.timeout(config.timeoutMs),
            headers: {
              'content-type': 'application/json',
              'user-agent': 'bulwark-incidents',
              'x-bulwark-event': event,
              'x-bulwark-delivery': delivery,
              [SIGNATURE_HEADER]: signPayload(key, t, body),
            },
            body,
          });
          // The answer's body is not wanted; reading it frees the connection.
          await res.arrayBuffer().catch(() => undefined);
          if (res.status >= 200 && res.status < 300) return { ok: true, attempts: attempt, status: res.status };
          last = { ok: false, attempts: attempt, status: res.status, reason: `HTTP ${res.status}` };
          if (!retryable(res.status)) return last;
        } catch (err) {
          const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${config.timeoutMs} ms` : `request failed (${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name})`;
          last = { ok: false, attempts: attempt, reason };
        }
        deps.logger.warn({ webhook: target, delivery, attempt, reason: last.reason }, 'incident webhook delivery failed');
      }
      return last;
    },
  };
}
