import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSessionV20, encodeSessionV20, integrityPadLength, PayloadType } from './session-v20.ts';
import { isDecodeError } from './wire.ts';

const fakeCode = (n: number) => (covered: Uint8Array) => new Uint8Array(n).fill(covered.length & 0xff);

describe('IPMI v2.0 / RMCP+ session header', () => {
  it('encodes an unauthenticated setup packet (auth type 6, little-endian IDs and length)', () => {
    const b = encodeSessionV20({ payloadType: PayloadType.rakp1, encrypted: false, authenticated: false, sessionId: 0, sequence: 0, payload: Uint8Array.of(0xee) });
    expect([...b]).toEqual([6, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0xee]);
  });

  it('sets the encrypted and authenticated bits and pads the trailer to a 4-byte boundary', () => {
    const s = { payloadType: 0, encrypted: true, authenticated: true, sessionId: 0x01020304, sequence: 9, payload: Uint8Array.of(1, 2, 3) };
    const b = encodeSessionV20(s, fakeCode(12));
    expect(b[1]).toBe(0xc0);
    const covered = b.length - 12;
    expect(covered % 4).toBe(0);
    expect(b[covered - 1]).toBe(0x07); // next header
    const d = decodeSessionV20(b, 12);
    expect(isDecodeError(d) ? d : d.integrity?.covered.length).toBe(covered);
    expect(isDecodeError(d) ? d : { ...d, integrity: undefined }).toEqual({ ...s, oemIana: undefined, oemPayloadId: undefined, integrity: undefined });
  });

  it('computes the integrity pad for every remainder', () => {
    expect([12, 13, 14, 15].map(integrityPadLength)).toEqual([2, 1, 0, 3]);
  });

  it('carries the OEM IANA and payload ID for OEM payloads', () => {
    const s = { payloadType: PayloadType.oem, encrypted: false, authenticated: false, oemIana: 4242, oemPayloadId: 7, sessionId: 1, sequence: 2, payload: new Uint8Array(0) };
    expect(decodeSessionV20(encodeSessionV20(s))).toEqual(s);
  });

  it('names the field for a bad trailer', () => {
    const b = encodeSessionV20({ payloadType: 0, encrypted: false, authenticated: true, sessionId: 1, sequence: 1, payload: Uint8Array.of(1) }, fakeCode(12));
    const badNext = b.slice();
    badNext[b.length - 13] = 0x08;
    expect(decodeSessionV20(badNext, 12)).toMatchObject({ field: 'v20.nextHeader' });
    const badPad = b.slice();
    badPad[b.length - 14] = 3;
    expect(decodeSessionV20(badPad, 12)).toMatchObject({ field: 'v20.padLength' });
    expect(decodeSessionV20(b, 0)).toMatchObject({ field: 'v20.authCode' });
    expect(decodeSessionV20(b.subarray(0, b.length - 14), 12)).toMatchObject({ field: 'v20.trailer' });
  });

  it('names the payload when the length field promises more than arrived', () => {
    expect(decodeSessionV20(Uint8Array.of(6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0))).toMatchObject({ field: 'v20.payload' });
  });

  it('round-trips any session and decodes any bytes without throwing', () => {
    const session = fc.record({
      payloadType: fc.constantFrom(0, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15),
      encrypted: fc.boolean(), authenticated: fc.boolean(),
      sessionId: fc.nat({ max: 0xffffffff }), sequence: fc.nat({ max: 0xffffffff }),
      payload: fc.uint8Array({ maxLength: 80 }),
    });
    fc.assert(fc.property(session, (s) => {
      const d = decodeSessionV20(encodeSessionV20(s, fakeCode(16)), 16);
      expect(isDecodeError(d) ? d : { ...d, integrity: undefined, oemIana: undefined, oemPayloadId: undefined }).toEqual({ ...s, integrity: undefined, oemIana: undefined, oemPayloadId: undefined });
    }));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 96 }), fc.constantFrom(0, 12, 16), (b, n) => {
      const d = decodeSessionV20(b, n);
      expect(isDecodeError(d) || d.payload.length <= b.length).toBe(true);
    }));
  });
});
