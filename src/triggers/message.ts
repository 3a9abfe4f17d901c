// What a queue message carries besides its payload, in bus headers (NATS headers on a NATS bus): its id,
// when and by whom it was published, and from which client address. The publish route writes them
// (src/gateway/admin/publish.ts); the queue consumer reads them back. Reading never trusts the headers'
// shape: a message without a well-formed publisher arrives with no principal, and the authn guard
// refuses it (it is dead-lettered, not lost).
//
// On the in-process bus only the gateway itself can publish. A networked bus must restrict who may
// publish on application subjects to the gateways, or these headers could be forged (see docs/auth.md).

import { randomUUID } from 'node:crypto';
import type { BusMessage } from '../bus/bus.ts';
import { isRole } from '../auth/roles.ts';
import type { Principal } from '../auth/principal.ts';
import { NO_CLIENT_IP } from '../guards/types.ts';

const HEADER = {
  id: 'bulwark-message-id',
  publishedAt: 'bulwark-published-at',
  publisher: 'bulwark-publisher',
  sourceIp: 'bulwark-source-ip',
  requestId: 'bulwark-request-id',
} as const;

export interface Publication {
  messageId: string;
  /** Epoch ms. */
  publishedAt: number;
  /** The authenticated publisher; undefined when the headers do not name one properly. */
  publisher: Principal | undefined;
  /** The client address the publish API was called from. */
  sourceIp: string;
  /** The publish request's id, which ties the message to the gateway log line of its publication. */
  requestId: string;
}

/** The bus message for `payload` (any JSON value) published by `publisher`. */
export function encodeMessage(subject: string, payload: unknown, p: { publisher: Principal; sourceIp: string; requestId: string }): { message: BusMessage; messageId: string } {
  const messageId = randomUUID();
  // Only what authorisation and the check at delivery need: claims (a JWT's) stay out of the bus.
  const publisher = {
    kind: p.publisher.kind, actor: p.publisher.actor, roles: p.publisher.roles, functions: p.publisher.functions, expiresAt: p.publisher.expiresAt ?? null,
  };
  return {
    messageId,
    message: {
      subject,
      data: Buffer.from(JSON.stringify(payload)),
      headers: {
        [HEADER.id]: messageId,
        [HEADER.publishedAt]: String(Date.now()),
        [HEADER.publisher]: JSON.stringify(publisher),
        [HEADER.sourceIp]: p.sourceIp,
        [HEADER.requestId]: p.requestId,
      },
    },
  };
}

const stringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

function readPublisher(header: string | undefined): Principal | undefined {
  if (header === undefined) return undefined;
  try {
    const p = JSON.parse(header) as Record<string, unknown>;
    if ((p.kind !== 'api-key' && p.kind !== 'jwt') || typeof p.actor !== 'string' || !stringList(p.functions)) return undefined;
    if (!stringList(p.roles) || !p.roles.every(isRole)) return undefined;
    // A JWT cannot be looked up again at delivery, only its expiry checked: a JWT publisher without one is none.
    const expiresAt = typeof p.expiresAt === 'string' && Number.isFinite(Date.parse(p.expiresAt)) ? p.expiresAt : null;
    if (p.kind === 'jwt' && expiresAt === null) return undefined;
    return { kind: p.kind, actor: p.actor, roles: p.roles, functions: p.functions, expiresAt };
  } catch {
    return undefined;
  }
}

export function decodePublication(message: BusMessage): Publication {
  const h = message.headers;
  const publishedAt = Number(h[HEADER.publishedAt]);
  return {
    messageId: h[HEADER.id] || randomUUID(),
    publishedAt: Number.isFinite(publishedAt) ? publishedAt : Date.now(),
    publisher: readPublisher(h[HEADER.publisher]),
    sourceIp: h[HEADER.sourceIp] || NO_CLIENT_IP,
    requestId: h[HEADER.requestId] || '-',
  };
}
