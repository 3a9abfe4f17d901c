// `bulwark audit export --syslog`: audit records as RFC 5424 syslog messages to a collector, over UDP
// (one datagram per message, RFC 5426) or TCP with octet-counting framing (RFC 5425 §4.3, RFC 6587).
// Facility 13 ("log audit"); severity notice for what happened, warning for refusals and failures.

import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { BulwarkError } from '../errors.ts';
import type { AuditRecord } from '../store/store.ts';

const FACILITY_LOG_AUDIT = 13;
const SEVERITY_WARNING = 4;
const SEVERITY_NOTICE = 5;
/** Our private enterprise number placeholder for structured data ids (RFC 5424 §7.2.2 example number). */
const SD_ID = 'bulwark@32473';

export interface SyslogTarget {
  transport: 'udp' | 'tcp';
  host: string;
  port: number;
}

/** `udp://host:port`, `tcp://host:port` or `host:port` (UDP). Throws BWK_E_CLI_USAGE when malformed. */
export function parseSyslogTarget(text: string): SyslogTarget {
  const m = /^(?:(udp|tcp):\/\/)?(\[[0-9a-fA-F:.]+\]|[^:/\s]+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) {
    throw new BulwarkError('BWK_E_CLI_USAGE', [`--syslog must be udp://host:port, tcp://host:port or host:port, got "${text}"`]);
  }
  return { transport: (m[1] as 'udp' | 'tcp' | undefined) ?? 'udp', host: m[2]!.replace(/^\[|\]$/g, ''), port };
}

/** Escapes a structured-data parameter value (RFC 5424 §6.3.3): `"`, `\` and `]`. */
function sdValue(v: string): string {
  return v.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** A printable-ASCII header field of at most `max` characters, '-' when empty (RFC 5424 §6.2). */
function headerField(v: string, max: number): string {
  const clean = v.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return clean === '' ? '-' : clean;
}

export function formatSyslog(r: AuditRecord, host = hostname()): string {
  const severity = r.outcome === 'ok' ? SEVERITY_NOTICE : SEVERITY_WARNING;
  const sd = `[${SD_ID} seq="${r.seq}" actor="${sdValue(r.actor)}" target="${sdValue(r.target)}" outcome="${sdValue(r.outcome)}"`
    + `${r.requestId ? ` requestId="${sdValue(r.requestId)}"` : ''}${r.sourceIp ? ` sourceIp="${sdValue(r.sourceIp)}"` : ''} hash="${r.hash}"]`;
  return `<${FACILITY_LOG_AUDIT * 8 + severity}>1 ${r.at} ${headerField(host, 255)} bulwark - ${headerField(r.action, 32)} ${sd} ${r.details}`;
}

export interface SyslogSender {
  send(message: string): Promise<void>;
  close(): Promise<void>;
}

function failed(target: SyslogTarget, err: unknown): BulwarkError {
  return new BulwarkError('BWK_E_AUDIT_SYSLOG_FAILED', [`${target.transport}://${target.host}:${target.port}`, String((err as Error)?.message ?? err)]);
}

export async function openSyslogSender(target: SyslogTarget): Promise<SyslogSender> {
  return target.transport === 'udp' ? openUdp(target) : openTcp(target);
}

async function openUdp(target: SyslogTarget): Promise<SyslogSender> {
  const socket = createSocket(target.host.includes(':') ? 'udp6' : 'udp4');
  return {
    send: (message) => new Promise((resolve, reject) => {
      socket.send(Buffer.from(message), target.port, target.host, (err) => (err ? reject(failed(target, err)) : resolve()));
    }),
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

async function openTcp(target: SyslogTarget): Promise<SyslogSender> {
  const socket: Socket = await new Promise((resolve, reject) => {
    const refused = (err: Error) => reject(failed(target, err));
    const s = connect({ host: target.host, port: target.port }, () => {
      // Connected: later errors go to the handler below, not to this settled promise.
      s.off('error', refused);
      resolve(s);
    });
    s.once('error', refused);
  });
  let broken: unknown;
  socket.on('error', (err) => { broken = failed(target, err); });
  return {
    send(message) {
      if (broken) return Promise.reject(broken);
      const bytes = Buffer.from(message);
      // Octet counting: "<length> <message>", so a message may itself contain newlines.
      const frame = Buffer.concat([Buffer.from(`${bytes.length} `), bytes]);
      return new Promise((resolve, reject) => {
        socket.write(frame, (err) => (err ? reject(failed(target, err)) : resolve()));
      });
    },
    close: () => new Promise((resolve, reject) => {
      socket.end(() => (broken ? reject(broken) : resolve()));
    }),
  };
}
