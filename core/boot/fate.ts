import type { Hardware } from '../model/hardware.ts';

/** DESIGN.md §2: the server, never the client, decides what a MAC boots. */
export type BootFate = { kind: 'discovery' } | { kind: 'imaging'; workflow: string } | { kind: 'local' };

export function bootFate(hw: Hardware | undefined): BootFate {
  const state = hw?.status?.state;
  const wf = hw?.status?.currentWorkflow;
  if (!hw || !state || state === 'Discovered' || state === 'Registered') return { kind: 'discovery' };
  if ((state === 'Assigned' || state === 'Provisioning') && wf) return { kind: 'imaging', workflow: wf };
  if (state === 'Ready') return { kind: 'local' };
  // Error: keep the agent up (it reports and waits), so an operator can retry without touching the machine.
  return { kind: 'discovery' };
}
