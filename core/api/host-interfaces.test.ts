import { describe, expect, it } from 'vitest';
import { defaultRouteInterfaces, listHostInterfaces, type HostNetworkSources } from './host-interfaces.ts';

// /proc/net/route as a laptop on Wi-Fi with a USB NIC to the rack prints it.
const ROUTES = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
wlan0\t00000000\t0100A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
wlan0\t0000A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0
enx0\t00004D0A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
`;

const laptop: HostNetworkSources = {
  addresses: () => ({
    lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true }],
    wlan0: [{ address: '192.168.0.23', netmask: '255.255.255.0', family: 'IPv4', mac: 'aa:bb:cc:00:00:01', internal: false }],
    enx0: [{ address: '10.77.0.1', netmask: '255.255.255.0', family: 'IPv4', mac: 'aa:bb:cc:00:00:02', internal: false }],
  }),
  names: () => ['lo', 'wlan0', 'enx0', 'eth1'],
  sysfs: (name, file) =>
    ({ lo: { operstate: 'unknown', flags: '0x9' }, wlan0: { operstate: 'up', flags: '0x1003' }, enx0: { operstate: 'up', flags: '0x1003' }, eth1: { operstate: 'down', flags: '0x1002', address: 'aa:bb:cc:00:00:03' } } as Record<string, Record<string, string>>)[name]?.[file],
  routeTable: () => ROUTES,
};

describe('host interfaces for the first-run screen', () => {
  it('finds the interface that carries the default route, and only that one', () => {
    expect([...defaultRouteInterfaces(ROUTES)]).toEqual(['wlan0']);
    expect(defaultRouteInterfaces(undefined).size).toBe(0);
  });

  it('lists every interface, also one without an address, with its link state', () => {
    const list = listHostInterfaces(laptop);
    expect(list.map((i) => [i.name, i.linkState, i.up, i.defaultRoute])).toEqual([
      ['enx0', 'up', true, false],
      ['eth1', 'down', false, false],
      ['lo', 'unknown', true, false],
      ['wlan0', 'up', true, true],
    ]);
    expect(list.find((i) => i.name === 'eth1')).toMatchObject({ mac: 'aa:bb:cc:00:00:03', addresses: [] });
  });

  it('reads this host: loopback is there and up, at most one default-route interface per line of the table', () => {
    const lo = listHostInterfaces().find((i) => i.name === 'lo');
    expect(lo).toMatchObject({ up: true, defaultRoute: false });
    expect(lo?.addresses.some((a) => a.address === '127.0.0.1')).toBe(true);
  });
});
