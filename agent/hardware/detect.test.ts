import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { HardwareFacts } from '../../core/model/hardware.ts';
import { detectHardware } from './detect.ts';
import { emptySnapshot, type Snapshot } from './snapshot.ts';

const fixture = (name: string): Snapshot => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));

// qemu-*.json were recorded by booting the agent image with dragonfly.mode=snapshot
// (build/agent/boot-direct.ts --snapshot): -smp 2 -m 1536, two virtio disks of 64 MiB and 160.5 MiB.
describe.each(['qemu-bios.json', 'qemu-uefi.json'])('recorded QEMU VM %s', (file) => {
  const facts = detectHardware(fixture(file));

  it('matches the HardwareFacts schema the control plane validates', () => {
    expect([...Value.Errors(HardwareFacts, facts)]).toEqual([]);
  });

  it('sees the VM as configured: 2 CPUs, 1536 MiB, two virtio disks, the NIC, QEMU under TCG', () => {
    expect(facts.cpu).toMatchObject({ sockets: 1, cores: 2, threads: 2, arch: 'x86_64' }); // QEMU's -smp 2 means 1 socket x 2 cores
    expect(facts.memoryBytes).toBe(1536 * 2 ** 20);
    expect(facts.disks.map((d) => [d.name, d.sizeBytes, d.serial, d.transport])).toEqual([
      ['vda', 64 * 2 ** 20, 'dfa-disk-a', 'virtio'],
      ['vdb', 160 * 2 ** 20 + 512 * 1024, 'dfa-disk-b', 'virtio'],
    ]);
    expect(facts.nics).toEqual([{ name: 'eth0', mac: '52:54:00:df:a0:01', link: 'up', driver: 'virtio_net', pciAddress: '0000:00:03.0' }]);
    expect(facts.dmi.vendor).toBe('QEMU');
    expect(facts.virtualization).toBe('qemu');
  });

  it('tells the firmware apart', () => {
    expect(facts.firmware).toBe(file.includes('uefi') ? 'uefi' : 'bios');
  });
});

describe('recorded host (Firecracker microVM, no DMI)', () => {
  const facts = detectHardware(fixture('host-firecracker.json'));

  it('reports the virtio disk but not loop or zram devices, and the NIC but not lo or ifb', () => {
    expect(facts.disks.map((d) => d.name)).toEqual(['vda']);
    expect(facts.nics.map((n) => n.name)).toEqual(['eth0']);
    expect([...Value.Errors(HardwareFacts, facts)]).toEqual([]);
  });

  it('recognises KVM from the hypervisor flag and kvm-clock', () => {
    expect(facts).toMatchObject({ dmi: {}, firmware: 'bios', virtualization: 'kvm', cpu: { threads: 2, arch: 'x86_64' } });
    expect(facts.memoryBytes).toBe(24 * 2 ** 30);
  });
});

it('an empty snapshot still yields a schema-valid report (nothing detected, nothing invented)', () => {
  const facts = detectHardware(emptySnapshot());
  expect(Value.Check(HardwareFacts, facts)).toBe(true);
  expect(facts).toMatchObject({ memoryBytes: 0, disks: [], nics: [], firmware: 'bios', virtualization: 'none' });
});

describe('robustness', () => {
  const paths = [
    '/proc/cpuinfo', '/proc/meminfo', '/sys/devices/system/cpu/online', '/sys/devices/system/cpu/cpu0/topology/core_id',
    '/sys/devices/system/cpu/cpu0/topology/physical_package_id', '/sys/devices/system/memory/block_size_bytes',
    '/sys/devices/system/memory/memory0/state', '/sys/block/sda/size', '/sys/block/sda/removable', '/sys/block/sda/device/model',
    '/sys/class/net/eth0/address', '/sys/class/net/eth0/speed', '/sys/class/net/eth0/operstate', '/sys/class/dmi/id/product_uuid',
  ];
  const value = fc.oneof(fc.string(), fc.integer().map(String), fc.constantFrom('-1\n', '5-2', 'online\n', '0-3,x', '52:54:00:00:00:01\n'));

  it('turns any file contents into a schema-valid report, never a throw', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...paths), value), (files) => {
        const s: Snapshot = { files, links: { '/sys/block/sda': '../devices/x/block/sda', '/sys/class/net/eth0/device': '../../../0000:00:03.0' }, exists: [] };
        return Value.Check(HardwareFacts, detectHardware(s));
      }),
      { numRuns: 300 },
    );
  });
});
