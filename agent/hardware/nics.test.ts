import { describe, expect, it } from 'vitest';
import { detectNics, linkState, pciAddressOf } from './nics.ts';
import { emptySnapshot, type Snapshot } from './snapshot.ts';

function netSnapshot(): Snapshot {
  const s = emptySnapshot();
  const add = (name: string, link: string, files: Record<string, string>, device?: string, driver?: string) => {
    s.links[`/sys/class/net/${name}`] = link;
    if (device) s.links[`/sys/class/net/${name}/device`] = device;
    if (driver) s.links[`/sys/class/net/${name}/device/driver`] = driver;
    for (const [k, v] of Object.entries(files)) s.files[`/sys/class/net/${name}/${k}`] = v;
  };
  add('lo', '../../devices/virtual/net/lo', { address: '00:00:00:00:00:00\n', operstate: 'unknown\n' });
  add('br0', '../../devices/virtual/net/br0', { address: '52:54:00:aa:bb:cc\n', operstate: 'up\n' });
  add('eno1', '../../devices/pci0000:00/0000:00:1f.6/net/eno1', { address: 'A4:BF:01:02:03:04\n', operstate: 'up\n', speed: '1000\n' },
    '../../../0000:00:1f.6', '../../../../bus/pci/drivers/e1000e');
  add('ens3', '../../devices/pci0000:00/0000:00:03.0/virtio0/net/ens3', { address: '52:54:00:12:34:56\n', operstate: 'down\n', speed: '-1\n' },
    '../../../virtio0', '../../../../bus/virtio/drivers/virtio_net');
  return s;
}

describe('nics', () => {
  it('reports physical NICs only, with canonical MAC, link, speed, driver and PCI address', () => {
    expect(detectNics(netSnapshot())).toEqual([
      { name: 'eno1', mac: 'a4:bf:01:02:03:04', link: 'up', speedMbps: 1000, driver: 'e1000e', pciAddress: '0000:00:1f.6' },
      { name: 'ens3', mac: '52:54:00:12:34:56', link: 'down', driver: 'virtio_net', pciAddress: '0000:00:03.0' },
    ]);
  });

  it('skips an interface whose hardware address is not an Ethernet MAC', () => {
    const s = netSnapshot();
    s.files['/sys/class/net/eno1/address'] = '80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0b:f0:f1\n';
    expect(detectNics(s).map((n) => n.name)).toEqual(['ens3']);
  });

  it('maps RFC 2863 operstate words to up, down or unknown', () => {
    expect(linkState('up')).toBe('up');
    expect(linkState('lowerlayerdown')).toBe('down');
    expect(linkState('dormant')).toBe('unknown');
    expect(linkState(undefined)).toBe('unknown');
  });

  it('takes the PCI function nearest the interface', () => {
    expect(pciAddressOf('/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.1/net/enp1s0f1')).toBe('0000:01:00.1');
    expect(pciAddressOf('/sys/devices/platform/soc/eth0')).toBeUndefined();
  });
});
