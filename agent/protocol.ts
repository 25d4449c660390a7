import type { HardwareFacts } from '../core/model/hardware.ts';

/** Agent <-> control plane contract, /api/agent/v1. */
export const nextActions = ['wait', 'run', 'reboot', 'boot-local'] as const;
export type NextAction = (typeof nextActions)[number];

export interface Next {
  action: NextAction;
  /** Workflow name, present when action is 'run'. */
  workflow?: string;
  /** Which attempt of that workflow (1, 2, ... after retries); a new attempt must run again. */
  attempt?: number;
}

export interface RegisterRequest {
  mac: string;
  facts: HardwareFacts;
}

export interface RegisterReply {
  hardware: string;
  displayName: string;
  /** Bearer token for every later call of this machine. */
  agentToken: string;
  next: Next;
  /** Seconds between heartbeats; 0 or missing means the default (10). */
  heartbeatSeconds: number;
}

/** The control plane gave up the workflow the agent said it runs (cancelled, replaced, timed out). */
export interface Cancelled {
  workflow: string;
  reason: string;
}

export interface HeartbeatReply {
  next: Next;
  /** Present when the heartbeat named a workflow that must stop: the agent stops it between actions. */
  cancelled?: Cancelled;
}

export interface WorkflowEvent {
  /** Index of the action in the workflow. */
  action: number;
  phase: 'Running' | 'Succeeded' | 'Failed';
  bytesDone?: number;
  bytesTotal?: number;
  message?: string;
}

/** A reply body checked by hand: the agent bundle carries no schema library. Returns the reason when wrong. */
export function checkNext(v: unknown): Next | string {
  if (typeof v !== 'object' || v === null) return 'next is not an object';
  const { action, workflow, attempt } = v as Record<string, unknown>;
  if (!(nextActions as readonly unknown[]).includes(action)) return `next.action "${String(action)}" unknown`;
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
  if (r.cancelled === undefined) return { next };
  const c = r.cancelled as Record<string, unknown> | null;
  if (typeof c !== 'object' || c === null || typeof c.workflow !== 'string') return 'cancelled has no workflow name';
  return { next, cancelled: { workflow: c.workflow, reason: typeof c.reason === 'string' ? c.reason : 'no reason given' } };
}
