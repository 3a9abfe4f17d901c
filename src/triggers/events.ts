// The events a handler receives from a queue or a schedule trigger, shaped like their AWS counterparts so a
// Lambda handler written for SQS or EventBridge runs unchanged (docs/lifecycle.md shows both):
//  - queue: an SQS record batch of one record. `body` is the payload's JSON text; `attributes` carries
//    the subject, the attempt count, the publish time and the publisher.
//  - schedule: an EventBridge "Scheduled Event"; `detail` is the trigger's payload ({} by default).

import { createHash } from 'node:crypto';

export interface QueueRecordFacts {
  messageId: string;
  subject: string;
  /** The payload as JSON text. */
  body: string;
  /** Epoch ms of the publication. */
  publishedAt: number;
  /** Which delivery this is, from 1. */
  attempt: number;
  /** When this delivery started, epoch ms. */
  firstAttemptAt: number;
  /** The publisher's actor id ('key:<id>', 'jwt:<sub>'). */
  publisher: string;
  functionName: string;
}

export function buildQueueEvent(f: QueueRecordFacts) {
  return {
    Records: [{
      messageId: f.messageId,
      receiptHandle: f.messageId,
      body: f.body,
      attributes: {
        subject: f.subject,
        ApproximateReceiveCount: String(f.attempt),
        SentTimestamp: String(f.publishedAt),
        SenderId: f.publisher,
        ApproximateFirstReceiveTimestamp: String(f.firstAttemptAt),
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(f.body).digest('hex'),
      eventSource: 'bulwark:queue',
      eventSourceARN: `bulwark:queue:${f.subject}`,
      awsRegion: 'local',
    }],
  };
}

export interface ScheduledEventFacts {
  /** The run's id: the same for every attempt of one run. */
  id: string;
  /** The time the run was due, epoch ms. */
  scheduledAt: number;
  functionName: string;
  /** Which of the function's schedule triggers fired: its index among them, from 0. */
  triggerIndex: number;
  payload: Record<string, unknown>;
}

export function buildScheduledEvent(f: ScheduledEventFacts) {
  return {
    version: '0',
    id: f.id,
    'detail-type': 'Scheduled Event',
    source: 'bulwark.scheduler',
    account: 'bulwark',
    time: new Date(f.scheduledAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'local',
    resources: [`bulwark:schedule:${f.functionName}/${f.triggerIndex}`],
    detail: f.payload,
  };
}
