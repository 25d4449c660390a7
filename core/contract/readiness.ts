/**
 * What the first-run screen and `npm start` read: GET /api/v1/readiness (can machines boot, and
 * if not why) and GET /api/v1/network/interfaces (this host's interfaces).
 */
import type { DhcpMode } from './settings.ts';

/** The agent boot image: machines can be discovered only once it is present. */
export interface AgentImageState {
  state: 'present' | 'building' | 'missing';
  /** One line for a person: "present (built in 290 s)", "missing: zstd is missing on this host; …". */
  detail: string;
  /** When the current build started (ISO time), while one runs. */
  since?: string;
  /** How long the last build took, seconds, when this process built it. */
  seconds?: number;
}

/** One fact of the first-run check: fine or not, and what it is in words. */
export interface ReadinessFact {
  ok: boolean;
  detail: string;
}

/** Can machines boot from this control plane, and if not, what is missing (npm start and the first-run screen). */
export interface Readiness {
  canBoot: boolean;
  /** What stops machines from booting, one sentence each; empty when they can. */
  blockers: string[];
  ui: ReadinessFact;
  agentImage: AgentImageState;
  ipxe: ReadinessFact & { files: Array<{ arch: string; file: string; present: boolean }> };
  interface: ReadinessFact & { name?: string; address?: string };
  /** The configured mode and, from the running service, the one in use (proxy when another server answered). */
  dhcp: ReadinessFact & { mode: DhcpMode };
}

/** One network interface of this host, as the first-run screen and the settings show it. */
export interface HostInterface {
  name: string;
  mac?: string;
  /** Administratively up with a link (or a link state the kernel cannot tell, like loopback's). */
  up: boolean;
  /** The kernel's word for the link: "up", "down", "unknown", "dormant"…; "unknown" where the OS does not say. */
  linkState: string;
  /** Carries this host's default route: the uplink, almost never the network facing the machines. */
  defaultRoute: boolean;
  addresses: Array<{ address: string; netmask: string; family: string; internal: boolean }>;
}
