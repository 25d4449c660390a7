import { describe, expect, it } from 'vitest';
import { advertisedBase, advertisedHost } from './advertise.ts';

describe('the address machines are sent to', () => {
  it('is the advertise address when one is given', () => {
    expect(advertisedHost({ advertiseAddress: '192.0.2.9', interfaceAddress: '10.77.0.1', listen: '127.0.0.1', port: 8080 })).toBe('192.0.2.9');
  });
  it("is the provisioning interface's address even when the operator API listens on loopback (the boot listener answers there)", () => {
    expect(advertisedBase({ interfaceAddress: '10.77.0.1', listen: '127.0.0.1', port: 8080 })).toBe('http://10.77.0.1:8080');
  });
  it('is the listen address when no interface is chosen and the listener is not a wildcard', () => {
    expect(advertisedHost({ listen: '10.1.2.3', port: 80 })).toBe('10.1.2.3');
  });
  it('falls back to some address of this host, then loopback, on a wildcard listener with no interface', () => {
    expect(advertisedHost({ listen: '0.0.0.0', port: 80, fallbackAddress: () => '10.9.9.9' })).toBe('10.9.9.9');
    expect(advertisedHost({ listen: '0.0.0.0', port: 80 })).toBe('127.0.0.1');
  });
});
