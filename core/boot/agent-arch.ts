/**
 * Which agent image a machine runs, by iPXE's `${buildarch}` (the `arch=` of the script URL,
 * urls.ts). The host image is built from Debian's amd64 kernel and an x86-64 Node
 * (build/agent/build-image.mjs); "i386" is iPXE's BIOS build (undionly.kpxe), which runs on
 * those same x86-64 machines. The arm64 image is built from Debian's arm64 packages
 * (`build-image.mjs --arch arm64`) into the directory beside the host image. A machine whose
 * image is not there is told so on its console, instead of meeting "Exec format error" on a
 * kernel it cannot run and retrying every 10 s with nothing said.
 */
import { join } from 'node:path';
import { scriptSafeText } from '../shared/script-text.ts';
import { AGENT_FILES, type AgentImageArch } from './urls.ts';

const IMAGE_ARCH_BY_BUILDARCH: Readonly<Record<string, AgentImageArch>> = { x86_64: 'amd64', i386: 'amd64', arm64: 'arm64' };

/** The agent image for a machine's `${buildarch}`; amd64 when the client did not say (older scripts). */
export function agentImageArchFor(buildarch: string | undefined): AgentImageArch | undefined {
  if (buildarch === undefined || buildarch === '') return 'amd64';
  return Object.hasOwn(IMAGE_ARCH_BY_BUILDARCH, buildarch) ? IMAGE_ARCH_BY_BUILDARCH[buildarch] : undefined;
}

/** Where an architecture's image lives: the host's directory, or the one beside it named -ARCH (dist/agent-image-arm64). */
export function agentImageDirFor(hostImageDir: string, arch: AgentImageArch): string {
  return arch === 'amd64' ? hostImageDir : `${hostImageDir.replace(/\/+$/, '')}-${arch}`;
}

/** Whether both files of an architecture's image are in `dir` (the host image has its own state: agentImageState). */
export function agentImageFilesIn(dir: string, exists: (path: string) => boolean): boolean {
  return AGENT_FILES.every((f) => exists(join(dir, f)));
}

/**
 * Why the agent cannot boot on this machine; undefined when it can (or the client did not say).
 * `hasImage` answers for the non-host architectures: is that image built?
 */
export function agentUnavailableFor(buildarch: string | undefined, hasImage: (arch: AgentImageArch) => boolean = () => false): string | undefined {
  const arch = agentImageArchFor(buildarch);
  if (arch === 'amd64') return undefined;
  const which = scriptSafeText(buildarch ?? '', 20);
  if (arch === undefined) return `there is no agent image for this machine's architecture (${which}); images exist for x86_64 and arm64`;
  if (hasImage(arch)) return undefined;
  return `the ${arch} agent image is not built on this control plane (npm run build:agent-image -- --arch ${arch}); this machine is ${which}`;
}

/**
 * The script for a machine the agent cannot run on: say so on its console, then hand it back
 * to the firmware (`exit 1`: its next boot option) rather than loop on a kernel it cannot run.
 */
export function renderNoAgentScript(why: string, seconds = 30): string {
  return ['#!ipxe', `echo Dragonfly: cannot discover or image this machine: ${scriptSafeText(why)}`, `sleep ${seconds}`, 'exit 1', ''].join('\n');
}
