import { describe, expect, it } from 'vitest';
import { cidrOf, initialChoice, modeToBeUsed, orderInterfaces, type HostInterface } from './first-run-facts.ts';

const iface = (name: string, over: Partial<HostInterface> = {}): HostInterface => ({
  name,
  up: true,
  linkState: 'up',
  defaultRoute: false,
  addresses: [{ address: '10.0.0.1', netmask: '255.255.255.0', family: 'IPv4', internal: false }],
  ...over,
});
const lo = iface('lo', { linkState: 'unknown', addresses: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', internal: true }] });
const wlan = iface('wlan0', { defaultRoute: true });
const usb = iface('enx0');
const spare = iface('eth1', { up: false, linkState: 'down', addresses: [] });

describe('first-run interface choice', () => {
  it('never preselects the interface with the default route, even when it was saved before', () => {
    expect(initialChoice([lo, wlan, usb], 'wlan0')).toBe('');
    expect(initialChoice([lo, wlan, usb], 'enx0')).toBe('enx0');
    expect(initialChoice([lo, wlan, usb], undefined)).toBe('');
    expect(initialChoice([lo, wlan], 'gone0')).toBe('');
  });

  it('shows addresses with their prefix length', () => {
    expect(cidrOf({ address: '10.78.0.1', netmask: '255.255.255.0' })).toBe('10.78.0.1/24');
    expect(cidrOf({ address: '127.0.0.1', netmask: '255.0.0.0' })).toBe('127.0.0.1/8');
    expect(cidrOf({ address: '10.1.2.3', netmask: '255.255.255.224' })).toBe('10.1.2.3/27');
  });

  it('lists likely provisioning links first, the uplink and loopback last', () => {
    expect(orderInterfaces([lo, wlan, spare, usb]).map((i) => i.name)).toEqual(['enx0', 'eth1', 'wlan0', 'lo']);
  });
});

describe('which DHCP mode will be used', () => {
  const found = { found: true, servers: [{ serverId: '10.0.0.254', offeredAddress: '10.0.0.120' }] };
  const none = { found: false, servers: [] };

  it('full becomes proxy when another server answers, as the control plane does', () => {
    expect(modeToBeUsed('full', found)).toMatchObject({ mode: 'proxy', text: expect.stringContaining('(10.0.0.254)') });
    expect(modeToBeUsed('full', none)).toMatchObject({ mode: 'full' });
  });

  it('proxy with nobody else on the wire warns that machines get no address', () => {
    expect(modeToBeUsed('proxy', none).warning).toMatch(/no address/);
    expect(modeToBeUsed('proxy', found).warning).toBeUndefined();
    expect(modeToBeUsed('proxy', { found: false, servers: [], error: 'no such interface' }).text).toMatch(/could not run: no such interface/);
  });
});
