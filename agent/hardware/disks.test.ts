import { describe, expect, it } from 'vitest';
import { detectDisks, isSkippedBlockDevice, transportFromDevicePath } from './disks.ts';
import { emptySnapshot, type Snapshot } from './snapshot.ts';

function withDisk(s: Snapshot, name: string, link: string, files: Record<string, string>): Snapshot {
  s.links[`/sys/block/${name}`] = link;
  for (const [k, v] of Object.entries(files)) s.files[`/sys/block/${name}/${k}`] = v;
  return s;
}

describe('disks', () => {
  it('skips devices that are never install targets', () => {
    for (const n of ['loop0', 'ram1', 'zram0', 'dm-0', 'sr0', 'md127', 'nbd3']) expect(isSkippedBlockDevice(n), n).toBe(true);
    for (const n of ['sda', 'vda', 'nvme0n1', 'xvda', 'mmcblk0']) expect(isSkippedBlockDevice(n), n).toBe(false);
  });

  it.each([
    ['/sys/devices/pci0000:00/0000:00:01.1/0000:01:00.0/nvme/nvme0/nvme0n1', 'nvme'],
    ['/sys/devices/pci0000:00/0000:00:04.0/virtio1/block/vda', 'virtio'],
    ['/sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda', 'sata'],
    ['/sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sdb', 'usb'],
    ['/sys/devices/pci0000:00/0000:00:04.0/virtio1/host2/target2:0:0/2:0:0:0/block/sda', 'scsi'],
    ['/sys/devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0/host0/target0:2:0/0:2:0:0/block/sda', 'scsi'],
    ['/sys/devices/virtual/block/loop0', undefined],
  ])('transport of %s is %s', (path, want) => {
    expect(transportFromDevicePath(path)).toBe(want);
  });

  it('reports an NVMe disk with model, serial, WWN and size from 512-byte sectors', () => {
    const s = withDisk(emptySnapshot(), 'nvme0n1', '../devices/pci0000:00/0000:00:01.1/0000:01:00.0/nvme/nvme0/nvme0n1', {
      size: '1953525168\n',
      removable: '0\n',
      'queue/rotational': '0\n',
      'device/model': 'Samsung SSD 970 EVO Plus 1TB           \n',
      'device/serial': 'S4EWNX0R123456     \n',
      wwid: 'eui.0025385b01234567\n',
    });
    expect(detectDisks(s)).toEqual([
      {
        name: 'nvme0n1', path: '/dev/nvme0n1', sizeBytes: 1953525168 * 512, model: 'Samsung SSD 970 EVO Plus 1TB',
        serial: 'S4EWNX0R123456', wwn: 'eui.0025385b01234567', rotational: false, removable: false, transport: 'nvme',
      },
    ]);
  });

  it('uses the SCSI wwid of a SATA disk, with inner padding collapsed', () => {
    const s = withDisk(emptySnapshot(), 'sda', '../devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda', {
      size: '100\n', 'queue/rotational': '1\n', 'device/model': 'ST4000NM0035-1V4\n', 'device/wwid': 't10.ATA     ST4000NM0035        ZC1ABCDE\n',
    });
    expect(detectDisks(s)[0]).toMatchObject({ rotational: true, transport: 'sata', wwn: 't10.ATA ST4000NM0035 ZC1ABCDE' });
  });

  it('leaves out a disk whose size cannot be read rather than reporting 0 bytes', () => {
    const s = withDisk(emptySnapshot(), 'sdz', '../devices/x/host0/target0:0:0/0:0:0:0/block/sdz', { removable: '1\n' });
    expect(detectDisks(s)).toEqual([]);
  });
});
