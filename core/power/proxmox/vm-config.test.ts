import { describe, expect, it } from 'vitest';
import { bootOrder, bootValueFor, netDevices, parseNetDevice } from './vm-config.ts';

describe('net devices', () => {
  it('reads model, MAC and bridge from the model=MAC form', () => {
    expect(parseNetDevice('net0', 'virtio=BC:24:11:AA:BB:01,bridge=vmbr0,firewall=1')).toEqual({
      key: 'net0', model: 'virtio', mac: 'bc:24:11:aa:bb:01', bridge: 'vmbr0',
    });
  });

  it('reads the explicit macaddr= form', () => {
    expect(parseNetDevice('net1', 'model=e1000,macaddr=52:54:00:00:00:02,bridge=vmbr1')).toMatchObject({ model: 'e1000', mac: '52:54:00:00:00:02' });
  });

  it('lists every netN in index order and ignores other keys', () => {
    const config = { net10: 'e1000=52:54:00:00:00:0a', net2: 'virtio=52:54:00:00:00:02', name: 'vm', scsi0: 'local:vm-1' };
    expect(netDevices(config).map((n) => [n.key, n.mac])).toEqual([['net2', '52:54:00:00:00:02'], ['net10', '52:54:00:00:00:0a']]);
  });
});

describe('boot order', () => {
  const config = { boot: 'order=scsi0;ide2;net0', scsi0: 'local-lvm:vm-100-disk-0', ide2: 'none,media=cdrom', net0: 'virtio=BC:24:11:00:00:01' };

  it('puts the network first for PXE, keeping the rest behind', () => {
    expect(bootValueFor(config, 'pxe')).toBe('order=net0;scsi0;ide2');
  });

  it('puts the disk first again for disk', () => {
    expect(bootValueFor({ ...config, boot: 'order=net0;scsi0;ide2' }, 'disk')).toBe('order=scsi0;net0;ide2');
  });

  it('adds a net device that was missing from the order', () => {
    expect(bootValueFor({ ...config, boot: 'order=scsi0' }, 'pxe')).toBe('order=net0;scsi0');
  });

  it('understands the legacy "cdn" + bootdisk form', () => {
    expect(bootOrder({ boot: 'cdn', bootdisk: 'scsi0', ...{ scsi0: 'x', ide2: 'none,media=cdrom', net0: 'virtio=52:54:00:00:00:01' } })).toEqual(['scsi0', 'ide2', 'net0']);
  });

  it('says why when there is nothing to boot from', () => {
    expect(bootValueFor({ scsi0: 'x' }, 'pxe')).toEqual({ error: 'the VM has no network device (netN) to boot from' });
    expect(bootValueFor({ net0: 'virtio=52:54:00:00:00:01', ide2: 'none,media=cdrom' }, 'disk')).toEqual({ error: 'the VM has no disk to boot from' });
  });
});
