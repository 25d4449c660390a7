import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrameBody, encodeFrame, FrameSplitter, isProtocolError, MAX_FRAME_BODY, MAX_PAYLOAD, type HelperMessage } from './protocol.ts';

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const id = fc.nat(0xffffffff);
const iface = fc.stringMatching(/^[a-z0-9_.@-]{1,15}$/).filter((s) => s !== '.' && s !== '..');
const messageArb: fc.Arbitrary<HelperMessage> = fc.oneof(
  fc.record({ type: fc.constant('open' as const), id, port: fc.nat(65535), iface }),
  fc.record({ type: fc.constant('probe' as const), id, iface }),
  fc.record({ type: fc.constant('opened' as const), id }),
  fc.record({ type: fc.constant('close' as const), id }),
  fc.record({ type: fc.constant('failed' as const), id, reason: fc.constantFrom('forbidden' as const, 'in-use' as const, 'not-found' as const, 'refused' as const, 'error' as const), message: fc.string({ maxLength: 100 }) }),
  fc.record({ type: fc.constantFrom('send' as const, 'datagram' as const), id, address: ipv4, port: fc.integer({ min: 1, max: 65535 }), payload: fc.uint8Array({ maxLength: 600 }) }),
);

function decodeAll(bytes: Uint8Array, cuts: number[] = []): Array<HelperMessage | string> {
  const s = new FrameSplitter();
  const out: Array<HelperMessage | string> = [];
  let at = 0;
  for (const cut of [...cuts.filter((c) => c < bytes.length).sort((a, b) => a - b), bytes.length]) {
    for (const m of s.push(bytes.subarray(at, cut))) out.push(isProtocolError(m) ? m.message : m);
    at = cut;
  }
  if (s.fatal) out.push(`fatal: ${s.fatal.message}`);
  return out;
}

describe('privileged helper protocol', () => {
  it('a DHCP datagram round-trips with its source address and port', () => {
    const m: HelperMessage = { type: 'datagram', id: 7, address: '10.77.0.42', port: 68, payload: Uint8Array.from([1, 1, 6, 0]) };
    const frame = encodeFrame(m);
    expect(Array.from(frame.subarray(0, 5))).toEqual([0, 0, 0, 15, 5]);
    expect(decodeAll(frame)).toEqual([m]);
  });

  it('open carries the port and the interface name', () => {
    expect(decodeAll(encodeFrame({ type: 'open', id: 1, port: 4011, iface: 'br0' }))).toEqual([{ type: 'open', id: 1, port: 4011, iface: 'br0' }]);
  });

  it('probe carries only the interface name: its port is always 68', () => {
    const frame = encodeFrame({ type: 'probe', id: 3, iface: 'br0' });
    expect(Array.from(frame)).toEqual([0, 0, 0, 9, 7, 0, 0, 0, 3, 3, 98, 114, 48]);
    expect(decodeAll(frame)).toEqual([{ type: 'probe', id: 3, iface: 'br0' }]);
  });

  it('an interface name with a slash, a space or over 15 bytes is refused in both directions', () => {
    for (const bad of ['../x', 'eth 0', 'a'.repeat(16), '']) {
      expect(() => encodeFrame({ type: 'open', id: 1, port: 67, iface: bad })).toThrow(/interface name/);
    }
    const body = Uint8Array.from([1, 0, 0, 0, 1, 0, 67, 3, 0x2e, 0x2f, 0x78]); // "./x"
    expect(decodeFrameBody(body)).toMatchObject({ field: 'interface', message: 'invalid interface name "./x"' });
  });

  it('names the missing field of a short frame', () => {
    expect(decodeFrameBody(Uint8Array.from([4, 0, 0, 0, 9, 10, 0]))).toMatchObject({ message: expect.stringContaining('address: need 4 bytes') });
    expect(decodeFrameBody(Uint8Array.from([9, 0, 0, 0, 1]))).toMatchObject({ field: 'type', message: 'unknown frame type 9' });
    expect(decodeFrameBody(Uint8Array.from([2, 0, 0, 0, 1, 0]))).toMatchObject({ message: '1 bytes after the opened frame' });
  });

  it('a length beyond the largest datagram frame stops the stream for good', () => {
    const huge = Uint8Array.from([0, 1, 0, 0, 5]);
    const good = encodeFrame({ type: 'close', id: 3 });
    expect(decodeAll(Uint8Array.from([...good, ...huge, ...good]))).toEqual([{ type: 'close', id: 3 }, `fatal: frame length 65536 outside 1..${MAX_FRAME_BODY}`]);
  });

  it('the largest UDP payload fits; one byte more is refused by the encoder', () => {
    const payload = new Uint8Array(MAX_PAYLOAD);
    expect(decodeAll(encodeFrame({ type: 'send', id: 1, address: '255.255.255.255', port: 68, payload }))).toHaveLength(1);
    expect(() => encodeFrame({ type: 'send', id: 1, address: '1.2.3.4', port: 68, payload: new Uint8Array(MAX_PAYLOAD + 1) })).toThrow(/exceeds/);
  });

  it('any bytes, cut anywhere, decode to messages or errors and never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(300)), (b, cuts) => {
        for (const m of decodeAll(b, cuts)) expect(typeof m === 'string' || typeof m.type === 'string').toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('frame bodies of any content never throw', () => {
    fc.assert(
      fc.property(fc.nat(8), fc.uint8Array({ maxLength: 80 }), (type, rest) => {
        const r = decodeFrameBody(Uint8Array.from([type, ...rest]));
        expect(isProtocolError(r) || typeof r.type === 'string').toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('any message sequence survives any chunking of the stream', () => {
    fc.assert(
      fc.property(fc.array(messageArb, { maxLength: 8 }), fc.array(fc.nat(3000)), (msgs, cuts) => {
        const stream = Uint8Array.from(msgs.flatMap((m) => [...encodeFrame(m)]));
        expect(decodeAll(stream, cuts)).toEqual(msgs);
      }),
      { numRuns: 500 },
    );
  });
});
