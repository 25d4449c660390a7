import { scriptSafeText } from '../shared/script-text.ts';
import type { BootFate } from './fate.ts';
import { DISTRIBUTION_EFI_LOADERS, efiFilePath } from './local-loaders.ts';
import { AGENT_INITRD, bootUrls, type AgentImageArch } from './urls.ts';

export type Firmware = 'bios' | 'uefi';

export interface ScriptInput {
  fate: BootFate;
  mac: string;
  firmware: Firmware;
  /** Base URL machines use to reach this control plane, e.g. http://10.0.0.1:8080 */
  serverUrl: string;
  /** Short-lived enrolment token bound to `mac`, for the agent's first call. */
  enrolmentToken: string;
  /** Display name, for the comment line only. */
  displayName?: string;
  /** Which agent image the machine runs (agent-arch.ts); default amd64. */
  agentArch?: AgentImageArch;
}

// iPXE's UEFI loader passes the initrd to the kernel only when the kernel command line
// names it with initrd=<name> (the name given to `initrd --name`); BIOS does not care.
const INITRD_NAME = AGENT_INITRD;

/**
 * The agent kernel's command line, shared by the iPXE script and the GRUB configuration (grub.ts).
 * It says only how to reach the control plane and who the machine is. What to do (wait, run a
 * workflow, boot locally) is the server's answer to the agent's registration, from the same fate
 * table, so it can never go stale between boot and register.
 */
export function agentKernelArgs(i: Pick<ScriptInput, 'serverUrl' | 'mac' | 'enrolmentToken'>): string[] {
  return [
    'console=tty0',
    'console=ttyS0,115200n8',
    'quiet',
    // Under software emulation on a busy host the kernel's timer check can fail and panic; harmless on hardware.
    'no_timer_check',
    `dragonfly.url=${i.serverUrl}`,
    `dragonfly.mac=${i.mac}`,
    `dragonfly.token=${i.enrolmentToken}`,
  ];
}

// arm64 machines (QEMU virt, most servers) have a PL011 UART, ttyAMA0, not ttyS0. Named last,
// it is /dev/console, so /init and the agent print there; ttyS0 before it is then ignored.
export function armSerialConsole(arch: AgentImageArch | undefined): string[] {
  return arch === 'arm64' ? ['console=ttyAMA0,115200n8'] : [];
}

function agentLines(i: ScriptInput): string[] {
  const urls = bootUrls(i.serverUrl);
  const agent = urls.agentFor(i.agentArch ?? 'amd64');
  const args = [`initrd=${INITRD_NAME}`, ...agentKernelArgs(i), ...armSerialConsole(i.agentArch)];
  return [
    `kernel ${agent.kernel} ${args.join(' ')} || goto failed`,
    `initrd --name ${INITRD_NAME} ${agent.initrd} || goto failed`,
    'boot || goto failed',
    ':failed',
    `echo Dragonfly: could not load the agent from ${i.serverUrl}; retrying in 10 s`,
    'sleep 10',
    // The same URL as the chain script: it names the platform, so a UEFI retry stays UEFI.
    `chain --autofree ${urls.fateScript} || reboot`,
  ];
}

function localLines(firmware: Firmware): string[] {
  const say = 'echo Dragonfly: booting from the local disk';
  // BIOS: hand the first hard disk to the BIOS boot path directly.
  if (firmware === 'bios') return [say, 'sanboot --no-describe --drive 0x80 || exit 1'];
  return [say, ...uefiLocalLines()];
}

// UEFI: boot the installed disk's loader directly. `exit 1` alone hands the machine back to the
// firmware, which then walks the rest of its boot list (IPv6 PXE, HTTP boot) before the disk
// whenever its order is fixed network-first: ~80 s a boot (issue 16). iPXE (2024 on) treats
// `--drive 0` as "any local disk holding this file"; without --filename it looks for the
// removable-media loader of its own architecture. An iPXE without local sanboot fails each
// line and reaches `exit 1`, today's behaviour.
function uefiLocalLines(): string[] {
  const sanboot = 'sanboot --no-describe --drive 0';
  return [
    `${sanboot} || echo Dragonfly: no removable-media loader on a local disk`,
    ...DISTRIBUTION_EFI_LOADERS.map((p) => `${sanboot} --filename ${efiFilePath(p)} || echo Dragonfly: no ${efiFilePath(p)} on a local disk`),
    'exit 1',
  ];
}

/** The iPXE script for one machine: a pure function of its fate and the server's addresses. */
export function renderIpxeScript(i: ScriptInput): string {
  if (i.fate.kind === 'local') return renderLocalScript(i);
  return [...scriptHead(i, i.fate.kind), ...agentLines(i), ''].join('\n');
}

/**
 * The script of a machine whose fate is local. It needs neither the server's address nor a
 * token, so it is also what iPXE's EFI autoexec.ipxe answer holds (ipxe-autoexec.ts).
 */
export function renderLocalScript(i: Pick<ScriptInput, 'mac' | 'firmware' | 'displayName'>): string {
  return [...scriptHead(i, 'local'), ...localLines(i.firmware), ''].join('\n');
}

function scriptHead(i: Pick<ScriptInput, 'mac' | 'displayName'>, fate: BootFate['kind']): string[] {
  const who = i.displayName ? `${scriptSafeText(i.displayName)} (${i.mac})` : i.mac;
  return ['#!ipxe', `# Dragonfly boot script for ${who}: ${fate}`];
}

/**
 * First script for an iPXE that has no MAC yet in its URL (e.g. chained from a TFTP-loaded NBP).
 * If the chained script ends in failure — on UEFI that is how "boot from the local disk" hands
 * the machine back (`exit 1`) — this one must fail too, not reboot: the firmware then goes on to
 * its next boot option, the installed disk. The same holds when the control plane is gone.
 */
export function renderChainScript(serverUrl: string): string {
  return ['#!ipxe', `chain --autofree ${bootUrls(serverUrl).fateScript} || exit 1`, ''].join('\n');
}

/**
 * For a request that gets no token (no DHCP evidence, or the discovery budget is spent): say
 * why, wait, redo DHCP (so a real boot leaves fresh evidence) and ask again. Nothing is
 * created for it; failing the chain hands the machine to its next boot option.
 */
export function renderRetryScript(serverUrl: string, why: string, seconds = 30): string {
  return [
    '#!ipxe',
    `echo Dragonfly: ${scriptSafeText(why)}; retrying in ${seconds} s`,
    `sleep ${seconds}`,
    'dhcp || echo Dragonfly: DHCP failed',
    `chain --autofree ${bootUrls(serverUrl).fateScript} || exit 1`,
    '',
  ].join('\n');
}
