import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bootFlags, chassisControl, closeSession, completionCodeText, parseChannelAuthCapabilities, parsePowerOn, setBootFlags,
} from './commands.ts';
import { isDecodeError } from './wire.ts';

describe('IPMI commands', () => {
  it('encodes the Chassis Control actions of table 28-4', () => {
    expect(['powerDown', 'powerUp', 'powerCycle', 'hardReset', 'softShutdown'].map((a) => chassisControl(a as never).data[0])).toEqual([0, 1, 2, 3, 5]);
  });

  it('encodes boot flags: valid, persistent, EFI bits and the device selector', () => {
    expect([...bootFlags({ device: 'pxe', persistent: true, uefi: true })]).toEqual([0xe0, 0x04, 0, 0, 0]);
    expect([...bootFlags({ device: 'pxe', persistent: false, uefi: false })]).toEqual([0x80, 0x04, 0, 0, 0]);
    expect([...bootFlags({ device: 'disk', persistent: true, uefi: false })]).toEqual([0xc0, 0x08, 0, 0, 0]);
    expect([...setBootFlags({ device: 'disk', persistent: false, uefi: true }).data]).toEqual([5, 0xa0, 0x08, 0, 0, 0]);
  });

  it('closes the session by its little-endian ID', () => {
    expect([...closeSession(0x00000984).data]).toEqual([0x84, 0x09, 0, 0]);
  });

  it('reads the power bit of Get Chassis Status', () => {
    expect(parsePowerOn(Uint8Array.of(0x61, 0, 0))).toBe(true);
    expect(parsePowerOn(Uint8Array.of(0x60, 0, 0))).toBe(false);
    expect(parsePowerOn(Uint8Array.of(1))).toMatchObject({ field: 'chassisStatus.length' });
  });

  it('reads IPMI v2.0 support from the channel capabilities (ipmi_sim answer)', () => {
    expect(parseChannelAuthCapabilities(Uint8Array.of(1, 0x97, 0x04, 0x03, 0, 0, 0, 0))).toEqual({ channel: 1, ipmi20: true, kgSet: false });
    expect(parseChannelAuthCapabilities(Uint8Array.of(1, 0x17, 0x04, 0x03, 0, 0, 0, 0))).toMatchObject({ ipmi20: false });
  });

  it('names completion codes', () => {
    expect(completionCodeText(0xd4)).toBe('completion code 0xd4 (insufficient privilege level)');
    expect(completionCodeText(0x42)).toBe('completion code 0x42');
  });

  it('parsers never throw on any response data', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 12 }), (b) => {
      const p = parsePowerOn(b);
      const c = parseChannelAuthCapabilities(b);
      expect(isDecodeError(p) || typeof p === 'boolean').toBe(true);
      expect(isDecodeError(c) || typeof c.ipmi20 === 'boolean').toBe(true);
    }));
  });
});
