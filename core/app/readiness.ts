import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentImageState, Readiness, ReadinessFact } from '../contract/readiness.ts';
import type { ServiceHealth } from '../api/system-plugin.ts';
import { interfaceIpv4 } from '../dhcp/bind-to-interface.ts';
import { ipxeFilesByArch } from '../boot/bootfile.ts';
import type { NetworkSettings } from './network-settings.ts';

export type { AgentImageState, Readiness };

/** The files a machine fetches: the image counts as present only when both are there. */
export const AGENT_IMAGE_FILES = ['vmlinuz', 'initramfs.img'] as const;

export const agentImagePresent = (dir: string) => AGENT_IMAGE_FILES.every((f) => existsSync(join(dir, f)));

/** Without a builder (packaged app, plain `dragonfly serve`): the files decide. */
export function agentImageOnDisk(dir: string): AgentImageState {
  if (agentImagePresent(dir)) return { state: 'present', detail: 'present' };
  return { state: 'missing', detail: `missing: ${dir} has no vmlinuz and initramfs.img; build it with npm run build:agent-image (npm start builds it on first start)` };
}

export interface ReadinessSources {
  uiDir: string;
  ipxeDir: string;
  agentImage: () => AgentImageState;
  settings: () => NetworkSettings;
  /** DHCP health from the running network services (its detail names the mode in use). */
  dhcpHealth: () => ServiceHealth | undefined;
}

/** Architectures whose machines are common enough that a missing binary stops "machines can boot". */
const ESSENTIAL_ARCH = new Set(['bios', 'uefi-x64']);

function ipxeFact(dir: string): Readiness['ipxe'] {
  const files = ipxeFilesByArch().map((f) => ({ ...f, present: existsSync(join(dir, f.file)) }));
  const missing = files.filter((f) => !f.present);
  const blocking = missing.filter((f) => ESSENTIAL_ARCH.has(f.arch));
  const unique = (l: typeof files) => [...new Set(l.map((f) => f.file))].join(', ');
  const detail = !missing.length
    ? `present (${unique(files)})`
    : `${blocking.length ? 'missing' : 'present for BIOS and UEFI x64'}: ${unique(missing)} not in ${dir} (${[...new Set(missing.map((f) => f.arch))].join(', ')} machines cannot boot)`;
  return { ok: blocking.length === 0, detail, files };
}

function interfaceFact(name: string | undefined): Readiness['interface'] {
  if (!name) return { ok: false, detail: 'none chosen: choose the interface facing the machines (first-run screen, Network settings, or --interface)' };
  const addr = interfaceIpv4(name);
  if (!addr) return { ok: false, name, detail: `${name} has no IPv4 address: choose the interface on the provisioning network` };
  return { ok: true, name, address: addr.address, detail: `${name} (${addr.address})` };
}

function dhcpFact(s: NetworkSettings, health: ServiceHealth | undefined, ifaceOk: boolean): Readiness['dhcp'] {
  if (s.dhcpMode === 'off') return { ok: false, mode: 'off', detail: 'off: machines boot only if another DHCP server sends them here' };
  if (!ifaceOk) return { ok: false, mode: s.dhcpMode, detail: `${s.dhcpMode}, once an interface is chosen` };
  if (health?.error) return { ok: false, mode: s.dhcpMode, detail: health.error };
  return { ok: health?.ok ?? false, mode: s.dhcpMode, detail: health?.detail ?? s.dhcpMode };
}

function uiFact(dir: string): ReadinessFact {
  return existsSync(join(dir, 'index.html')) ? { ok: true, detail: 'built' } : { ok: false, detail: `not built (${dir} has no index.html): run npm run build:renderer` };
}

/** The facts npm start prints and the first-run screen shows, from one place. */
export function readiness(src: ReadinessSources): Readiness {
  const settings = src.settings();
  const agentImage = src.agentImage();
  const ipxe = ipxeFact(src.ipxeDir);
  const iface = interfaceFact(settings.interface);
  const dhcp = dhcpFact(settings, src.dhcpHealth(), iface.ok);
  const blockers = [
    agentImage.state !== 'present' && `agent image ${agentImage.detail}`,
    !ipxe.ok && `iPXE binaries ${ipxe.detail}`,
    !iface.ok && `provisioning interface ${iface.detail}`,
    iface.ok && !dhcp.ok && `DHCP ${dhcp.detail}`,
  ].filter((b): b is string => typeof b === 'string');
  return { canBoot: blockers.length === 0, blockers, ui: uiFact(src.uiDir), agentImage, ipxe, interface: iface, dhcp };
}

/** The lines `npm start` prints under the URL. */
export function readinessLines(r: Readiness): string[] {
  return [
    `UI: ${r.ui.detail}`,
    `agent image: ${r.agentImage.detail}`,
    `iPXE binaries: ${r.ipxe.detail}`,
    `provisioning interface: ${r.interface.detail}`,
    `DHCP: ${r.dhcp.detail}`,
    r.canBoot ? 'machines can boot: yes' : `machines can boot: not yet (${r.blockers.length} thing${r.blockers.length > 1 ? 's' : ''} to fix above)`,
  ];
}
