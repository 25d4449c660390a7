/**
 * Which machines the agent image can run on, by iPXE's `${buildarch}` (the `arch=` of the
 * script URL, urls.ts). The image is built from Debian's amd64 kernel and an x86-64 Node
 * (build/agent/build-image.mjs); "i386" is iPXE's BIOS build (undionly.kpxe), which runs on
 * those same x86-64 machines. An arm64 machine boots the arm64 iPXE (assets/ipxe) but would
 * only meet "Exec format error" on the amd64 kernel, retrying every 10 s with nothing said.
 */
import { scriptSafeText } from '../shared/script-text.ts';

const AGENT_BUILDARCHES: ReadonlySet<string> = new Set(['x86_64', 'i386']);

/** Why the agent cannot boot on this machine; undefined when it can (or the client did not say). */
export function agentUnavailableFor(buildarch: string | undefined): string | undefined {
  if (buildarch === undefined || buildarch === '' || AGENT_BUILDARCHES.has(buildarch)) return undefined;
  return `the agent image runs on x86_64 machines only; this machine is ${scriptSafeText(buildarch, 20)}`;
}

/**
 * The script for a machine the agent cannot run on: say so on its console, then hand it back
 * to the firmware (`exit 1`: its next boot option) rather than loop on a kernel it cannot run.
 */
export function renderNoAgentScript(why: string, seconds = 30): string {
  return ['#!ipxe', `echo Dragonfly: cannot discover or image this machine: ${scriptSafeText(why)}`, `sleep ${seconds}`, 'exit 1', ''].join('\n');
}
