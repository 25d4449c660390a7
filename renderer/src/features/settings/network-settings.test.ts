import { describe, expect, it } from 'vitest';
import { fromServer, networkFormProblems, suggestRange, toServer, type NetworkSettings } from './network-settings.ts';
import { mayEnableFullDhcp } from './settings-slice.ts';

const base: NetworkSettings = fromServer({ dhcpMode: 'full', interface: 'eth1', range: { start: '10.0.0.100', end: '10.0.0.200' }, dns: [], leaseSeconds: 3600, tftpPort: 69, httpPort: 8080 });

describe('network settings form', () => {
  it('a sound full-DHCP form has no problems', () => {
    expect(networkFormProblems(base)).toEqual({});
  });

  it('names the field at fault: reversed range, bad router, bad DNS, missing interface', () => {
    const p = networkFormProblems({ ...base, interface: '', range: { start: '10.0.0.200', end: '10.0.0.100' }, router: '10.0.0', dns: ['x'] });
    expect(Object.keys(p).sort()).toEqual(['dns', 'interface', 'range', 'router']);
    expect(p.range).toMatch(/start must not be after its end/);
  });

  it('sends no empty optional fields to the server', () => {
    const s = toServer({ ...base, dhcpMode: 'off', interface: '', range: { start: '', end: '' }, router: '' });
    expect(s).toEqual({ dhcpMode: 'off', dns: [], leaseSeconds: 3600, tftpPort: 69, httpPort: 8080, fanout: 'on' });
  });

  it('rack fan-out is on unless the server says off, and the switch goes back as the setting', () => {
    expect(base.fanout).toBe('on');
    expect(fromServer({ ...toServer(base), fanout: 'off' }).fanout).toBe('off');
    expect(toServer({ ...base, fanout: 'off' }).fanout).toBe('off');
  });

  it('suggests .100-.200 of the interface subnet, less on small subnets', () => {
    expect(suggestRange('192.168.7.5', '255.255.255.0')).toEqual({ start: '192.168.7.100', end: '192.168.7.200' });
    expect(suggestRange('10.1.2.3', '255.255.255.224')).toEqual({ start: '10.1.2.8', end: '10.1.2.30' });
    expect(suggestRange('10.1.2.3', '255.255.255.252')).toBeUndefined();
  });

  it('full DHCP needs a probe of the same interface that found nobody, else an explicit override', () => {
    expect(mayEnableFullDhcp(null, 'eth1')).toBe('probe-first');
    expect(mayEnableFullDhcp({ interface: 'eth0', result: { found: false, servers: [] } }, 'eth1')).toBe('probe-first');
    expect(mayEnableFullDhcp({ interface: 'eth1', result: { found: true, servers: [{ serverId: '10.0.0.1' }] } }, 'eth1')).toBe('conflict');
    expect(mayEnableFullDhcp({ interface: 'eth1', result: { found: false, servers: [], error: 'no probe' } }, 'eth1')).toBe('conflict');
    expect(mayEnableFullDhcp({ interface: 'eth1', result: { found: false, servers: [] } }, 'eth1')).toBe('ok');
  });
});
