/**
 * Reading and changing a Proxmox VE VM configuration (qm.conf, see `man qm`): the MACs of its
 * net devices and its boot order. Pure.
 */
import { isMac, parseMac, type Mac } from '../../shared/mac.ts';

export interface NetDevice {
  /** "net0" */
  key: string;
  /** NIC model ("virtio", "e1000", ...). */
  model?: string;
  mac?: Mac;
  bridge?: string;
}

const NET_KEY = /^net\d+$/;
const DISK_KEY = /^(ide|sata|scsi|virtio)\d+$/;

/** "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1" -> model, mac, bridge. */
export function parseNetDevice(key: string, value: string): NetDevice {
  const dev: NetDevice = { key };
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    const k = eq < 0 ? 'model' : part.slice(0, eq);
    const v = eq < 0 ? part : part.slice(eq + 1);
    if (k === 'bridge') dev.bridge = v;
    else if (k === 'macaddr') dev.mac = isMac(v) ? parseMac(v) : undefined;
    else if (k === 'model') dev.model = v;
    else if (eq > 0 && dev.model === undefined && isMac(v)) {
      // "<model>=<mac>": the model is the key (the format's keyAlias), the MAC its value.
      dev.model = k;
      dev.mac = parseMac(v);
    }
  }
  return dev;
}

/** Every netN device of a config, by index order. */
export function netDevices(config: Record<string, unknown>): NetDevice[] {
  return Object.keys(config)
    .filter((k) => NET_KEY.test(k) && typeof config[k] === 'string')
    .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)))
    .map((k) => parseNetDevice(k, config[k] as string));
}

/** The device order the VM boots from, from `boot: order=a;b;c` or the legacy forms. */
export function bootOrder(config: Record<string, unknown>): string[] {
  const boot = typeof config.boot === 'string' ? config.boot : '';
  const order = /(?:^|,)order=([^,]*)/.exec(boot);
  if (order) return order[1].split(';').filter(Boolean);
  // Legacy "boot: cdn" (c = disk, d = cd-rom, n = network) with `bootdisk`: rebuild an order.
  const disks = Object.keys(config).filter((k) => DISK_KEY.test(k) && !isCdrom(config[k])).sort();
  const cdroms = Object.keys(config).filter((k) => DISK_KEY.test(k) && isCdrom(config[k])).sort();
  const nets = netDevices(config).map((n) => n.key);
  const bootdisk = typeof config.bootdisk === 'string' ? [config.bootdisk] : disks.slice(0, 1);
  const letters = /^[acdn]+$/.test(boot) ? boot : 'cdn';
  return [...letters].flatMap((l) => (l === 'c' ? bootdisk : l === 'd' ? cdroms : l === 'n' ? nets : []));
}

/**
 * The `boot` value that boots from the network first (pxe) or from disk first (disk).
 * The other devices keep their relative order behind, so a failed PXE still reaches the disk.
 */
export function bootValueFor(config: Record<string, unknown>, device: 'pxe' | 'disk'): string | { error: string } {
  const order = bootOrder(config);
  const nets = netDevices(config).map((n) => n.key);
  const isNet = (k: string) => NET_KEY.test(k);
  if (device === 'pxe') {
    if (nets.length === 0) return { error: 'the VM has no network device (netN) to boot from' };
    const firstNet = order.find(isNet) ?? nets[0];
    return `order=${[firstNet, ...order.filter((k) => k !== firstNet)].join(';')}`;
  }
  const disks = order.filter((k) => DISK_KEY.test(k) && !isCdrom(config[k]));
  const allDisks = disks.length > 0 ? disks : Object.keys(config).filter((k) => DISK_KEY.test(k) && !isCdrom(config[k])).sort().slice(0, 1);
  if (allDisks.length === 0) return { error: 'the VM has no disk to boot from' };
  return `order=${[...allDisks, ...order.filter((k) => !allDisks.includes(k))].join(';')}`;
}

function isCdrom(value: unknown): boolean {
  return typeof value === 'string' && /(^|,)media=cdrom(,|$)/.test(value);
}
