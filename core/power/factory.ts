import type { BmcRef } from '../model/hardware.ts';
import { DragonflyError } from '../shared/errors.ts';
import type { PowerDriver } from './driver.ts';
import { createIpmiDriver } from './ipmi/ipmi-driver.ts';
import { ProxmoxClient } from './proxmox/proxmox-client.ts';
import { ProxmoxVmDriver } from './proxmox/proxmox-driver.ts';
import { RedfishDriver } from './redfish/redfish-driver.ts';
import type { Credential } from './secrets/credential-store.ts';
import { WolDriver } from './wol/wol-driver.ts';

export interface DriverContext {
  /** The machine's boot MAC, for Wake-on-LAN. */
  mac: string;
  /** The decrypted credential named by bmc.credentialRef (none for WoL without SecureOn). */
  credential?: Credential;
  /** Called when a TLS fingerprint is pinned on first use, so it can be stored with the credential. */
  onFingerprint?: (fingerprint: string) => void;
}

export function hostPort(address: string, defaultPort: number): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(address);
  if (!m) throw new DragonflyError('DF_ERR_INVALID', `BMC address "${address}" is not host or host:port`);
  return { host: m[1], port: m[2] ? Number(m[2]) : defaultPort };
}

function need(c: Credential | undefined, bmc: BmcRef): Credential {
  if (!c) throw new DragonflyError('DF_ERR_INVALID', `BMC ${bmc.protocol} ${bmc.address} has no credential (set spec.bmc.credentialRef to a stored credential)`);
  return c;
}

/** A Redfish BMC's base URL: its address as given when it names a scheme, else https. */
export function redfishBaseUrl(bmc: BmcRef): string {
  return /^https?:\/\//.test(bmc.address) ? bmc.address : `https://${bmc.address}`;
}

/** The driver a machine's BMC reference describes. */
export function driverFor(bmc: BmcRef, ctx: DriverContext): PowerDriver {
  const o = bmc.options ?? {};
  switch (bmc.protocol) {
    case 'ipmi': {
      const c = need(ctx.credential, bmc);
      const { host, port } = hostPort(bmc.address, 623);
      return createIpmiDriver({ host, port, username: c.username ?? 'admin', password: c.secret, cipherSuite: o.cipherSuite === '17' ? 17 : 3 });
    }
    case 'redfish': {
      const c = need(ctx.credential, bmc);
      return new RedfishDriver({
        baseUrl: redfishBaseUrl(bmc),
        username: c.username ?? 'admin',
        password: c.secret,
        auth: o.auth === 'basic' ? 'basic' : 'session',
        fingerprint: c.fingerprint,
        onFingerprint: ctx.onFingerprint,
        system: o.system,
      });
    }
    case 'wol':
      return new WolDriver({ mac: o.mac ?? ctx.mac, interface: bmc.address, password: ctx.credential?.secret });
    case 'proxmox': {
      const c = need(ctx.credential, bmc);
      if (!o.node || !o.vmid) throw new DragonflyError('DF_ERR_INVALID', 'a Proxmox BMC reference needs options.node and options.vmid');
      const client = new ProxmoxClient({ baseUrl: bmc.address, tokenId: c.username ?? '', secret: c.secret, fingerprint: c.fingerprint, onFingerprint: ctx.onFingerprint });
      return new ProxmoxVmDriver(client, { node: o.node, vmid: Number(o.vmid), ownsClient: true });
    }
  }
}
