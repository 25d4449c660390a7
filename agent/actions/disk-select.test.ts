import { describe, expect, it } from 'vitest';
import type { Disk } from '../../core/model/hardware.ts';
import { selectDisk } from './disk-select.ts';

const G = 1e9;
const disks: Disk[] = [
  { name: 'sda', path: '/dev/sda', sizeBytes: 480 * G, serial: 'S4EVNX0N', wwn: '0x5002538e40a1b2c3', rotational: false },
  { name: 'sdb', path: '/dev/sdb', sizeBytes: 4000 * G, serial: 'ZC1ABCDE', rotational: true },
  { name: 'nvme0n1', path: '/dev/nvme0n1', sizeBytes: 960 * G, serial: 'PHLJ1234', wwn: 'eui.0025388b71b2c3d4', rotational: false },
  { name: 'sdc', path: '/dev/sdc', sizeBytes: 16 * G, serial: 'USBSTICK1', removable: true, transport: 'usb' },
  { name: 'vda', path: '/dev/vda', sizeBytes: 20 * G },
];

const pick = (sel: Parameters<typeof selectDisk>[1]) => {
  const r = selectDisk(disks, sel);
  return r.ok ? r.disk.path : r.error;
};

describe('selectDisk', () => {
  it('picks by path, serial and wwn (any common wwn spelling)', () => {
    expect(pick({ path: '/dev/nvme0n1' })).toBe('/dev/nvme0n1');
    expect(pick({ serial: 'ZC1ABCDE' })).toBe('/dev/sdb');
    expect(pick({ wwn: '5002538E40A1B2C3' })).toBe('/dev/sda');
    expect(pick({ wwn: '0025388b71b2c3d4' })).toBe('/dev/nvme0n1');
  });

  it('applies size rules, ignoring removable media and bounds of 0', () => {
    expect(pick({ rule: { pick: 'smallest' } })).toBe('/dev/vda');
    expect(pick({ rule: { pick: 'largest', minSizeBytes: 0, maxSizeBytes: 0 } })).toBe('/dev/sdb');
    expect(pick({ rule: { pick: 'largest', rotational: false } })).toBe('/dev/nvme0n1');
    expect(pick({ rule: { pick: 'smallest', minSizeBytes: 100 * G, maxSizeBytes: 1000 * G } })).toBe('/dev/sda');
  });

  it('refuses removable media unless allowed, and says so', () => {
    expect(pick({ serial: 'USBSTICK1' })).toMatch(/serial "USBSTICK1".*removable media.*allowRemovable/);
    expect(pick({ serial: 'USBSTICK1', allowRemovable: true })).toBe('/dev/sdc');
    expect(pick({ rule: { pick: 'smallest' }, allowRemovable: true })).toBe('/dev/sdc');
  });

  it('names what was asked and what exists when nothing matches', () => {
    const err = pick({ path: '/dev/sdz' });
    expect(err).toContain('no disk for path /dev/sdz: not present');
    expect(err).toContain('/dev/sda (480000000000 bytes, serial S4EVNX0N, wwn 0x5002538e40a1b2c3)');
    expect(err).toContain('/dev/vda (20000000000 bytes, no serial, no wwn)');
    expect(pick({ wwn: '0xdeadbeef' })).toMatch(/^no disk for wwn 0xdeadbeef: not present/);
    expect(pick({ rule: { pick: 'largest', minSizeBytes: 10_000 * G } })).toMatch(/none fits the rule/);
  });

  it('never silently takes the first disk', () => {
    expect(pick({})).toMatch(/names no path, serial, wwn or rule/);
    expect(selectDisk([], { rule: { pick: 'largest' } })).toEqual({ ok: false, error: expect.stringContaining('disks present: none') });
  });

  it('refuses to guess between disks of equal size or a duplicated serial', () => {
    const twins: Disk[] = [
      { name: 'sda', path: '/dev/sda', sizeBytes: 100, serial: 'X' },
      { name: 'sdb', path: '/dev/sdb', sizeBytes: 100, serial: 'X' },
    ];
    expect(selectDisk(twins, { rule: { pick: 'largest' } })).toMatchObject({ ok: false, error: expect.stringMatching(/both 100 bytes/) });
    expect(selectDisk(twins, { serial: 'X' })).toMatchObject({ ok: false, error: expect.stringMatching(/2 disks match/) });
  });
});
