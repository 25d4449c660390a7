import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decryptPayload, SUITE_17, SUITE_3 } from './crypto.ts';
import { consoleRequest } from './lan-message.ts';
import { openSealedPacket, parseSetupResponse, parseV15Response, sealedPacket, sessionKeys, v15Packet } from './packets.ts';
import { isDecodeError } from './wire.ts';

const keys = sessionKeys(SUITE_3, new Uint8Array(20).fill(9));
const msg = consoleRequest(0x00, 0x01, 3, new Uint8Array(0));

describe('session datagrams', () => {
  it('opens what it sealed, for the receiving session ID only', () => {
    for (const suite of [SUITE_3, SUITE_17]) {
      const k = sessionKeys(suite, new Uint8Array(suite.rakpHmacLength).fill(1));
      const p = sealedPacket(k, 0x1234, 1, msg, new Uint8Array(16).fill(2));
      expect(openSealedPacket(k, 0x1234, p)).toEqual(msg);
      expect(openSealedPacket(k, 0x9999, p)).toMatchObject({ field: 'v20.sessionId' });
    }
  });

  it('refuses a packet changed in flight (integrity) before decrypting it', () => {
    const p = sealedPacket(keys, 1, 1, msg, new Uint8Array(16));
    p[20] ^= 1;
    expect(openSealedPacket(keys, 1, p)).toMatchObject({ field: 'v20.authCode' });
  });

  it('reads the v1.5 answer it framed', () => {
    expect(parseV15Response(v15Packet(msg))).toEqual(msg);
  });

  it('never throws on any datagram', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
      for (const r of [openSealedPacket(keys, 1, b), parseV15Response(b), parseSetupResponse(b, 0x13), decryptPayload(keys.k2, b)]) {
        expect(isDecodeError(r) || r instanceof Uint8Array || typeof r === 'object').toBe(true);
      }
    }));
  });

  it('never throws on RMCP+ headers followed by random bytes', () => {
    const header = Uint8Array.of(0x06, 0x00, 0xff, 0x07, 0x06);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (tail) => {
      const r = openSealedPacket(keys, 1, Uint8Array.of(...header, ...tail));
      expect(isDecodeError(r)).toBe(true);
    }));
  });
});
