import { describe, expect, it } from 'vitest';
import { decodeTftp, type TftpPacket } from './codec.ts';
import { FakeClock } from './testing/fake-clock.ts';
import { absoluteAck, TftpSession, type SessionConfig, type SessionEnd } from './session.ts';
import { bytesReader } from './sources.ts';

const flush = () => new Promise((r) => setImmediate(r));

function fileOf(size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
}

function harness(size: number, cfg: Partial<SessionConfig> = {}) {
  const clock = new FakeClock();
  const sent: TftpPacket[] = [];
  const ends: SessionEnd[] = [];
  let readerClosed = false;
  const file = fileOf(size);
  const reader = { ...bytesReader(file), close: () => void (readerClosed = true) };
  const session = new TftpSession(
    { size, blksize: 512, windowsize: 1, timeoutMs: 1000, maxRetries: 5, oack: [], ...cfg },
    { send: (d) => sent.push(decodeTftp(d) as TftpPacket), reader, clock, onEnd: (e) => ends.push(e) },
  );
  const take = () => sent.splice(0, sent.length);
  const ack = async (block: number) => {
    session.handle({ op: 'ack', block });
    await flush();
  };
  return { clock, sent, ends, session, take, ack, file, readerClosed: () => readerClosed };
}

const blocksOf = (ps: TftpPacket[]) => ps.map((p) => (p.op === 'data' ? p.block : `${p.op}`));

/** Plays a perfect client: ACKs each window end, collects the data. */
async function receiveAll(h: ReturnType<typeof harness>, windowsize: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let expected = 1;
  for (let rounds = 0; h.ends.length === 0 && rounds < 1_000_000; rounds++) {
    const got = h.take();
    let last = -1;
    for (const p of got) {
      if (p.op !== 'data') throw new Error(`unexpected ${p.op}`);
      expect(p.block).toBe(expected & 0xffff);
      parts.push(p.data);
      expected++;
      last = p.block;
    }
    expect(got.length).toBeLessThanOrEqual(windowsize);
    await h.ack(last);
  }
  return Buffer.concat(parts);
}

describe('TftpSession', () => {
  it('lock-step without options: DATA 1 first, then one block per ACK, short final block', async () => {
    const h = harness(1300);
    h.session.start();
    await flush();
    const data = await receiveAll(h, 1);
    expect(Buffer.compare(data, h.file)).toBe(0);
    expect(h.ends).toEqual([{ outcome: 'done', bytes: 1300 }]);
    expect(h.clock.pending).toBe(0);
  });

  it('a file that is an exact multiple of blksize ends with an empty block', async () => {
    const h = harness(1024);
    h.session.start();
    await flush();
    const blocks: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [p] = h.take();
      expect(p.op).toBe('data');
      if (p.op !== 'data') return;
      blocks.push(p.data.length);
      await h.ack(p.block);
    }
    expect(blocks).toEqual([512, 512, 0]);
    expect(h.ends[0]).toEqual({ outcome: 'done', bytes: 1024 });
  });

  it('a 0-byte file is one empty DATA block', async () => {
    const h = harness(0);
    h.session.start();
    await flush();
    expect(h.take()).toEqual([{ op: 'data', block: 1, data: new Uint8Array(0) }]);
    await h.ack(1);
    expect(h.ends[0].outcome).toBe('done');
  });

  it('sends an OACK first and waits for ACK 0', async () => {
    const h = harness(100, { oack: [{ name: 'tsize', value: '100' }] });
    h.session.start();
    await flush();
    expect(h.take()).toEqual([{ op: 'oack', options: [{ name: 'tsize', value: '100' }] }]);
    await h.ack(5); // stale: ignored
    expect(h.take()).toEqual([]);
    await h.ack(0);
    expect(blocksOf(h.take())).toEqual([1]);
  });

  it('retransmits the OACK on timeout', async () => {
    const h = harness(100, { oack: [{ name: 'tsize', value: '100' }] });
    h.session.start();
    h.take();
    h.clock.advance(1000);
    expect(h.take().map((p) => p.op)).toEqual(['oack']);
  });

  it('sends windows of N blocks and wraps block numbers past 65535 (blksize 8, 600 KB)', async () => {
    const size = 600_000; // 75,001 blocks of 8 bytes: wraps once
    const h = harness(size, { blksize: 8, windowsize: 16 });
    h.session.start();
    await flush();
    const data = await receiveAll(h, 16);
    expect(data.length).toBe(size);
    expect(Buffer.compare(data, h.file)).toBe(0);
    expect(h.ends).toEqual([{ outcome: 'done', bytes: size }]);
  });

  it('on timeout resends the whole window from the last acked block', async () => {
    const h = harness(512 * 10, { windowsize: 4 });
    h.session.start();
    await flush();
    expect(blocksOf(h.take())).toEqual([1, 2, 3, 4]);
    await h.ack(4);
    expect(blocksOf(h.take())).toEqual([5, 6, 7, 8]);
    h.clock.advance(999);
    await flush();
    expect(h.take()).toEqual([]);
    h.clock.advance(1);
    await flush();
    expect(blocksOf(h.take())).toEqual([5, 6, 7, 8]);
  });

  it('an ACK inside the window (a gap) resends from the block after it', async () => {
    const h = harness(512 * 10, { windowsize: 4 });
    h.session.start();
    await flush();
    h.take();
    await h.ack(2);
    expect(blocksOf(h.take())).toEqual([3, 4, 5, 6]);
  });

  it('duplicate ACKs do not multiply traffic (Sorcerer\'s Apprentice)', async () => {
    const lock = harness(512 * 10);
    lock.session.start();
    await flush();
    lock.take();
    await lock.ack(1);
    expect(blocksOf(lock.take())).toEqual([2]);
    await lock.ack(1);
    await lock.ack(1);
    expect(lock.take()).toEqual([]); // window 1: never answer a duplicate

    const win = harness(512 * 20, { windowsize: 4 });
    win.session.start();
    await flush();
    win.take();
    await win.ack(4);
    win.take();
    for (let i = 0; i < 5; i++) await win.ack(4);
    expect(blocksOf(win.take())).toEqual([5, 6, 7, 8]); // one resend, not five
  });

  it('ignores ACKs from an older window', async () => {
    const h = harness(512 * 20, { windowsize: 4 });
    h.session.start();
    await flush();
    h.take();
    await h.ack(4);
    h.take();
    await h.ack(2);
    expect(h.take()).toEqual([]);
  });

  it('gives up after maxRetries timeouts (client vanished) and ends once', async () => {
    const h = harness(512 * 10, { maxRetries: 3 });
    h.session.start();
    await flush();
    h.take();
    for (let i = 0; i < 3; i++) {
      h.clock.advance(1000);
      await flush();
      expect(blocksOf(h.take())).toEqual([1]);
    }
    h.clock.advance(1000);
    await flush();
    expect(h.take()).toEqual([]);
    expect(h.ends).toEqual([{ outcome: 'timeout', bytes: 0 }]);
    expect(h.clock.pending).toBe(0);
  });

  it('progress resets the retry count', async () => {
    const h = harness(512 * 10, { maxRetries: 1 });
    h.session.start();
    await flush();
    h.clock.advance(1000);
    await flush();
    await h.ack(1);
    h.clock.advance(1000);
    await flush();
    expect(h.ends).toEqual([]);
    h.clock.advance(1000);
    expect(h.ends).toEqual([{ outcome: 'timeout', bytes: 512 }]);
  });

  it('an ERROR from the client (OVMF size probe after OACK) ends it quietly', async () => {
    const h = harness(850528, {
      blksize: 1468,
      windowsize: 4,
      oack: [{ name: 'tsize', value: '850528' }],
    });
    h.session.start();
    h.take();
    h.session.handle({ op: 'error', code: 8, message: 'probe' });
    expect(h.ends).toEqual([{ outcome: 'client-error', bytes: 0, code: 8, message: 'probe' }]);
    expect(h.take()).toEqual([]);
    expect(h.clock.pending).toBe(0);
    h.clock.advance(60_000);
    expect(h.take()).toEqual([]);
  });

  it('answers an unexpected packet with ERROR 4 and ends', async () => {
    const h = harness(100);
    h.session.start();
    await flush();
    h.take();
    h.session.handle({ op: 'data', block: 1, data: new Uint8Array(1) });
    expect(h.take()).toMatchObject([{ op: 'error', code: 4 }]);
    expect(h.ends[0].outcome).toBe('protocol-error');
  });

  it('abort tells the client and ends', async () => {
    const h = harness(5000);
    h.session.start();
    await flush();
    await h.ack(1);
    h.take();
    h.session.abort('server shutting down');
    expect(h.take()).toEqual([{ op: 'error', code: 0, message: 'server shutting down' }]);
    expect(h.ends).toEqual([{ outcome: 'aborted', bytes: 512, message: 'server shutting down' }]);
  });

  it('a file that shrank while serving ends with a read error', async () => {
    const clock = new FakeClock();
    const ends: SessionEnd[] = [];
    const s = new TftpSession(
      { size: 2000, blksize: 512, windowsize: 1, timeoutMs: 1000, maxRetries: 5, oack: [] },
      { send: () => {}, reader: bytesReader(new Uint8Array(100)), clock, onEnd: (e) => ends.push(e) },
    );
    s.start();
    await flush();
    expect(ends[0].outcome).toBe('read-error');
  });
});

describe('absoluteAck', () => {
  it('maps 16-bit ACK numbers across the wrap', () => {
    expect(absoluteAck(0, 65530, 65540)).toBe(65536);
    expect(absoluteAck(3, 65530, 65540)).toBe(65539);
    expect(absoluteAck(65535, 65530, 65540)).toBe(65535);
    expect(absoluteAck(10, 65530, 65540)).toBeUndefined();
    expect(absoluteAck(65529, 65530, 65540)).toBeUndefined();
  });
});
