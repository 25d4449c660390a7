/**
 * Whether the real programs a test drives are here: the peer table (binary -> Debian package ->
 * what needs it) and the lookup. No test runner in it, so vitest suites (through peers.ts) and
 * the Playwright suites ask the same thing the same way.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface Peer {
  /** The Debian package that ships the binary (a name in .ci/apt-packages.sh). */
  pkg: string;
  /** Which tests drive it, so whoever sees it missing knows what does not run. */
  for: string;
}

/** Binary -> Debian package -> what needs it. */
export const peers = {
  ip: { pkg: 'iproute2', for: 'network-namespace tests (DHCP full and proxy, Wake-on-LAN)' },
  tcpdump: { pkg: 'tcpdump', for: 'Wake-on-LAN capture in a namespace' },
  dhclient: { pkg: 'isc-dhcp-client', for: 'DHCP full mode with a real ISC client' },
  busybox: { pkg: 'busybox-static', for: 'DHCP full mode with udhcpc; the agent image cpio check' },
  perfdhcp: { pkg: 'kea-admin', for: 'DHCP full mode under Kea perfdhcp load' },
  dnsmasq: { pkg: 'dnsmasq-base', for: 'proxy mode beside a reference DHCP server' },
  tftp: { pkg: 'tftp-hpa', for: 'TFTP server against real clients' },
  atftp: { pkg: 'atftp', for: 'TFTP server against real clients' },
  curl: { pkg: 'curl', for: 'TFTP server against real clients' },
  ipmi_sim: { pkg: 'openipmi', for: 'IPMI driver and power control against a BMC simulator' },
  ipmitool: { pkg: 'ipmitool', for: 'IPMI driver cross-checked with ipmitool' },
  redfishtool: { pkg: 'redfishtool', for: 'Redfish driver cross-checked with redfishtool' },
  openssl: { pkg: 'openssl', for: 'Redfish over HTTPS with a self-signed certificate' },
  etcd: { pkg: 'etcd-server', for: 'etcd store contract and swarm tests' },
  'qemu-img': { pkg: 'qemu-utils', for: 'qcow2 reading and the image cache' },
  'qemu-io': { pkg: 'qemu-utils', for: 'qcow2 zero clusters' },
  'qemu-system-x86_64': { pkg: 'qemu-system-x86', for: 'the agent image booted in QEMU' },
  xz: { pkg: 'xz-utils', for: 'image2disk and tar archives compressed with xz' },
  zstd: { pkg: 'zstd', for: 'image2disk with zstd; reading the agent image' },
  tar: { pkg: 'tar', for: 'images shipped as tar archives' },
  gzip: { pkg: 'gzip', for: 'images shipped as tar.gz' },
  cpio: { pkg: 'cpio', for: 'the agent image cpio writer checked by GNU cpio' },
  sfdisk: { pkg: 'fdisk', for: 'partition tables checked by util-linux' },
  sgdisk: { pkg: 'gdisk', for: 'GPT checked by gdisk' },
  losetup: { pkg: 'mount', for: 'partition and writefile on loop devices' },
  blkid: { pkg: 'util-linux', for: 'writefile on a real ext4 file system' },
  'mkfs.ext4': { pkg: 'e2fsprogs', for: 'writefile on a real ext4 file system' },
  setpriv: { pkg: 'util-linux', for: 'servers run as an unprivileged user (the privileged port helper)' },
  blockdev: { pkg: 'util-linux', for: 'disktest flushes the loop device cache before reading back' },
  'qemu-aarch64-static': { pkg: 'qemu-user-static', for: 'the arm64 agent image: its busybox and Node run at build and test time' },
  mcopy: { pkg: 'mtools', for: 'the lab disk image and its seed file (the installed-OS console test)' },
  'grub-mkimage': { pkg: 'grub2-common', for: 'the lab disk image (e2e/lab/disk-image/build.sh)' },
  'fsck.fat': { pkg: 'dosfstools', for: 'the Secure Boot HTTP boot RAM disk (a FAT image) checked by dosfstools' },
  gcc: { pkg: 'gcc', for: 'the UEFI disk loader rebuilt from source and compared with the shipped one (build/efi-localboot)' },
} as const satisfies Record<string, Peer>;

export type PeerName = keyof typeof peers;

/** Something about the host that no package gives (a built artefact, a kernel feature). */
export interface HostCondition {
  ok: boolean;
  /** What is missing and how to get it, e.g. "no agent image: npm run build:agent-image". */
  why: string;
}

/** 'root': network namespaces, loop devices, switching to another user. */
export type Need = PeerName | 'root' | HostCondition;

const sbinDirs = ['/usr/local/sbin', '/usr/sbin', '/sbin'];
const found = new Map<string, string | undefined>();

function executableIn(dirs: string[], bin: string): string | undefined {
  for (const dir of dirs) {
    try {
      accessSync(join(dir, bin), constants.X_OK);
      return join(dir, bin);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** The binary's path on PATH (what spawn will run), searched once per process. */
export function whichPeer(bin: PeerName): string | undefined {
  const path = process.env.PATH ?? '';
  const key = `${path}\0${bin}`;
  if (!found.has(key)) found.set(key, executableIn(path.split(delimiter).filter(Boolean), bin));
  return found.get(key);
}

function unmetReason(need: Need): string | undefined {
  if (typeof need === 'object') return need.ok ? undefined : need.why;
  if (need === 'root') return process.getuid?.() === 0 ? undefined : 'needs root';
  if (whichPeer(need)) return undefined;
  const inSbin = executableIn(sbinDirs, need);
  if (inSbin) return `${need} is ${inSbin}, not on PATH: add ${inSbin.slice(0, -need.length - 1)} to PATH`;
  return `${need} missing: apt-get install ${peers[need].pkg}`;
}

/** Why these needs are not met here, one phrase each; empty when the suite can run. */
export function unmetNeeds(needs: readonly Need[]): string[] {
  return [...new Set(needs.map(unmetReason).filter((r): r is string => r !== undefined))];
}

/** Whether the needs are met (for hooks at the top of a file, which run before any suite). */
export function peersPresent(needs: readonly Need[]): boolean {
  return unmetNeeds(needs).length === 0;
}

