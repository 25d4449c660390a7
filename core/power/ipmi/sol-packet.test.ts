import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSolPacket, encodeSolPacket, nextSolSequence, SolOperation } from './sol-packet.ts';
import { parseActiveInstances, parseSessionInfo, parseSolActivation, parseUserName } from './payload-commands.ts';
import { isDecodeError } from './wire.ts';

describe('SOL packet codec (IPMI v2.0 table 15-2)', () => {
  it('round-trips a data packet with a break request', () => {
    const p = { sequence: 3, ackSequence: 0, acceptedCount: 0, flags: SolOperation.generateBreak, data: new TextEncoder().encode('ls\r') };
    const bytes = encodeSolPacket(p);
    expect(Array.from(bytes.subarray(0, 4))).toEqual([3, 0, 0, 0x10]);
    expect(decodeSolPacket(bytes)).toEqual(p);
  });

  it('round-trips any well-formed packet', () => {
    const packet = fc.record({
      sequence: fc.integer({ min: 1, max: 15 }), ackSequence: fc.integer({ min: 0, max: 15 }),
      acceptedCount: fc.integer({ min: 0, max: 255 }), flags: fc.integer({ min: 0, max: 255 }), data: fc.uint8Array({ maxLength: 255 }),
    });
    fc.assert(fc.property(packet, (p) => {
      expect(decodeSolPacket(encodeSolPacket(p))).toEqual(p);
    }));
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      const r = decodeSolPacket(b);
      expect(isDecodeError(r) || typeof r.sequence === 'number').toBe(true);
    }));
    for (const parse of [parseSolActivation, parseActiveInstances, parseSessionInfo, parseUserName]) {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => void parse(b)));
    }
  });

  it('names the field of a short or malformed packet', () => {
    expect(decodeSolPacket(Uint8Array.of(1, 0))).toMatchObject({ kind: 'decode-error', field: 'sol.acceptedCount' });
    expect(decodeSolPacket(Uint8Array.of(0x21, 0, 0, 0))).toMatchObject({ field: 'sol.sequence' });
    expect(decodeSolPacket(Uint8Array.of(0, 1, 1, 0, 0x41))).toMatchObject({ field: 'sol.data' });
  });

  it('sequence numbers run 1..15 and skip 0 when they wrap', () => {
    expect(nextSolSequence(0)).toBe(1);
    expect(nextSolSequence(14)).toBe(15);
    expect(nextSolSequence(15)).toBe(1);
  });

  it('reads the Activate Payload answer sizes, little-endian', () => {
    expect(parseSolActivation(Uint8Array.of(0, 0, 0, 0, 0xff, 0, 0x00, 0x01, 0x6f, 0x02, 0xff, 0xff))).toEqual({ inboundSize: 255, outboundSize: 256, port: 623 });
  });

  it('reads who holds a session: user, and the LAN address when the BMC gives it', () => {
    // ipmi_sim's answer stops after the channel byte (no address); a full answer has IP, MAC, port (big-endian).
    expect(parseSessionInfo(Uint8Array.of(0x01, 0x3f, 0x02, 0x02, 0x04, 0x11))).toEqual({ userId: 2, privilege: 4 });
    const full = Uint8Array.of(0x01, 0x3f, 0x02, 0x03, 0x04, 0x11, 10, 0, 0, 7, 1, 2, 3, 4, 5, 6, 0xd4, 0x31);
    expect(parseSessionInfo(full)).toEqual({ userId: 3, privilege: 4, address: '10.0.0.7', port: 54321 });
    expect(parseUserName(Uint8Array.of(0x61, 0x64, 0x6d, 0x69, 0x6e, 0, 0, 0))).toBe('admin');
  });

  it('lists active instances from the activation-status mask', () => {
    expect(parseActiveInstances(Uint8Array.of(1, 0x01, 0x00))).toEqual([1]);
    expect(parseActiveInstances(Uint8Array.of(2, 0x00, 0x00))).toEqual([]);
  });
});
