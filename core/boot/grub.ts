/**
 * GRUB configurations for the Secure Boot chain (shim -> Debian's signed grubnetx64). The fate
 * comes from the same table as the iPXE script (fate.ts) and the kernel command line from the
 * same function (script.ts), so both paths boot a machine the same way.
 */
import { scriptSafeText } from '../shared/script-text.ts';
import type { BootFate } from './fate.ts';
import { LOCAL_EFI_LOADERS, localEfiLoaders } from './local-loaders.ts';
import { agentKernelArgs, armSerialConsole } from './script.ts';
import { SIGNED_CHAIN } from './signed-chain.ts';
import { tftpPaths, type AgentImageArch } from './urls.ts';

export interface GrubConfigInput {
  fate: BootFate;
  mac: string;
  /** Base URL the agent uses to reach this control plane, e.g. http://10.0.0.1:8080 */
  serverUrl: string;
  /** Short-lived enrolment token bound to `mac`, for the agent's first call. */
  enrolmentToken: string;
  /** Display name, for the comment line only. */
  displayName?: string;
  /** Where GRUB reads the agent from, relative to $root: default the TFTP names of agentArch's image (signed-chain.ts); the RAM disk has its own (ramDiskPaths). */
  agentFiles?: { kernel: string; initrd: string };
  /** The agent image the machine runs (the GRUB's CPU); default amd64. */
  agentArch?: AgentImageArch;
}

// The loaders live in local-loaders.ts (shared with the iPXE script); re-exported for callers of this module.
export { LOCAL_EFI_LOADERS };

/**
 * What grubnetx64 (and grubnetaa64: the same prefix) reads first (grub/grub.cfg): the same for
 * every machine, it sends GRUB to the file named after the MAC it booted from, under the
 * arm64 name on an arm64 GRUB (${grub_cpu}), whose configuration loads the arm64 agent. If that
 * cannot be read (the control plane is gone), `exit` hands the machine back to the firmware's
 * next boot option.
 */
export function renderGrubEntryConfig(): string {
  return [
    "# Dragonfly: on to this machine's own configuration (paths are read from $root, the TFTP server)",
    'if [ "${grub_cpu}" = "arm64" ]; then',
    `  configfile /${SIGNED_CHAIN.arm64.grubMacPrefix}\${net_default_mac}`,
    'else',
    `  configfile /${tftpPaths.grubMacPrefix}\${net_default_mac}`,
    'fi',
    // Quoted: an unquoted ";" ends a GRUB command.
    'echo "Dragonfly: no configuration for ${net_default_mac}, handing back to the firmware"',
    'sleep 5',
    'exit',
    '',
  ].join('\n');
}

/** The per-MAC GRUB configuration: a pure function of the machine's fate and the server's addresses. */
export function renderGrubConfig(i: GrubConfigInput): string {
  const who = i.displayName ? `${scriptSafeText(i.displayName)} (${i.mac})` : i.mac;
  const head = [`# Dragonfly GRUB configuration for ${who}: ${i.fate.kind}`, 'set timeout=0'];
  const body = i.fate.kind === 'local' ? localLines(i.agentArch ?? 'amd64') : agentLines(i);
  return [...head, ...body, ''].join('\n');
}

// Paths without a device are read from $root, which grubnetx64 sets to the TFTP server it came from.
function agentLines(i: GrubConfigInput): string[] {
  const chain = SIGNED_CHAIN[i.agentArch ?? 'amd64'];
  const files = i.agentFiles ?? { kernel: chain.agentKernel, initrd: chain.agentInitrd };
  return [
    `echo "Dragonfly: loading the agent for ${i.mac}"`,
    `linux /${files.kernel} ${[...agentKernelArgs(i), ...armSerialConsole(i.agentArch)].join(' ')}`,
    `initrd /${files.initrd}`,
    'boot',
    // Reached only when a load failed: GRUB has printed why.
    'echo "Dragonfly: could not load the agent, restarting in 10 s"',
    'sleep 10',
    'reboot',
  ];
}

// MAAS's approach: find the installed disk's EFI system partition and chainload its loader,
// instead of leaving the firmware to walk its boot list (network options first) again. `root`
// itself must point at the partition: GRUB 2.06 hands the chainloaded image the device of
// $root, not of the file, and a shim started with the network card as its device cannot find
// its own GRUB beside it (seen in the lab: "Failed to load image \EFI\BOOT\grubx64.efi").
// The loader names are the CPU's own (BOOTAA64.EFI, shimaa64.efi on arm64): GRUB runs on the machine's CPU.
function localLines(arch: AgentImageArch): string[] {
  const tries = localEfiLoaders(arch).flatMap((path) => [
    `if search --no-floppy --file --set=root ${path}; then`,
    `  echo "Dragonfly: starting ${path} from the local disk"`,
    `  chainloader ${path}`,
    '  boot',
    'fi',
  ]);
  return [...tries, 'echo "Dragonfly: no bootable loader on a local disk, handing back to the firmware"', 'exit'];
}

/**
 * For a request that gets no token (no DHCP evidence, or the discovery budget is spent): say
 * why, wait, and restart, so the next boot leaves fresh DHCP evidence. Nothing is created for it.
 */
export function renderGrubRetryConfig(why: string, seconds = 30): string {
  return [`echo "Dragonfly: ${grubQuotable(why)}, restarting in ${seconds} s"`, `sleep ${seconds}`, 'reboot', ''].join('\n');
}

/**
 * For a machine the agent cannot run on (agent-arch.ts: its architecture's image is not built):
 * say so, then hand it back to the firmware instead of looping on a kernel it cannot run.
 */
export function renderGrubNoAgentConfig(why: string, seconds = 30): string {
  return [`echo "Dragonfly: cannot discover or image this machine: ${grubQuotable(why)}"`, `sleep ${seconds}`, 'exit', ''].join('\n');
}

/** Text safe inside a double-quoted GRUB word: no variable, quote or escape characters. */
function grubQuotable(text: string): string {
  return scriptSafeText(text).replace(/["\\]/g, '?');
}
