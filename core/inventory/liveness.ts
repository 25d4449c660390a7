import type { Hardware } from '../model/hardware.ts';
import { mutate } from '../store/mutate.ts';
import type { Store } from '../store/store.ts';

/** An agent that has not reported for this long is marked lost; ms. */
export const AGENT_LOST_AFTER_MS = 90_000;

// In these states an agent should be running and heartbeating.
// Not Provisioning: there the per-action timeouts watch the agent, which may be busy writing a disk.
const AGENT_STATES = new Set(['Registered', 'Assigned']);

/** Puts an AgentLost condition on machines whose agent went quiet; returns their names. */
export async function markLostAgents(store: Store, nowMs: number, lostAfterMs = AGENT_LOST_AFTER_MS): Promise<string[]> {
  const { items } = await store.list<Hardware>('Hardware');
  const lost: string[] = [];
  for (const hw of items) {
    const s = hw.status;
    if (!s || !AGENT_STATES.has(s.state) || !s.lastSeen) continue;
    if (nowMs - Date.parse(s.lastSeen) < lostAfterMs) continue;
    if (s.conditions?.some((c) => c.type === 'AgentLost')) continue;
    await mutate<Hardware>(store, 'Hardware', hw.metadata.name, (h) => {
      h.status!.conditions = [
        ...(h.status!.conditions ?? []),
        {
          type: 'AgentLost',
          status: 'True',
          reason: 'NoHeartbeat',
          message: `no report from the agent since ${s.lastSeen}`,
          lastTransitionTime: new Date(nowMs).toISOString(),
        },
      ];
      return h;
    });
    lost.push(hw.metadata.name);
  }
  return lost;
}
