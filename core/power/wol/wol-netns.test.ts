/**
 * A real magic packet on a real wire: two network namespaces of our own joined by a veth
 * pair, the sender run inside one (`ip netns exec`), tcpdump capturing in the other. Checks
 * the destination is the subnet-directed broadcast 10.88.0.255 and the payload bytes.
 * Traffic stays inside the namespaces this test creates (dfr-*) and removes.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPeers } from '../../testing/peers.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..', '..');
const NS_SEND = `dfr-wol-s${process.pid}`;
const NS_RECV = `dfr-wol-r${process.pid}`;

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

function removeNamespaces(): void {
  for (const ns of [NS_SEND, NS_RECV]) {
    try {
      ip('netns', 'del', ns);
    } catch {
      // not there: nothing to remove
    }
  }
}

interface Captured {
  ethDst: string;
  ipSrc: string;
  ipDst: string;
  udpDst: number;
  payload: Buffer;
}

/** Reads a classic pcap of Ethernet frames carrying IPv4/UDP (the only thing captured here). */
function readPcap(file: string): Captured[] {
  const buf = fs.readFileSync(file);
  const le = buf.readUInt32LE(0) === 0xa1b2c3d4;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const out: Captured[] = [];
  for (let off = 24; off + 16 <= buf.length; ) {
    const len = u32(off + 8);
    const frame = buf.subarray(off + 16, off + 16 + len);
    off += 16 + len;
    const ihl = (frame[14] & 0x0f) * 4;
    const udp = 14 + ihl;
    out.push({
      ethDst: frame.subarray(0, 6).toString('hex'),
      ipSrc: Array.from(frame.subarray(26, 30)).join('.'),
      ipDst: Array.from(frame.subarray(30, 34)).join('.'),
      udpDst: frame.readUInt16BE(udp + 2),
      payload: Buffer.from(frame.subarray(udp + 8, udp + frame.readUInt16BE(udp + 4))),
    });
  }
  return out;
}

/** Starts tcpdump in the receiving namespace and resolves once it is listening. */
function startCapture(file: string, port: number): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', NS_RECV, 'tcpdump', '-i', 'dfr-wv1', '-U', '-n', '-c', '1', '-w', file, 'udp', 'dst', 'port', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`tcpdump exited ${code}: ${err}`)));
  });
}

function sendFromNamespace(args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', NS_SEND, process.execPath, '--import', 'tsx', path.join(here, 'wol-send-cli.ts'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 20_000,
  });
}

describeWithPeers(['root', 'ip', 'tcpdump'], 'Wake-on-LAN across network namespaces', () => {
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfr-wol-'));
    removeNamespaces();
    ip('netns', 'add', NS_SEND);
    ip('netns', 'add', NS_RECV);
    ip('-n', NS_SEND, 'link', 'add', 'dfr-wv0', 'type', 'veth', 'peer', 'name', 'dfr-wv1', 'netns', NS_RECV);
    ip('-n', NS_SEND, 'addr', 'add', '10.88.0.1/24', 'dev', 'dfr-wv0');
    ip('-n', NS_RECV, 'addr', 'add', '10.88.0.2/24', 'dev', 'dfr-wv1');
    for (const [ns, dev] of [[NS_SEND, 'dfr-wv0'], [NS_RECV, 'dfr-wv1']]) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
  });

  afterAll(() => {
    removeNamespaces();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function wake(port: number, password?: string): Promise<{ packet: Captured; printed: string }> {
    const file = path.join(dir, `wol-${port}.pcap`);
    const tcpdump = await startCapture(file, port);
    const exited = new Promise((r) => tcpdump.once('exit', r));
    try {
      const printed = sendFromNamespace(['52:54:00:12:34:56', 'dfr-wv0', String(port), password ?? '']);
      await exited;
      return { packet: readPcap(file)[0], printed };
    } finally {
      tcpdump.kill();
    }
  }

  it('sends the magic packet to the subnet-directed broadcast, port 9', async () => {
    const { packet, printed } = await wake(9);
    expect(JSON.parse(printed)).toEqual({ source: '10.88.0.1', address: '10.88.0.255', port: 9 });
    expect(packet.ethDst).toBe('ffffffffffff');
    expect(packet.ipSrc).toBe('10.88.0.1');
    expect(packet.ipDst).toBe('10.88.0.255');
    expect(packet.udpDst).toBe(9);
    expect(packet.payload.toString('hex')).toBe('ffffffffffff' + '525400123456'.repeat(16));
  });

  it('appends the SecureOn password, on a configured port', async () => {
    const { packet } = await wake(7, 'de:ad:be:ef:00:01');
    expect(packet.udpDst).toBe(7);
    expect(packet.payload.length).toBe(108);
    expect(packet.payload.subarray(102).toString('hex')).toBe('deadbeef0001');
  });
});
