import type { Hardware } from '../model/hardware.ts';
import type { LifecycleState } from '../model/lifecycle.ts';

/**
 * DESIGN.md §2: the server, never the client, decides what a MAC boots. This one table answers
 * both questions that follow from it: which iPXE script the firmware gets (`script`) and what
 * the agent, once up, is told to do next (`agent`). A second copy of it would drift.
 */
type Fate = 'discovery' | 'imaging' | 'local';

const FATE_BY_STATE: Record<LifecycleState, Fate> = {
  Discovered: 'discovery',
  Registered: 'discovery', // the agent waits for an assignment
  Assigned: 'imaging',
  Provisioning: 'imaging', // after a reboot mid-workflow, the agent resumes it
  Ready: 'local', // never reimaged unless an operator confirms a reimage
  // Keep the agent up (it reports and waits), so an operator can retry without touching the machine.
  Error: 'discovery',
};

/** What the boot script does. */
export type BootFate = { kind: 'discovery' } | { kind: 'imaging'; workflow: string } | { kind: 'local' };

/** What the agent does next; a run names the attempt so a retried workflow (same name) runs again. */
export type NextAction = { action: 'wait' } | { action: 'run'; workflow: string; attempt?: number } | { action: 'boot-local' } | { action: 'reboot' };

export function bootFate(hw: Hardware | undefined): BootFate {
  const fate = FATE_BY_STATE[hw?.status?.state ?? 'Discovered'] ?? 'discovery';
  const workflow = hw?.status?.currentWorkflow;
  if (fate === 'imaging') return workflow ? { kind: 'imaging', workflow } : { kind: 'discovery' };
  return { kind: fate };
}

/** The same fate, as the agent's next step. */
export function nextActionFor(hw: Hardware): NextAction {
  const fate = bootFate(hw);
  if (fate.kind === 'imaging') return { action: 'run', workflow: fate.workflow };
  return fate.kind === 'local' ? { action: 'boot-local' } : { action: 'wait' };
}
