import type { HardwareFacts } from '../../core/model/hardware.ts';
import { cpuFlags } from './cpu.ts';
import { pathExists, readTrimmed, type Snapshot } from './snapshot.ts';

const DMI_DIR = '/sys/class/dmi/id';

/** Placeholder strings firmware vendors leave in DMI fields; they identify nothing. */
const DMI_PLACEHOLDERS = /^(to be filled by o\.?e\.?m\.?|default string|not specified|none|system serial number|0+|n\/a)$/i;

export function detectDmi(s: Snapshot): HardwareFacts['dmi'] {
  const dmi: HardwareFacts['dmi'] = {};
  const vendor = dmiField(s, 'sys_vendor');
  const product = dmiField(s, 'product_name');
  const serial = dmiField(s, 'product_serial');
  const uuid = dmiField(s, 'product_uuid');
  if (vendor) dmi.vendor = vendor;
  if (product) dmi.product = product;
  if (serial) dmi.serial = serial;
  if (uuid) dmi.uuid = uuid.toLowerCase();
  return dmi;
}

function dmiField(s: Snapshot, name: string): string | undefined {
  const v = readTrimmed(s, `${DMI_DIR}/${name}`);
  return v && !DMI_PLACEHOLDERS.test(v) ? v : undefined;
}

/** The kernel creates /sys/firmware/efi only when it was started by UEFI firmware. */
export function detectFirmware(s: Snapshot): HardwareFacts['firmware'] {
  return pathExists(s, '/sys/firmware/efi') ? 'uefi' : 'bios';
}

/**
 * Which hypervisor, if any: DMI names it for most; QEMU with hardware acceleration
 * gives the guest kvm-clock, plain TCG emulation does not. Without DMI (Firecracker,
 * some clouds) a hypervisor flag plus kvm-clock still says kvm.
 */
export function detectVirtualization(s: Snapshot): string {
  const vendor = (readTrimmed(s, `${DMI_DIR}/sys_vendor`) ?? '').toLowerCase();
  const product = (readTrimmed(s, `${DMI_DIR}/product_name`) ?? '').toLowerCase();
  const kvmClock = /\bkvm-clock\b/.test(s.files['/sys/devices/system/clocksource/clocksource0/available_clocksource'] ?? '');
  const xen = readTrimmed(s, '/sys/hypervisor/type') === 'xen' || vendor === 'xen';
  if (vendor.includes('vmware')) return 'vmware';
  if (vendor.includes('innotek') || product.includes('virtualbox')) return 'virtualbox';
  if (vendor.includes('microsoft') && product.includes('virtual machine')) return 'hyperv';
  if (xen) return 'xen';
  if (vendor.includes('qemu') || product.startsWith('kvm') || product.includes('standard pc')) return kvmClock ? 'kvm' : 'qemu';
  if (!cpuFlags(s).has('hypervisor')) return 'none';
  return kvmClock ? 'kvm' : 'other';
}
