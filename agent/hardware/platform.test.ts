import { describe, expect, it } from 'vitest';
import { detectDmi, detectFirmware, detectVirtualization } from './platform.ts';
import { emptySnapshot, type Snapshot } from './snapshot.ts';

function machine(vendor?: string, product?: string, opts: { flags?: string; clock?: string; xen?: boolean } = {}): Snapshot {
  const s = emptySnapshot();
  if (vendor) s.files['/sys/class/dmi/id/sys_vendor'] = vendor + '\n';
  if (product) s.files['/sys/class/dmi/id/product_name'] = product + '\n';
  s.files['/proc/cpuinfo'] = `processor\t: 0\nflags\t\t: fpu lm ${opts.flags ?? ''}\n`;
  if (opts.clock) s.files['/sys/devices/system/clocksource/clocksource0/available_clocksource'] = opts.clock + '\n';
  if (opts.xen) s.files['/sys/hypervisor/type'] = 'xen\n';
  return s;
}

describe('platform', () => {
  it('reads DMI identity, dropping vendor placeholders and lower-casing the UUID', () => {
    const s = machine('Dell Inc.', 'PowerEdge R640');
    s.files['/sys/class/dmi/id/product_serial'] = 'To Be Filled By O.E.M.\n';
    s.files['/sys/class/dmi/id/product_uuid'] = '4C4C4544-0042-3510-8051-B2C04F4A4E32\n';
    expect(detectDmi(s)).toEqual({ vendor: 'Dell Inc.', product: 'PowerEdge R640', uuid: '4c4c4544-0042-3510-8051-b2c04f4a4e32' });
  });

  it('says uefi only when /sys/firmware/efi exists', () => {
    const s = emptySnapshot();
    expect(detectFirmware(s)).toBe('bios');
    s.exists.push('/sys/firmware/efi');
    expect(detectFirmware(s)).toBe('uefi');
  });

  it.each([
    ['bare metal', machine('Supermicro', 'SYS-1029P'), 'none'],
    ['QEMU under TCG', machine('QEMU', 'Standard PC (i440FX + PIIX, 1996)', { flags: 'hypervisor', clock: 'tsc hpet acpi_pm' }), 'qemu'],
    ['QEMU with KVM', machine('QEMU', 'Standard PC (Q35 + ICH9, 2009)', { flags: 'hypervisor', clock: 'kvm-clock tsc hpet' }), 'kvm'],
    ['VMware', machine('VMware, Inc.', 'VMware7,1', { flags: 'hypervisor' }), 'vmware'],
    ['VirtualBox', machine('innotek GmbH', 'VirtualBox', { flags: 'hypervisor' }), 'virtualbox'],
    ['Hyper-V', machine('Microsoft Corporation', 'Virtual Machine', { flags: 'hypervisor' }), 'hyperv'],
    ['Xen HVM', machine('Xen', 'HVM domU', { flags: 'hypervisor', xen: true }), 'xen'],
    ['Firecracker (no DMI)', machine(undefined, undefined, { flags: 'hypervisor', clock: 'kvm-clock tsc' }), 'kvm'],
    ['unknown hypervisor', machine(undefined, undefined, { flags: 'hypervisor' }), 'other'],
  ])('%s is %s', (_name, s, want) => {
    expect(detectVirtualization(s)).toBe(want);
  });
});
