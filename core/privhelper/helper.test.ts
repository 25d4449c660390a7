/**
 * The helper's rules and relay on loopback: the helper side runs serveConnection over a real
 * Unix socket with a factory that binds 127.0.0.1 (ephemeral ports stand in for 67/69/4011),
 * the app side is the real HelperClient.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Remote, SocketFactory } from '../dhcp/sockets.ts';
import { loopbackSocketFactory } from '../dhcp/testing/loopback-sockets.ts';
import { HelperClient } from './client.ts';
import { serveConnection } from './helper.ts';
import { encodeFrame, MAX_FRAME_BODY } from './protocol.ts';

interface Bound {
  port: number;
  realPort: number;
  closed: boolean;
}

function recordingFactory(bound: Bound[]): SocketFactory {
  const inner = loopbackSocketFactory();
  return async (spec) => {
    const probe = createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
    const realPort = probe.address().port;
    probe.close();
    const sock = await inner({ ...spec, port: realPort });
    const b: Bound = { port: spec.port, realPort, closed: false };
    bound.push(b);
    return { send: sock.send, close: () => ((b.closed = true), sock.close()) };
  };
}

describe('privileged helper relay (loopback)', () => {
  let dir: string;
  let server: Server;
  let bound: Bound[];
  let ended: Promise<void>[];
  let peer: Socket;
  let client: HelperClient;
  let probeLifetimeMs: number;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dfph-'));
    bound = [];
    ended = [];
    probeLifetimeMs = 30_000;
    server = createServer((c) => ended.push(serveConnection(c, c, { interfaces: ['lo'], socketFactory: recordingFactory(bound), probeLifetimeMs }).then(() => void c.destroy())));
    await new Promise<void>((r) => server.listen(join(dir, 'h.sock'), r));
    client = await HelperClient.connect({ kind: 'unix', path: join(dir, 'h.sock') });
    peer = createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
  });

  afterEach(async () => {
    client.close();
    peer.close();
    await Promise.all(ended);
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('relays a datagram in with its source, and a reply out from the bound port', async () => {
    const got: Array<{ data: string; from: Remote }> = [];
    const sock = await client.open({ port: 67, iface: 'lo', onMessage: (d, from) => got.push({ data: Buffer.from(d).toString(), from }) });
    expect(bound).toMatchObject([{ port: 67, closed: false }]);
    peer.send('DISCOVER', bound[0].realPort, '127.0.0.1');
    await until(() => got.length === 1);
    expect(got[0]).toEqual({ data: 'DISCOVER', from: { address: '127.0.0.1', port: peer.address().port } });
    const reply = new Promise<{ msg: string; port: number }>((r) => peer.once('message', (m, ri) => r({ msg: m.toString(), port: ri.port })));
    await sock.send(Buffer.from('OFFER'), peer.address().port, '127.0.0.1');
    expect(await reply).toEqual({ msg: 'OFFER', port: bound[0].realPort });
  });

  it('refuses a port other than 67/69/4011 and an interface it was not started for', async () => {
    await expect(client.open({ port: 80, iface: 'lo', onMessage: () => {} })).rejects.toThrow('port 80 is not one the helper binds (only 67, 69, 4011)');
    await expect(client.open({ port: 69, iface: 'eth0', onMessage: () => {} })).rejects.toThrow('interface eth0 is not allowed (the helper was started for lo)');
    await expect(client.open({ port: 69, onMessage: () => {} })).rejects.toThrow('only binds sockets tied to an interface');
    expect(bound).toEqual([]);
  });

  it('binds UDP 68 only for a probe: never through open, one at a time, sending only to UDP 67', async () => {
    await expect(client.open({ port: 68, iface: 'lo', onMessage: () => {} })).rejects.toThrow('port 68 is bound only for the existing-DHCP probe (a probe frame), never as a service port');
    await expect(client.openProbe({ port: 67, iface: 'lo', onMessage: () => {} })).rejects.toThrow('the helper binds only UDP 68 for the probe, not 67');
    expect(bound).toEqual([]);
    const errors: string[] = [];
    const probe = await client.openProbe({ port: 68, iface: 'lo', onMessage: () => {}, onError: (e) => errors.push(e.message) });
    expect(bound).toMatchObject([{ port: 68, closed: false }]);
    await expect(client.openProbe({ port: 68, iface: 'lo', onMessage: () => {} })).rejects.toThrow('one existing-DHCP probe at a time: UDP 68 is already open');
    const sentToPeer: string[] = [];
    peer.on('message', (m) => sentToPeer.push(m.toString()));
    await probe.send(Buffer.from('not a DISCOVER'), peer.address().port, '127.0.0.1');
    await until(() => errors.length === 1);
    expect(errors[0]).toMatch(new RegExp(`the probe's UDP 68 sends only to UDP 67, not ${peer.address().port}$`));
    expect(sentToPeer).toEqual([]);
    await probe.close();
    await until(() => bound[0].closed);
    await client.openProbe({ port: 68, iface: 'lo', onMessage: () => {} }); // the slot is free again
  });

  it("closes a probe's UDP 68 itself after its lifetime, and says so", async () => {
    probeLifetimeMs = 200;
    const c = await HelperClient.connect({ kind: 'unix', path: join(dir, 'h.sock') });
    try {
      const errors: string[] = [];
      await c.openProbe({ port: 68, iface: 'lo', onMessage: () => {}, onError: (e) => errors.push(e.message) });
      await until(() => errors.length === 1);
      expect(errors[0]).toMatch(/the probe's UDP 68 was closed after 0\.2 s$/);
      expect(bound).toMatchObject([{ port: 68, closed: true }]);
    } finally {
      c.close();
    }
  });

  it('closes every socket when the app hangs up', async () => {
    await client.open({ port: 67, iface: 'lo', onMessage: () => {} });
    await client.open({ port: 4011, iface: 'lo', onMessage: () => {} });
    client.close();
    await Promise.all(ended);
    expect(bound.map((b) => [b.port, b.closed])).toEqual([
      [67, true],
      [4011, true],
    ]);
  });

  it('a close from the app frees that socket only', async () => {
    const a = await client.open({ port: 67, iface: 'lo', onMessage: () => {} });
    await client.open({ port: 69, iface: 'lo', onMessage: () => {} });
    await a.close();
    await until(() => bound[0].closed);
    expect(bound[1].closed).toBe(false);
  });
});

describe('a helper the app starts (exec:, as through pkexec)', () => {
  it('speaks over the child process\'s stdin/stdout and ends when the app closes it', async () => {
    const c = await HelperClient.connect({ kind: 'exec', argv: [process.execPath, 'bin/dragonfly-privhelper.mjs', '--stdio', '--interface', 'lo'] });
    await expect(c.open({ port: 8080, iface: 'lo', onMessage: () => {} })).rejects.toThrow('port 8080 is not one the helper binds');
    c.close();
    await until(() => c.isGone());
  });

  it('names a dismissed pkexec prompt (exit 126) instead of a bare disconnect', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dfph-pk-'));
    try {
      writeFileSync(join(dir, 'pkexec'), '#!/bin/sh\nexit 126\n', { mode: 0o755 });
      const c = await HelperClient.connect({ kind: 'exec', argv: [join(dir, 'pkexec'), '/opt/Dragonfly/resources/privhelper/dragonfly-privhelper', '--stdio'] });
      await expect(c.open({ port: 67, iface: 'lo', onMessage: () => {} })).rejects.toThrow(/is gone: pkexec exited with 126: the password prompt was dismissed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('privileged helper input it must survive', () => {
  it('drops bad frames, answers a send to an unknown socket, and hangs up on a stream out of step', async () => {
    const { PassThrough } = await import('node:stream');
    const input = new PassThrough();
    const output = new PassThrough();
    const replies: Buffer[] = [];
    output.on('data', (d: Buffer) => replies.push(d));
    const lines: string[] = [];
    const done = serveConnection(input, output, { interfaces: [], socketFactory: recordingFactory([]), log: (l) => lines.push(l) });
    input.write(Uint8Array.from([0, 0, 0, 2, 42, 0])); // unknown type
    input.write(encodeFrame({ type: 'send', id: 9, address: '127.0.0.1', port: 9, payload: new Uint8Array(1) }));
    input.write(encodeFrame({ type: 'opened', id: 1 })); // a helper-to-app frame
    input.write(Uint8Array.from([0xff, 0xff, 0xff, 0xff]));
    await done;
    expect(lines).toEqual([
      'dropped a bad frame: type: unknown frame type 42',
      'refused #9: no open socket #9',
      'refused #1: the app may not send opened frames',
      `app connection ended (protocol: frame length 4294967295 outside 1..${MAX_FRAME_BODY}): closing 0 socket(s)`,
    ]);
    expect(Buffer.concat(replies).length).toBeGreaterThan(0);
  });
});

async function until(ok: () => boolean, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
