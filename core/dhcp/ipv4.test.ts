import { describe, expect, it } from 'vitest';
import { broadcastOf, intToIp, ipToInt, maskToPrefix, sameSubnet } from './ipv4.ts';

describe('IPv4 helpers', () => {
  it('converts both ways', () => {
    expect(ipToInt('10.77.0.1')).toBe(0x0a4d0001);
    expect(ipToInt('255.255.255.255')).toBe(0xffffffff);
    expect(intToIp(0x0a4d0001)).toBe('10.77.0.1');
  });
  it.each(['1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', 'a.b.c.d', '1.2.3.4 ', '', '1234.1.1.1'])('rejects "%s"', (bad) => {
    expect(() => ipToInt(bad)).toThrow('is not an IPv4 address');
  });
  it('does subnet arithmetic', () => {
    expect(maskToPrefix('255.255.255.0')).toBe(24);
    expect(sameSubnet('10.0.0.5', '10.0.0.200', '255.255.255.0')).toBe(true);
    expect(sameSubnet('10.0.1.5', '10.0.0.200', '255.255.255.0')).toBe(false);
    expect(broadcastOf('10.0.0.1', '255.255.255.0')).toBe('10.0.0.255');
  });
});
