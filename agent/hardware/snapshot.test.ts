import { describe, expect, it } from 'vitest';
import { children, pathExists, readInt, readTrimmed, resolveLink, type Snapshot } from './snapshot.ts';

const s: Snapshot = {
  files: { '/sys/block/vda/size': '2048\n', '/sys/block/vdb/size': ' \n', '/sys/devices/system/cpu/cpu10/x': '1', '/sys/devices/system/cpu/cpu2/x': '1' },
  links: { '/sys/block/vda': '../devices/pci0000:00/0000:00:04.0/virtio1/block/vda' },
  exists: ['/sys/firmware/efi'],
};

describe('snapshot access', () => {
  it('lists the names under a directory from files, links and bare paths, in natural order', () => {
    expect(children(s, '/sys/block')).toEqual(['vda', 'vdb']);
    expect(children(s, '/sys/devices/system/cpu')).toEqual(['cpu2', 'cpu10']);
    expect(children(s, '/sys/firmware')).toEqual(['efi']);
    expect(children(s, '/nowhere')).toEqual([]);
  });

  it('resolves a relative sysfs link to the absolute device path', () => {
    expect(resolveLink(s, '/sys/block/vda')).toBe('/sys/devices/pci0000:00/0000:00:04.0/virtio1/block/vda');
    expect(resolveLink(s, '/sys/block/vdb')).toBeUndefined();
  });

  it('treats blank files as absent and reads integers strictly', () => {
    expect(readTrimmed(s, '/sys/block/vdb/size')).toBeUndefined();
    expect(readInt(s, '/sys/block/vda/size')).toBe(2048);
    expect(readInt(s, '/sys/block/vdb/size')).toBeUndefined();
  });

  it('knows a directory exists when anything below it was recorded', () => {
    expect(pathExists(s, '/sys/firmware/efi')).toBe(true);
    expect(pathExists(s, '/sys/block')).toBe(true);
    expect(pathExists(s, '/sys/bloc')).toBe(false);
  });
});
