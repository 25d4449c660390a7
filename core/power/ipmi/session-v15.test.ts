import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSessionV15, encodeSessionV15 } from './session-v15.ts';
import { isDecodeError } from './wire.ts';

describe('IPMI v1.5 session wrapper', () => {
  it('encodes an unauthenticated wrapper with little-endian sequence and session ID', () => {
    const b = encodeSessionV15({ authType: 0, sequence: 0x01020304, sessionId: 0xa0b0c0d0, payload: Uint8Array.of(9, 8) });
    expect([...b]).toEqual([0, 4, 3, 2, 1, 0xd0, 0xc0, 0xb0, 0xa0, 2, 9, 8]);
  });

  it('round-trips a wrapper with an MD5 auth code', () => {
    const s = { authType: 2, sequence: 7, sessionId: 0x11223344, authCode: new Uint8Array(16).fill(5), payload: Uint8Array.of(1) };
    expect(decodeSessionV15(encodeSessionV15(s))).toEqual(s);
  });

  it('names the payload when the length byte promises more than arrived', () => {
    expect(decodeSessionV15(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2))).toMatchObject({ field: 'v15.payload' });
  });

  it('refuses an RMCP+ packet', () => {
    expect(decodeSessionV15(Uint8Array.of(6, 0, 0, 0, 0))).toMatchObject({ field: 'v15.authType' });
  });

  it('decodes any bytes without throwing', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      const r = decodeSessionV15(b);
      expect(isDecodeError(r) || r.payload.length < b.length).toBe(true);
    }));
  });
});
