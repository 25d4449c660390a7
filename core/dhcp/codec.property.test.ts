import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDhcp, DecodeError, encodeDhcp } from './codec.ts';
import { packetArb } from './testing/arbitraries.ts';

describe('DHCP codec properties', () => {
  it('any bytes decode to a packet or a DecodeError, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (b) => {
        const r = decodeDhcp(b);
        expect(r instanceof DecodeError || typeof r.xid === 'number').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('bytes behind a valid header and cookie (the interesting part) never throw either', () => {
    const head = new Uint8Array(240);
    head.set([0x63, 0x82, 0x53, 0x63], 236);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (tail) => {
        const r = decodeDhcp(Uint8Array.from([...head, ...tail]));
        if (!(r instanceof DecodeError)) expect(() => encodeDhcp(r)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });

  it('encode(decode(encode(p))) equals encode(p) for generated packets', () => {
    fc.assert(
      fc.property(packetArb, (p) => {
        const once = encodeDhcp(p);
        const back = decodeDhcp(once);
        if (back instanceof DecodeError) throw new Error(back.message);
        expect(Buffer.from(encodeDhcp(back)).equals(Buffer.from(once))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('decode(encode(p)) gives back the typed options of generated packets', () => {
    fc.assert(
      fc.property(packetArb, (p) => {
        const back = decodeDhcp(encodeDhcp(p));
        if (back instanceof DecodeError) throw new Error(back.message);
        expect(back.options.messageType).toBe(p.options.messageType);
        expect(back.options.clientArch).toEqual(p.options.clientArch);
        expect(back.options.bootfileName).toBe(p.options.bootfileName);
        expect(back.xid).toBe(p.xid);
      }),
      { numRuns: 300 },
    );
  });
});
