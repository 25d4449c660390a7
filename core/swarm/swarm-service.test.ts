import { describe, expect, it } from 'vitest';
import { segmentOf } from './swarm-service.ts';

describe('segmentOf (which election an interface joins)', () => {
  it('names the network of the interface address, so instances on one bridge share a leader key', () => {
    expect(segmentOf('10.79.0.11', '255.255.255.0')).toBe('10.79.0.0/24');
    expect(segmentOf('10.79.0.13', '255.255.255.0')).toBe(segmentOf('10.79.0.11', '255.255.255.0'));
    expect(segmentOf('192.168.7.200', '255.255.254.0')).toBe('192.168.6.0/23');
    expect(segmentOf('172.16.5.4', '255.255.255.255')).toBe('172.16.5.4/32');
  });
});
