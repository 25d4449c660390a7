import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeSolPacket, encodeSolPacket, SolOperation, SolStatus, type SolPacket } from './sol-packet.ts';
import { SolStream } from './sol-stream.ts';

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);
const pkt = (p: Partial<SolPacket>) => encodeSolPacket({ sequence: 0, ackSequence: 0, acceptedCount: 0, flags: 0, data: new Uint8Array(0), ...p });

function stream(maxPayload = 64) {
  const sent: SolPacket[] = [];
  const data: string[] = [];
  const ends: string[] = [];
  const s = new SolStream({ maxPayload, retryMs: 100, retries: 2 }, {
    send: (b) => sent.push(decodeSolPacket(b) as SolPacket),
    onData: (b) => data.push(str(b)),
    onEnd: (r) => ends.push(r),
  });
  return { s, sent, data, ends };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('SOL stream: sequence numbers, acknowledgements, retransmission', () => {
  it('keeps one packet in flight and sends the next after the acknowledgement', () => {
    const { s, sent } = stream();
    s.write(text('ab'));
    s.write(text('c'));
    expect(sent.map((p) => [p.sequence, str(p.data)])).toEqual([[1, 'ab']]);
    s.receive(pkt({ ackSequence: 1, acceptedCount: 2 }));
    expect(sent.map((p) => [p.sequence, str(p.data)])).toEqual([[1, 'ab'], [2, 'c']]);
  });

  it('sends the characters a partial acknowledgement left out in the next packet', () => {
    const { s, sent } = stream();
    s.write(text('hello'));
    s.receive(pkt({ ackSequence: 1, acceptedCount: 2 }));
    expect(sent.map((p) => [p.sequence, str(p.data)])).toEqual([[1, 'hello'], [2, 'llo']]);
  });

  it('resends the same packet after silence, then gives up', () => {
    const { s, sent, ends } = stream();
    s.write(text('x'));
    vi.advanceTimersByTime(100);
    vi.advanceTimersByTime(100);
    expect(sent.map((p) => p.sequence)).toEqual([1, 1, 1]);
    vi.advanceTimersByTime(100);
    expect(ends).toEqual(['bmc-silent']);
  });

  it('resends a NACKed packet later without losing characters', () => {
    const { s, sent } = stream();
    s.write(text('q'));
    s.receive(pkt({ ackSequence: 1, flags: SolStatus.nack }));
    vi.advanceTimersByTime(100);
    expect(sent.map((p) => [p.sequence, str(p.data)])).toEqual([[1, 'q'], [1, 'q']]);
  });

  it('splits writes larger than the BMC accepts', () => {
    const { s, sent } = stream(8);
    s.write(text('abcdefghij'));
    s.receive(pkt({ ackSequence: 1, acceptedCount: 4 }));
    s.receive(pkt({ ackSequence: 2, acceptedCount: 4 }));
    expect(sent.map((p) => str(p.data))).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('acknowledges inbound data and delivers a resent packet only once', () => {
    const { s, sent, data } = stream();
    s.receive(pkt({ sequence: 4, data: text('login: ') }));
    s.receive(pkt({ sequence: 4, data: text('login: ') }));
    s.receive(pkt({ sequence: 5, data: text('$ ') }));
    expect(data).toEqual(['login: ', '$ ']);
    expect(sent.map((p) => [p.sequence, p.ackSequence, p.acceptedCount])).toEqual([[0, 4, 7], [0, 4, 7], [0, 5, 2]]);
  });

  it('opens with an empty packet so a BMC remembering an old sequence number drops nothing', () => {
    const { s, sent } = stream();
    s.start();
    s.write(text('a'));
    expect(sent.map((p) => [p.sequence, str(p.data)])).toEqual([[1, '']]);
    s.receive(pkt({ ackSequence: 1, acceptedCount: 0 }));
    expect(sent.map((p) => [p.sequence, str(p.data)])).toEqual([[1, ''], [2, 'a']]);
  });

  it('sends a break as an operation bit', () => {
    const { s, sent } = stream();
    s.sendBreak();
    expect(sent[0]).toMatchObject({ sequence: 1, flags: SolOperation.generateBreak });
  });

  it('ends when the BMC says it is deactivating, and drops undecodable packets', () => {
    const { s, ends } = stream();
    s.receive(Uint8Array.of(0xff));
    expect(s.dropped).toBe(1);
    s.receive(pkt({ flags: SolStatus.deactivating }));
    expect(ends).toEqual(['bmc-deactivated']);
  });
});
