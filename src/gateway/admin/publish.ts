// POST /admin/v1/publish {subject, payload}: puts an application message on the bus for the functions
// whose queue triggers consume `subject` (src/triggers/). Action `publish` (the roles that may invoke),
// and the publisher must be allowed to invoke every consuming function: a message is input to each of
// them. The authz guard checks that again at delivery, for every consumer, with the same principal.
//
// The body is read as text and parsed here, in a scope of its own: fastify's JSON parser refuses a
// `__proto__` key outright, and a payload must reach the guard chain (injection detection, the dead-letter
// record) as the publisher wrote it. The payload travels as its JSON text; nothing here evaluates it.
// Bodies are bounded by triggers.maxMessageBytes (plus room for the envelope) before they are read.

import type { FastifyInstance } from 'fastify';
import { BulwarkError } from '../../errors.ts';
import type { EventBus } from '../../bus/bus.ts';
import { subjectProblem } from '../../bus/subject.ts';
import { mayPerform } from '../../auth/principal.ts';
import { encodeMessage } from '../../triggers/message.ts';
import type { Logger } from '../../telemetry/logger.ts';
import type { AdminAccess } from './access.ts';
import { principalOf } from './principal.ts';

export interface PublishDeps {
  bus: EventBus;
  /** Active functions consuming a subject (src/triggers/index.ts). */
  consumersOf(subject: string): Promise<string[]>;
  access: AdminAccess;
  logger: Logger;
  maxMessageBytes: number;
}

/** Room for `{"subject": …, "payload": …}` around the payload, and whitespace. */
const ENVELOPE_BYTES = 1024;

function readEnvelope(text: string): { subject: string; payload: unknown } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', ['the body is not valid JSON']);
  }
  const shape = 'the body must be {"subject": "<subject>", "payload": <any JSON value>} and nothing else';
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', [shape]);
  const keys = Object.keys(body);
  const envelope = body as { subject?: unknown; payload?: unknown };
  if (keys.length !== 2 || !Object.hasOwn(body, 'subject') || !Object.hasOwn(body, 'payload') || typeof envelope.subject !== 'string') {
    throw new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', [shape]);
  }
  return { subject: envelope.subject, payload: envelope.payload };
}

export async function registerPublishRoutes(app: FastifyInstance, deps: PublishDeps): Promise<void> {
  const { access } = deps;
  await app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => done(null, text));

    scope.post('/publish', { config: { action: 'publish' }, bodyLimit: deps.maxMessageBytes + ENVELOPE_BYTES }, async (request, reply) => {
      const principal = principalOf(request);
      if (typeof request.body !== 'string') throw new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', ['a JSON body {"subject", "payload"} is required']);
      const { subject, payload } = readEnvelope(request.body);
      const problem = subjectProblem(subject);
      if (problem) throw new BulwarkError('BWK_E_BUS_SUBJECT_INVALID', [problem]);
      const bytes = Buffer.byteLength(JSON.stringify(payload));
      if (bytes > deps.maxMessageBytes) throw new BulwarkError('BWK_E_BUS_MESSAGE_TOO_LARGE', [deps.maxMessageBytes], { bytes });

      const consumers = await deps.consumersOf(subject);
      if (consumers.length === 0) throw new BulwarkError('BWK_E_BUS_NO_CONSUMER', [subject]);
      // Which consumers are out of scope is not said: they may be functions the caller cannot see.
      if (!consumers.every((fn) => mayPerform(principal, 'invoke', fn))) {
        await access.refuse(request, principal, 'publish', `publish to ${subject}: you may not invoke every function consuming it`);
      }

      const { message, messageId } = encodeMessage(subject, payload, { publisher: principal, sourceIp: request.clientIp, requestId: request.id });
      await deps.bus.publishMessage(message);
      deps.logger.info({ requestId: request.id, messageId, subject, functions: consumers, actor: principal.actor, bytes }, 'message published');
      return reply.code(202).send({ messageId, subject, functions: consumers });
    });
  });
}
