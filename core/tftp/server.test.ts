import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import dgram from 'node:dgram';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { itWithPeers } from '../testing/peers.ts';
import { isDragonflyError } from '../shared/errors.ts';
import { FakeClock } from './testing/fake-clock.ts';
import { fetchFile, LoopbackPeer } from './loopback-peer.ts';
import { decodeTftp, encodeTftp } from './codec.ts';
import { createTftpServer, type TftpEvent, type TftpServer, type TftpServerOptions } from './server.ts';

const base = mkdtempSync(join(tmpdir(), 'dft-tftp-'));
const root = join(base, 'root');
const servers: TftpServer[] = [];
const runFile = promisify(execFile);

function content(size: number, seed = 1): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed * 7 + (i >> 9)) & 0xff;
  return b;
}

beforeAll(() => {
  mkdirSync(join(root, 'boot'), { recursive: true });
  writeFileSync(join(base, 'secret'), 'outside the root');
  writeFileSync(join(root, 'ipxe.efi'), content(100_000));
  writeFileSync(join(root, 'boot', 'small.bin'), content(1300, 2));
  writeFileSync(join(root, 'ok%file'), 'percent sign without hex escape');
  symlinkSync(join(base, 'secret'), join(root, 'escape'));
  symlinkSync(base, join(root, 'outdir'));
  symlinkSync(join(root, 'boot', 'small.bin'), join(root, 'inside-link'));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(extra: Partial<TftpServerOptions> = {}) {
  const events: TftpEvent[] = [];
  const server = await createTftpServer({ address: '127.0.0.1', port: 0, root, onEvent: (e) => events.push(e), ...extra });
  servers.push(server);
  return { server, port: server.address.port, events };
}

/** Fetches boot/small.bin over ::1 in lock-step (LoopbackPeer is IPv4-only). */
async function run6(port: number): Promise<Buffer> {
  const sock = dgram.createSocket('udp6');
  await new Promise<void>((r) => sock.bind(0, '::1', r));
  const parts: Buffer[] = [];
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timeout')), 3000);
      sock.on('message', (msg, rinfo) => {
        const p = decodeTftp(msg);
        if ('kind' in p || p.op !== 'data') return reject(new Error('unexpected packet'));
        parts.push(Buffer.from(p.data));
        sock.send(encodeTftp({ op: 'ack', block: p.block }), rinfo.port, '::1');
        if (p.data.length < 512) {
          clearTimeout(timer);
          resolve(Buffer.concat(parts));
        }
      });
      sock.send(encodeTftp({ op: 'rrq', filename: 'boot/small.bin', mode: 'octet', options: [] }), port, '::1');
    });
  } finally {
    setTimeout(() => sock.close(), 50);
  }
}

const until = async (cond: () => boolean, ms = 5000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('serving files', () => {
  it('serves a file from the root without options (512-byte lock-step)', async () => {
    const { port, events } = await start();
    const got = await fetchFile(port, 'ipxe.efi');
    expect(got.error).toBeUndefined();
    expect(got.oack).toBeUndefined();
    expect(Buffer.compare(got.data, content(100_000))).toBe(0);
    await until(() => events.some((e) => e.type === 'transfer-done'));
    expect(events.map((e) => [e.type, e.path, e.bytes])).toEqual([
      ['transfer-start', 'ipxe.efi', 0],
      ['transfer-done', 'ipxe.efi', 100_000],
    ]);
  });

  it('negotiates tsize, blksize and windowsize and serves in windows', async () => {
    const { port } = await start({ maxBlksize: 1468, maxWindowsize: 8 });
    const got = await fetchFile(port, '/ipxe.efi', [
      { name: 'tsize', value: '0' },
      { name: 'blksize', value: '9000' },
      { name: 'windowsize', value: '32' },
      { name: 'x-unknown', value: '1' },
    ]);
    expect(got.oack).toEqual([
      { name: 'tsize', value: '100000' },
      { name: 'blksize', value: '1468' },
      { name: 'windowsize', value: '8' },
    ]);
    expect(Buffer.compare(got.data, content(100_000))).toBe(0);
  });

  it('wraps block numbers past 65535 over the wire (blksize 8, 600 KB)', async () => {
    writeFileSync(join(root, 'wrap.bin'), content(600_000, 3));
    const { port } = await start({ maxWindowsize: 64 });
    const got = await fetchFile(port, 'wrap.bin', [
      { name: 'blksize', value: '8' },
      { name: 'windowsize', value: '64' },
    ]);
    expect(got.data.length).toBe(600_000);
    expect(Buffer.compare(got.data, content(600_000, 3))).toBe(0);
  });

  it('serves generated content from the resolver (bytes, stream, reader) before the root', async () => {
    const script = Buffer.from('#!ipxe\nchain http://127.0.0.1/boot\n');
    const streamed = content(5000, 4);
    const seen: string[] = [];
    const { port } = await start({
      resolve: async (path, client) => {
        seen.push(`${path}@${client.address}`);
        if (path === 'autoexec.ipxe') return { size: script.length, open: () => script };
        if (path === 'stream.bin') return { size: streamed.length, open: () => Readable.from([streamed.subarray(0, 1234), streamed.subarray(1234)]) };
        if (path === 'ipxe.efi') return { size: 3, open: () => ({ read: async (o, l) => Buffer.from('abc').subarray(o, o + l), close: () => {} }) };
        return undefined;
      },
    });
    expect((await fetchFile(port, '/autoexec.ipxe')).data.toString()).toBe(script.toString());
    expect(Buffer.compare((await fetchFile(port, 'stream.bin', [{ name: 'windowsize', value: '4' }])).data, streamed)).toBe(0);
    expect((await fetchFile(port, 'ipxe.efi')).data.toString()).toBe('abc');
    expect((await fetchFile(port, 'boot/small.bin')).data.length).toBe(1300); // fell through to the root
    expect(seen).toContain('autoexec.ipxe@127.0.0.1');
  });

  it('serves from a resolver alone (no root): unknown names are "file not found"', async () => {
    const { port } = await start({ root: undefined, resolve: async () => undefined });
    expect((await fetchFile(port, 'ipxe.efi')).error).toEqual({ code: 1, message: 'file not found' });
  });
});

describe('refusals', () => {
  it('refuses a write request with ERROR 2', async () => {
    const { port, events } = await start();
    const peer = await LoopbackPeer.open();
    peer.send({ op: 'wrq', filename: 'new.bin', mode: 'octet', options: [] }, port);
    expect((await peer.next())?.packet).toEqual({ op: 'error', code: 2, message: 'access violation' });
    peer.close();
    expect(events[0]).toMatchObject({ type: 'transfer-error', outcome: 'write-refused' });
  });

  it.each([
    ['../secret', 2],
    ['boot/../../secret', 2],
    ['..', 2],
    ['/../secret', 2],
    ['..\\secret', 2],
    ['boot\\..\\..\\secret', 2],
    ['%2e%2e/secret', 2],
    ['%2E%2E%2Fsecret', 2],
    ['boot/%00/../secret', 2],
    ['escape', 2], // symlink to a file outside the root
    ['outdir/secret', 2], // symlink to a directory outside the root
    ['/etc/passwd', 1], // absolute means the root's etc/passwd, which does not exist
    [join(base, 'secret'), 1],
    ['boot', 1], // a directory
    ['', 1],
    ['nothing-here', 1],
  ])('refuses %j with ERROR %i and reads nothing outside the root', async (name, code) => {
    const { port } = await start();
    const got = await fetchFile(port, name);
    expect(got.error?.code).toBe(code);
    expect(got.data.length).toBe(0);
  });

  it('refuses the NUL trick: "name\\0../secret" ends the name at the NUL and fails the mode', async () => {
    const { port } = await start();
    const peer = await LoopbackPeer.open();
    peer.sendRaw(Buffer.from('\0\x01ipxe.efi\0../../secret\0octet\0\0', 'latin1'), port);
    expect((await peer.next())?.packet).toMatchObject({ op: 'error', code: 4 });
    peer.sendRaw(Buffer.from('\0\x01ipxe.efi\0../../secret\0octet\0', 'latin1'), port); // undecodable: dropped
    expect(await peer.next(200)).toBeUndefined();
    peer.close();
  });

  it('refuses names that are not UTF-8 and serves a literal % and links inside the root', async () => {
    const { port } = await start();
    expect((await fetchFile(port, '\xff\xfe')).error?.code).toBe(1);
    expect((await fetchFile(port, 'ok%file')).data.toString()).toBe('percent sign without hex escape');
    expect((await fetchFile(port, 'inside-link')).data.length).toBe(1300);
  });

  it('refuses netascii mode with a message naming octet', async () => {
    const { port } = await start();
    const peer = await LoopbackPeer.open();
    peer.send({ op: 'rrq', filename: 'ipxe.efi', mode: 'netascii', options: [] }, port);
    expect((await peer.next())?.packet).toMatchObject({ op: 'error', code: 0, message: expect.stringContaining('octet') });
    peer.close();
  });

  it('answers "server busy" past maxTransfers', async () => {
    const { port } = await start({ maxTransfers: 1 });
    const hold = await LoopbackPeer.open();
    hold.send({ op: 'rrq', filename: 'ipxe.efi', mode: 'octet', options: [] }, port);
    await hold.next();
    expect((await fetchFile(port, 'ipxe.efi')).error).toEqual({ code: 0, message: 'server busy' });
    hold.close();
  });
});

describe('protocol edge cases over loopback', () => {
  it('OVMF size probe: OACK, ERROR 8, then the same request again works and nothing leaks', async () => {
    const { server, port, events } = await start();
    const opts = [
      { name: 'tsize', value: '0' },
      { name: 'blksize', value: '1468' },
      { name: 'windowsize', value: '4' },
    ];
    const peer = await LoopbackPeer.open();
    peer.send({ op: 'rrq', filename: 'ipxe.efi', mode: 'octet', options: opts }, port);
    const oack = await peer.next();
    expect(oack?.packet).toEqual({ op: 'oack', options: [{ name: 'tsize', value: '100000' }, { name: 'blksize', value: '1468' }, { name: 'windowsize', value: '4' }] });
    expect(oack?.port).not.toBe(port); // a new transfer ID
    peer.send({ op: 'error', code: 8, message: 'size probe' }, oack!.port);
    await until(() => server.stats.active === 0);
    expect(await peer.next(300)).toBeUndefined(); // no DATA, no retransmitted OACK after the ERROR
    peer.close();
    const again = await fetchFile(port, 'ipxe.efi', opts);
    expect(Buffer.compare(again.data, content(100_000))).toBe(0);
    await until(() => server.stats.transfersDone === 1);
    expect(events.filter((e) => e.type !== 'transfer-start').map((e) => [e.type, e.outcome, e.code])).toEqual([
      ['transfer-error', 'client-error', 8],
      ['transfer-done', undefined, undefined],
    ]);
  });

  it('a packet from a foreign port gets ERROR 5 and the transfer goes on', async () => {
    const { server, port } = await start();
    const peer = await LoopbackPeer.open();
    const intruder = await LoopbackPeer.open();
    peer.send({ op: 'rrq', filename: 'boot/small.bin', mode: 'octet', options: [] }, port);
    const first = await peer.next();
    expect(first?.packet).toMatchObject({ op: 'data', block: 1 });
    intruder.send({ op: 'ack', block: 1 }, first!.port);
    expect((await intruder.next())?.packet).toEqual({ op: 'error', code: 5, message: 'unknown transfer ID' });
    peer.send({ op: 'ack', block: 1 }, first!.port);
    expect((await peer.next())?.packet).toMatchObject({ op: 'data', block: 2 });
    peer.send({ op: 'ack', block: 2 }, first!.port);
    expect((await peer.next())?.packet).toMatchObject({ op: 'data', block: 3 });
    peer.send({ op: 'ack', block: 3 }, first!.port);
    await until(() => server.stats.transfersDone === 1);
    expect(server.stats.unknownTid).toBe(1);
    peer.close();
    intruder.close();
  });

  it('never dies on bad packets: 1-byte, garbage, DATA on port 69, junk on a transfer port', async () => {
    const { server, port } = await start();
    const peer = await LoopbackPeer.open();
    for (const junk of [[1], [0], [0, 9, 1, 2], [0, 1, 65], [0, 3, 0, 1, 5], [0, 4, 0, 1], [255, 255, 255]]) {
      peer.sendRaw(Uint8Array.from(junk), port);
    }
    peer.send({ op: 'rrq', filename: 'boot/small.bin', mode: 'octet', options: [] }, port);
    const first = await peer.next();
    peer.sendRaw(Uint8Array.from([7]), first!.port);
    peer.send({ op: 'ack', block: 1 }, first!.port);
    expect((await peer.next())?.packet).toMatchObject({ op: 'data', block: 2 });
    expect(server.stats.dropped).toBe(8);
    expect(await peer.next(100)).toBeUndefined(); // nothing answered the junk
    peer.close();
    expect((await fetchFile(port, 'boot/small.bin')).data.length).toBe(1300);
  });

  it('a client that vanishes mid-transfer times out (driven by an injected clock) and its file is closed', async () => {
    const clock = new FakeClock();
    const { server, port, events } = await start({ clock, timeoutMs: 1000, maxRetries: 2 });
    const peer = await LoopbackPeer.open();
    peer.send({ op: 'rrq', filename: 'ipxe.efi', mode: 'octet', options: [] }, port);
    const first = await peer.next();
    peer.send({ op: 'ack', block: 1 }, first!.port);
    expect((await peer.next())?.packet).toMatchObject({ op: 'data', block: 2 });
    // the client is gone: two retransmissions one second apart, then give up
    clock.advance(1000);
    expect((await peer.next())?.packet).toMatchObject({ op: 'data', block: 2 });
    clock.advance(1000);
    expect((await peer.next())?.packet).toMatchObject({ op: 'data', block: 2 });
    expect(server.stats.active).toBe(1);
    clock.advance(1000);
    expect(server.stats.active).toBe(0);
    expect(events.at(-1)).toMatchObject({ type: 'transfer-error', outcome: 'timeout', bytes: 512, ms: 3000 });
    expect(await peer.next(100)).toBeUndefined();
    peer.close();
  });

  it('uses the timeout the client negotiated (RFC 2349)', async () => {
    const clock = new FakeClock();
    const { port } = await start({ clock, timeoutMs: 1000 });
    const peer = await LoopbackPeer.open();
    peer.send({ op: 'rrq', filename: 'ipxe.efi', mode: 'octet', options: [{ name: 'timeout', value: '3' }] }, port);
    const oack = await peer.next();
    expect(oack?.packet).toEqual({ op: 'oack', options: [{ name: 'timeout', value: '3' }] });
    clock.advance(2999);
    expect(await peer.next(100)).toBeUndefined();
    clock.advance(1);
    expect((await peer.next())?.packet.op).toBe('oack');
    peer.close();
  });

  it('serves over IPv6 loopback', async () => {
    const server = await createTftpServer({ address: '::1', port: 0, root });
    servers.push(server);
    const got = await run6(server.address.port);
    expect(got.length).toBe(1300);
  });

  it('a throwing onEvent listener does not stop transfers', async () => {
    const { port } = await start({
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    expect((await fetchFile(port, 'boot/small.bin')).data.length).toBe(1300);
  });

  it('shutdown during a transfer tells the client and closes everything', async () => {
    const { server, port } = await start();
    const peer = await LoopbackPeer.open();
    peer.send({ op: 'rrq', filename: 'ipxe.efi', mode: 'octet', options: [] }, port);
    const first = await peer.next();
    expect(first?.packet).toMatchObject({ op: 'data', block: 1 });
    await server.close();
    expect((await peer.next())?.packet).toEqual({ op: 'error', code: 0, message: 'server shutting down' });
    expect(server.stats.active).toBe(0);
    peer.send({ op: 'rrq', filename: 'ipxe.efi', mode: 'octet', options: [] }, port);
    expect(await peer.next(200)).toBeUndefined(); // nobody listens any more
    peer.close();
  });

  it('leaks no file descriptor over 200 transfers, aborted and vanished ones included', async () => {
    const fds = () => readdirSync('/proc/self/fd').length;
    // Vanished peers end within 0.5 s; the complete transfers still finish on a loaded machine.
    const { server, port } = await start({ timeoutMs: 100, maxRetries: 4 });
    await fetchFile(port, 'boot/small.bin'); // warm up lazily opened handles
    const before = fds();
    const complete = (i: number) => fetchFile(port, i % 2 ? 'ipxe.efi' : 'boot/small.bin', i % 3 ? [{ name: 'windowsize', value: '8' }] : []);
    const probe = async () => {
      const peer = await LoopbackPeer.open();
      peer.send({ op: 'rrq', filename: 'ipxe.efi', mode: 'octet', options: [{ name: 'tsize', value: '0' }] }, port);
      const r = await peer.next();
      peer.send({ op: 'error', code: 8, message: 'probe' }, r!.port);
      peer.close();
    };
    const vanish = async () => {
      const peer = await LoopbackPeer.open();
      peer.send({ op: 'rrq', filename: 'ipxe.efi', mode: 'octet', options: [] }, port);
      await peer.next();
      peer.close();
    };
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all([
        ...Array.from({ length: 14 }, (_, i) => complete(batch * 14 + i)),
        probe(), probe(), probe(),
        vanish(), vanish(), vanish(),
      ]);
    }
    await until(() => server.stats.active === 0);
    expect(server.stats.transfersDone).toBe(141);
    expect(server.stats.transfersFailed).toBe(60);
    expect(fds()).toBeLessThanOrEqual(before);
  });
});

describe('startup', () => {
  it('a port that needs privileges gives an error naming the fix', async () => {
    const deniedFactory = () => {
      const s = dgram.createSocket('udp4');
      s.bind = (() => {
        setImmediate(() => s.emit('error', Object.assign(new Error('bind EACCES'), { code: 'EACCES' })));
        return s;
      }) as typeof s.bind;
      return s;
    };
    const err = await createTftpServer({ address: '127.0.0.1', socketFactory: deniedFactory }).catch((e) => e);
    expect(isDragonflyError(err, 'DF_ERR_FORBIDDEN')).toBe(true);
    expect(err.message).toContain('UDP 127.0.0.1:69');
    expect(err.message).toContain('--priv-helper unix:/run/dragonfly-privhelper.sock');
  });

  itWithPeers(['root'], 'port 69 as an unprivileged user fails with DF_ERR_FORBIDDEN naming the privileged helper (root drops to nobody)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dft-priv-'));
    chmodSync(dir, 0o755);
    const script = join(dir, 'bind69.mts');
    const serverPath = fileURLToPath(new URL('./server.ts', import.meta.url));
    writeFileSync(
      script,
      `import { createTftpServer } from ${JSON.stringify(serverPath)};\n` +
        `try { const s = await createTftpServer({ address: '127.0.0.1', port: 69 }); await s.close(); console.log('{"code":"bound"}'); }\n` +
        `catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }\n`,
    );
    chmodSync(script, 0o644);
    try {
      const { stdout } = await runFile('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'env', `HOME=${dir}`, process.execPath, '--import', 'tsx', script], { timeout: 20_000 });
      const got = JSON.parse(stdout.trim().split('\n').at(-1)!);
      expect(got.code).toBe('DF_ERR_FORBIDDEN');
      expect(got.message).toContain('sudo dragonfly-privhelper --listen');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a port in use gives an error naming the other server', async () => {
    const { port } = await start();
    const err = await createTftpServer({ address: '127.0.0.1', port, root }).catch((e) => e);
    expect(isDragonflyError(err, 'DF_ERR_UNAVAILABLE')).toBe(true);
    expect(err.message).toContain('in use');
  });

  it('calls bindSocket for the listening socket and each transfer socket', async () => {
    const roles: string[] = [];
    const { port } = await start({ bindSocket: (s, role) => void roles.push(`${role}:${s.address().address}`) });
    await fetchFile(port, 'boot/small.bin');
    expect(roles).toEqual(['listen:127.0.0.1', 'transfer:127.0.0.1']);
  });
});
