import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AsfType, decodeAsf, decodeRmcp, encodeAsf, encodeRmcp, pongSupportsIpmi, rmcpIpmi } from './rmcp.ts';
import { isDecodeError } from './wire.ts';

describe('RMCP header', () => {
  it('frames an IPMI session as version 6, no-ACK sequence, class 7', () => {
    expect([...rmcpIpmi(Uint8Array.of(0xaa))]).toEqual([0x06, 0x00, 0xff, 0x07, 0xaa]);
  });

  it('round-trips', () => {
    const p = { sequence: 3, messageClass: 6, ack: true, body: Uint8Array.of(1, 2, 3) };
    expect(decodeRmcp(encodeRmcp(p))).toEqual(p);
  });

  it('names the field of a bad version or a short header', () => {
    expect(decodeRmcp(Uint8Array.of(0x05, 0, 0xff, 7))).toMatchObject({ field: 'rmcp.version' });
    expect(decodeRmcp(Uint8Array.of(0x06, 0))).toMatchObject({ field: 'rmcp.sequence' });
  });

  it('decodes any bytes to a packet or a DecodeError, never a throw', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      const r = decodeRmcp(b);
      expect(isDecodeError(r) || r.body.length === b.length - 4).toBe(true);
    }));
  });
});

describe('ASF presence ping/pong', () => {
  it('encodes a ping with the ASF IANA number, big-endian', () => {
    expect([...encodeAsf({ type: AsfType.presencePing, tag: 9, data: new Uint8Array(0) })]).toEqual([
      0x06, 0x00, 0xff, 0x06, 0x00, 0x00, 0x11, 0xbe, 0x80, 0x09, 0x00, 0x00,
    ]);
  });

  it('reads IPMI support from a pong', () => {
    const data = new Uint8Array(16);
    data[8] = 0x81;
    const pong = decodeAsf(encodeAsf({ type: AsfType.presencePong, tag: 1, data }).subarray(4));
    expect(isDecodeError(pong) ? pong : pongSupportsIpmi(pong)).toBe(true);
  });

  it('rejects a foreign IANA number and a short data field', () => {
    expect(decodeAsf(Uint8Array.of(0, 0, 0, 1, 0x40, 0, 0, 0))).toMatchObject({ field: 'asf.iana' });
    expect(decodeAsf(Uint8Array.of(0, 0, 0x11, 0xbe, 0x40, 0, 0, 16, 1))).toMatchObject({ field: 'asf.data' });
  });

  it('decodes any bytes without throwing', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
      const r = decodeAsf(b);
      expect(isDecodeError(r) || r.data.length <= b.length).toBe(true);
    }));
  });
});
