/**
 * Which DHCP server answers this machine now: busybox udhcpc once more, in the foreground, with
 * the boot image's event script in probe mode (DRAGONFLY_DHCP_PROBE set: it only writes the
 * server identifier, option 54, to that file and leaves the interface alone). The udhcpc that
 * /init left running keeps the lease; this one only asks. Used by agent/control-plane.ts.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import type { ServerFinder } from './control-plane.ts';

const SCRIPT = '/etc/udhcpc.script';
const OUT = '/run/dragonfly-dhcp-probe';

/** The interface with this MAC (the boot NIC), from /sys/class/net. */
export function interfaceWithMac(mac: string, sysNet = '/sys/class/net'): string | undefined {
  for (const name of readdirSync(sysNet)) {
    try {
      if (readFileSync(`${sysNet}/${name}/address`, 'utf8').trim().toLowerCase() === mac.toLowerCase()) return name;
    } catch {
      // not every entry has an address
    }
  }
  return undefined;
}

/** A finder for the boot NIC: up to 4 DISCOVERs 2 s apart, then it gives up until asked again. */
export function dhcpServerFinder(mac: string, say?: (line: string) => void): ServerFinder {
  return () =>
    new Promise((resolve) => {
      const nic = interfaceWithMac(mac);
      if (!nic) {
        say?.(`no interface has MAC ${mac}; cannot ask DHCP for another control plane`);
        return resolve(undefined);
      }
      rmSync(OUT, { force: true });
      const args = ['-i', nic, '-f', '-q', '-n', '-t', '4', '-T', '2', '-V', 'dragonfly-agent', '-s', SCRIPT];
      const child = spawn('udhcpc', args, { stdio: 'ignore', env: { ...process.env, DRAGONFLY_DHCP_PROBE: OUT } });
      child.on('error', (e) => {
        say?.(`udhcpc: ${e.message}`);
        resolve(undefined);
      });
      child.on('exit', () => {
        let ip: string | undefined;
        try {
          ip = readFileSync(OUT, 'utf8').trim() || undefined;
        } catch {
          ip = undefined;
        }
        resolve(ip && /^\d{1,3}(\.\d{1,3}){3}$/.test(ip) ? ip : undefined);
      });
    });
}
