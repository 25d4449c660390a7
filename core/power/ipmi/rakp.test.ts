import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeOpenSessionRequest, decodeOpenSessionResponse, decodeRakp1, decodeRakp2, decodeRakp34, encodeOpenSessionRequest,
  encodeRakp1, encodeRakp2, encodeRakp34,
} from './rakp.ts';
import { isDecodeError } from './wire.ts';

const algorithms = { authentication: 1, integrity: 1, confidentiality: 1 };

describe('Open Session', () => {
  it('encodes the request with three 8-byte algorithm records (suite 3)', () => {
    const b = encodeOpenSessionRequest({ tag: 1, maxPrivilege: 4, consoleSessionId: 0xa0a2a3a4, algorithms });
    expect(Buffer.from(b).toString('hex')).toBe('01040000a4a3a2a0' + '0000000801000000' + '0100000801000000' + '0200000801000000');
    expect(decodeOpenSessionRequest(b)).toEqual({ tag: 1, maxPrivilege: 4, consoleSessionId: 0xa0a2a3a4, algorithms });
  });

  it('decodes a full response and a refusal cut short after the status byte (as ipmi_sim sends it)', () => {
    const full = Uint8Array.of(1, 0, 4, 0, 0xa4, 0xa3, 0xa2, 0xa0, 0x84, 0x09, 0, 0, ...encodeOpenSessionRequest({ tag: 0, maxPrivilege: 0, consoleSessionId: 0, algorithms }).subarray(8));
    expect(decodeOpenSessionResponse(full)).toEqual({ tag: 1, status: 0, maxPrivilege: 4, consoleSessionId: 0xa0a2a3a4, bmcSessionId: 0x984, algorithms });
    expect(decodeOpenSessionResponse(Uint8Array.of(1, 0x04))).toMatchObject({ status: 4, bmcSessionId: 0 });
  });

  it('names a wrong algorithm record type', () => {
    const b = encodeOpenSessionRequest({ tag: 1, maxPrivilege: 4, consoleSessionId: 1, algorithms });
    b[16] = 2;
    expect(decodeOpenSessionRequest(b)).toMatchObject({ field: 'openSession.integrity.type' });
  });
});

describe('RAKP messages', () => {
  const rakp1 = { tag: 2, bmcSessionId: 0x984, consoleRandom: new Uint8Array(16).fill(7), role: 0x14, username: new TextEncoder().encode('admin') };

  it('round-trips RAKP1 and caps the user name at 16 bytes', () => {
    expect(decodeRakp1(encodeRakp1(rakp1))).toEqual(rakp1);
    const long = encodeRakp1({ ...rakp1, username: new Uint8Array(17) });
    expect(decodeRakp1(long)).toMatchObject({ field: 'rakp1.usernameLength' });
  });

  it('round-trips RAKP2 with a 20- or 32-byte HMAC, and reads an error status alone', () => {
    for (const n of [20, 32]) {
      const m = { tag: 2, status: 0, consoleSessionId: 9, bmcRandom: new Uint8Array(16).fill(1), bmcGuid: new Uint8Array(16).fill(2), authCode: new Uint8Array(n).fill(3) };
      expect(decodeRakp2(encodeRakp2(m))).toEqual(m);
    }
    expect(decodeRakp2(Uint8Array.of(2, 0x0d, 0, 0, 9, 0, 0, 0))).toMatchObject({ status: 0x0d, authCode: new Uint8Array(0) });
    expect(decodeRakp2(Uint8Array.of(2, 0, 0, 0, 9, 0, 0, 0, 1))).toMatchObject({ field: 'rakp2.bmcRandom' });
  });

  it('round-trips RAKP3/4', () => {
    const m = { tag: 3, status: 0, sessionId: 0x984, authCode: new Uint8Array(12).fill(4) };
    expect(decodeRakp34(encodeRakp34(m), 'rakp4')).toEqual(m);
    expect(decodeRakp34(Uint8Array.of(3, 0x0f), 'rakp4')).toMatchObject({ status: 0x0f });
    expect(decodeRakp34(Uint8Array.of(3, 0), 'rakp4')).toMatchObject({ field: 'rakp4.reserved' });
  });

  it('decodes any bytes without throwing', () => {
    const decoders = [
      decodeOpenSessionRequest, decodeOpenSessionResponse, decodeRakp1, decodeRakp2,
      (b: Uint8Array) => decodeRakp34(b, 'rakp3'), (b: Uint8Array) => decodeRakp34(b, 'rakp4'),
    ];
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(decoders.length - 1), (b, i) => {
      const r = decoders[i](b);
      expect(isDecodeError(r) || typeof r.tag === 'number').toBe(true);
    }));
  });
});
