import { posix } from 'node:path';
import type { Nic } from '../../core/model/hardware.ts';
import { isMac, parseMac } from '../../core/shared/mac.ts';
import { children, readInt, readTrimmed, resolveLink, type Snapshot } from './snapshot.ts';

const NET_DIR = '/sys/class/net';
const PCI_ADDRESS = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

/** Physical NICs: skip lo and every virtual interface (bridges, tun, veth, ifb), which have no device link. */
export function detectNics(s: Snapshot): Nic[] {
  const nics: Nic[] = [];
  for (const name of children(s, NET_DIR)) {
    if (name === 'lo' || s.links[`${NET_DIR}/${name}/device`] === undefined) continue;
    const nic = nicFacts(s, name);
    if (nic) nics.push(nic);
  }
  return nics;
}

function nicFacts(s: Snapshot, name: string): Nic | undefined {
  const dir = `${NET_DIR}/${name}`;
  const address = readTrimmed(s, `${dir}/address`);
  if (!address || !isMac(address)) return undefined; // e.g. InfiniBand 20-byte hardware addresses
  const nic: Nic = { name, mac: parseMac(address), link: linkState(readTrimmed(s, `${dir}/operstate`)) };
  const speed = readInt(s, `${dir}/speed`);
  if (speed !== undefined && speed > 0) nic.speedMbps = speed; // -1 while the link is down
  const driver = resolveLink(s, `${dir}/device/driver`);
  if (driver) nic.driver = posix.basename(driver);
  const pci = pciAddressOf(resolveLink(s, dir) ?? resolveLink(s, `${dir}/device`) ?? '');
  if (pci) nic.pciAddress = pci;
  return nic;
}

/** operstate is RFC 2863 ifOperStatus in words; only up and down are worth telling apart. */
export function linkState(operstate: string | undefined): Nic['link'] {
  if (operstate === 'up') return 'up';
  if (operstate === 'down' || operstate === 'lowerlayerdown') return 'down';
  return 'unknown';
}

/** The PCI function nearest the interface in its sysfs path (a virtio NIC sits below one). */
export function pciAddressOf(devicePath: string): string | undefined {
  return devicePath.split('/').filter((c) => PCI_ADDRESS.test(c)).pop();
}
