import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';
import { formatSyslog, openSyslogSender, parseSyslogTarget } from './syslog.ts';
import type { AuditRecord } from '../store/store.ts';

const record = (seq: number, over: Partial<AuditRecord> = {}): AuditRecord => ({
  seq, at: '2026-04-01T10:00:00.000Z', actor: 'key_"a]\\', action: 'auth.failed', target: '', outcome: 'denied',
  requestId: `req-${seq}`, sourceIp: '10.0.0.7', details: '{"reason":"unknown key\\nsecond line"}', prevHash: '0'.repeat(64), hash: 'a'.repeat(64), ...over,
});

test('syslog: RFC 5424 header, escaped structured data, facility log audit with severity by outcome', () => {
  const line = formatSyslog(record(3), 'gw-1');
  assert.equal(line,
    '<108>1 2026-04-01T10:00:00.000Z gw-1 bulwark - auth.failed [bulwark@32473 seq="3" actor="key_\\"a\\]\\\\" target="" outcome="denied" '
    + `requestId="req-3" sourceIp="10.0.0.7" hash="${'a'.repeat(64)}"] {"reason":"unknown key\\nsecond line"}`);
  assert.match(formatSyslog(record(4, { outcome: 'ok', requestId: null, sourceIp: null }), 'gw 1'), /^<109>1 \S+ gw1 bulwark - auth\.failed \[bulwark@32473 seq="4" actor="[^"]*(\\"[^"]*)*" target="" outcome="ok" hash=/);
});

test('syslog: targets parse; malformed ones are usage errors', () => {
  assert.deepEqual(parseSyslogTarget('tcp://logs.example:6514'), { transport: 'tcp', host: 'logs.example', port: 6514 });
  assert.deepEqual(parseSyslogTarget('udp://[::1]:514'), { transport: 'udp', host: '::1', port: 514 });
  assert.deepEqual(parseSyslogTarget('127.0.0.1:514'), { transport: 'udp', host: '127.0.0.1', port: 514 });
  for (const bad of ['http://x:1', 'x', 'x:0', 'x:70000', 'tcp://:5']) {
    assert.throws(() => parseSyslogTarget(bad), (err: Error & { code?: string }) => err.code === 'BWK_E_CLI_USAGE', bad);
  }
});

test('syslog: UDP sends one datagram per message to a real socket', async () => {
  const server = createSocket('udp4');
  const got: string[] = [];
  const all = new Promise<void>((resolve) => server.on('message', (m) => { got.push(m.toString()); if (got.length === 2) resolve(); }));
  await new Promise<void>((r) => server.bind(0, '127.0.0.1', () => r()));
  const sender = await openSyslogSender({ transport: 'udp', host: '127.0.0.1', port: (server.address() as AddressInfo).port });
  await sender.send(formatSyslog(record(1), 'h'));
  await sender.send(formatSyslog(record(2), 'h'));
  await sender.close();
  await all;
  server.close();
  assert.deepEqual(got, [formatSyslog(record(1), 'h'), formatSyslog(record(2), 'h')]);
});

test('syslog: TCP frames each message with its octet count, so embedded newlines survive; a dead collector is BWK_E_AUDIT_SYSLOG_FAILED', async () => {
  let received = Buffer.alloc(0);
  const closed = new Promise<void>((resolve) => {
    const server = createServer((socket) => {
      socket.on('data', (d: Buffer) => { received = Buffer.concat([received, d]); });
      socket.on('end', () => { server.close(); resolve(); });
    });
    server.listen(0, '127.0.0.1', async () => {
      const port = (server.address() as AddressInfo).port;
      const sender = await openSyslogSender({ transport: 'tcp', host: '127.0.0.1', port });
      await sender.send(formatSyslog(record(1, { details: '{"note":"é\\n"}' }), 'h'));
      await sender.send(formatSyslog(record(2), 'h'));
      await sender.close();
    });
  });
  await closed;
  // Parse octet-counted frames: "<len> <msg>" with len in bytes.
  const frames: string[] = [];
  let rest = received;
  while (rest.length > 0) {
    const space = rest.indexOf(0x20);
    const len = Number(rest.subarray(0, space).toString());
    frames.push(rest.subarray(space + 1, space + 1 + len).toString());
    rest = rest.subarray(space + 1 + len);
  }
  assert.deepEqual(frames, [formatSyslog(record(1, { details: '{"note":"é\\n"}' }), 'h'), formatSyslog(record(2), 'h')]);

  // A port nobody listens on: the connection is refused.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  await assert.rejects(openSyslogSender({ transport: 'tcp', host: '127.0.0.1', port }), (err: Error & { code?: string }) => err.code === 'BWK_E_AUDIT_SYSLOG_FAILED');
});
