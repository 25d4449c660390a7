import type { Next, NextAction, RegisterReply, HeartbeatReply } from '../core/contract/agent.ts';

/** Agent <-> control plane, /api/agent/v1: the shapes are core/contract/agent.ts. */
export type { Cancelled, HeartbeatReply, Next, NextAction, RegisterReply, RegisterRequest, WorkflowEvent } from '../core/contract/agent.ts';

/** Every action of the contract's Next schema: the compiler fails here when the contract adds one. */
const knownActions: Record<NextAction, true> = { wait: true, run: true, reboot: true, 'boot-local': true };

/** A reply body checked by hand: the agent bundle carries no schema library. Returns the reason when wrong. */
export function checkNext(v: unknown): Next | string {
  if (typeof v !== 'object' || v === null) return 'next is not an object';
  const { action, workflow, attempt } = v as Record<string, unknown>;
  if (typeof action !== 'string' || !Object.hasOwn(knownActions, action)) return `next.action "${String(action)}" unknown`;
  if (workflow !== undefined && typeof workflow !== 'string') return 'next.workflow is not a string';
  if (action === 'run' && !workflow) return 'next.action is run but next.workflow is missing';
  if (workflow === undefined) return { action: action as NextAction };
  return typeof attempt === 'number' ? { action: action as NextAction, workflow, attempt } : { action: action as NextAction, workflow };
}

export function checkRegisterReply(v: unknown): RegisterReply | string {
  if (typeof v !== 'object' || v === null) return 'reply is not a JSON object';
  const r = v as Record<string, unknown>;
  if (typeof r.agentToken !== 'string' || !r.agentToken) return 'reply has no agentToken';
  if (typeof r.hardware !== 'string') return 'reply has no hardware name';
  const next = checkNext(r.next);
  if (typeof next === 'string') return next;
  const hb = typeof r.heartbeatSeconds === 'number' && r.heartbeatSeconds > 0 ? r.heartbeatSeconds : 10;
  const displayName = typeof r.displayName === 'string' ? r.displayName : r.hardware;
  return { hardware: r.hardware, displayName, agentToken: r.agentToken, next, heartbeatSeconds: hb };
}

export function checkHeartbeatReply(v: unknown): HeartbeatReply | string {
  if (typeof v !== 'object' || v === null) return 'reply is not a JSON object';
  const r = v as Record<string, unknown>;
  const next = checkNext(r.next);
  if (typeof next === 'string') return next;
  const fresh = typeof r.agentToken === 'string' && r.agentToken ? { agentToken: r.agentToken } : {};
  if (r.cancelled === undefined) return { next, ...fresh };
  const c = r.cancelled as Record<string, unknown> | null;
  if (typeof c !== 'object' || c === null || typeof c.workflow !== 'string') return 'cancelled has no workflow name';
  return { next, ...fresh, cancelled: { workflow: c.workflow, reason: typeof c.reason === 'string' ? c.reason : 'no reason given' } };
}
