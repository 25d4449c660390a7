import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeTftp, encodeTftp, type TftpPacket } from './codec.ts';
import { createTftpServer } from './server.ts';

const dir = mkdtempSync(join(tmpdir(), 'df-tftp-ovmf-'));
writeFileSync(join(dir, 'ipxe.efi'), Buffer.alloc(100_000, 7));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * What OVMF was seen doing in the lab: RRQ with tsize/blksize/windowsize, OACK, then ERROR 8
 * sent to port 69 (not to the transfer's port), then the same RRQ without tsize from the SAME
 * client port. The old transfer must stop and the new OACK must carry only what was asked.
 */
describe('OVMF size probe, as real firmware does it', () => {
  it('error 8 on port 69 ends the probe transfer; the second request gets an OACK without tsize and no stale OACKs', async () => {
    const server = await createTftpServer({ address: '127.0.0.1', port: 0, root: dir, timeoutMs: 150 });
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const got: Array<{ p: TftpPacket; port: number }> = [];
    sock.on('message', (m, rinfo) => got.push({ p: decodeTftp(m) as TftpPacket, port: rinfo.port }));
    const send = (p: TftpPacket, port = server.address.port) => sock.send(encodeTftp(p), port, '127.0.0.1');
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
    try {
      send({ op: 'rrq', filename: 'ipxe.efi', mode: 'octet', options: [{ name: 'tsize', value: '0' }, { name: 'blksize', value: '1468' }, { name: 'windowsize', value: '4' }] });
      await wait(100);
      expect(got[0].p).toMatchObject({ op: 'oack' });
      const probePort = got[0].port;
      send({ op: 'error', code: 8, message: 'tsize probe' }); // to port 69
      send({ op: 'rrq', filename: 'ipxe.efi', mode: 'octet', options: [{ name: 'blksize', value: '1468' }, { name: 'windowsize', value: '4' }] });
      await wait(600); // several retransmission periods of the old transfer
      const fromProbe = got.slice(1).filter((g) => g.port === probePort);
      expect(fromProbe).toEqual([]);
      const second = got.slice(1).filter((g) => g.p.op === 'oack');
      expect(second.length).toBeGreaterThanOrEqual(1);
      expect((second[0].p as { options: Array<{ name: string }> }).options.map((o) => o.name)).toEqual(['blksize', 'windowsize']);
    } finally {
      sock.close();
      await server.close();
    }
  });
});

/**
 * The other order OVMF was seen using (the provisioning lab, 2026-11-27, tcpdump): ERROR 8 sent
 * to the transfer's own port (as RFC 2349 intends), then the real request from a NEW client port.
 */
describe('OVMF size probe, error to the transfer port and a new client port', () => {
  it('the probe transfer stops at once and the request from the new port is served to the end', async () => {
    const server = await createTftpServer({ address: '127.0.0.1', port: 0, root: dir, timeoutMs: 150 });
    const probe = dgram.createSocket('udp4');
    const real = dgram.createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
    await new Promise<void>((r) => real.bind(0, '127.0.0.1', r));
    const atProbe: Array<{ p: TftpPacket; port: number }> = [];
    probe.on('message', (m, rinfo) => atProbe.push({ p: decodeTftp(m) as TftpPacket, port: rinfo.port }));
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
    let received = 0;
    const done = new Promise<void>((resolve) => {
      real.on('message', (m, rinfo) => {
        const p = decodeTftp(m) as TftpPacket;
        if (p.op === 'oack') real.send(encodeTftp({ op: 'ack', block: 0 }), rinfo.port, '127.0.0.1');
        if (p.op === 'data') {
          received = Math.max(received, (p.block - 1) * 1468 + p.data.length);
          real.send(encodeTftp({ op: 'ack', block: p.block }), rinfo.port, '127.0.0.1');
          if (p.data.length < 1468) resolve();
        }
      });
    });
    try {
      probe.send(encodeTftp({ op: 'rrq', filename: 'ipxe.efi', mode: 'octet', options: [{ name: 'tsize', value: '0' }, { name: 'blksize', value: '1468' }, { name: 'windowsize', value: '4' }] }), server.address.port, '127.0.0.1');
      await wait(100);
      expect(atProbe[0]?.p).toMatchObject({ op: 'oack' });
      probe.send(encodeTftp({ op: 'error', code: 8, message: 'tsize probe' }), atProbe[0].port, '127.0.0.1');
      real.send(encodeTftp({ op: 'rrq', filename: 'ipxe.efi', mode: 'octet', options: [{ name: 'blksize', value: '1468' }] }), server.address.port, '127.0.0.1');
      await Promise.race([done, wait(3000)]);
      expect(received).toBe(100_000);
      await wait(400);
      expect(atProbe.length).toBe(1); // no OACK resent after the client's ERROR
    } finally {
      probe.close();
      real.close();
      await server.close();
    }
  });
});
