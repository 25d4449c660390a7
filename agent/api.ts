import { isTokenRefusal, type TokenRefusal } from '../core/shared/token-refusal.ts';
import type { HardwareFacts } from '../core/model/hardware.ts';
import {
  checkHeartbeatReply,
  checkRegisterReply,
  type HeartbeatReply,
  type RegisterReply,
  type WorkflowEvent,
} from './protocol.ts';

/** Why a call failed, sorted by what the agent does next. */
export type CallFailure =
  /** 401/403: the token was refused; register again, or boot again for a fresh enrolment token. `refusal`: why, when the control plane said. */
  | { kind: 'auth'; status: number; reason: string; refusal?: TokenRefusal }
  /** 410: the control plane gave up what the call was about (a cancelled or replaced workflow); do not retry. */
  | { kind: 'gone'; reason: string }
  /** 5xx, other unexpected status, connection refused, timeout, unparsable reply: retry later. */
  | { kind: 'retry'; reason: string };

export type CallResult<T> = { ok: true; value: T } | ({ ok: false } & CallFailure);

export type FetchFn = (url: string, init: RequestInit) => Promise<Response>;

/** Per-request timeout, ms: a control plane that accepts but never answers must not stall the agent. */
export const REQUEST_TIMEOUT_MS = 15_000;

export class AgentApi {
  constructor(
    private readonly baseUrl: string,
    private readonly fetchFn: FetchFn = (u, i) => fetch(u, i),
  ) {}

  register(token: string, mac: string, facts: HardwareFacts): Promise<CallResult<RegisterReply>> {
    return this.post('/api/agent/v1/register', token, { mac, facts }, checkRegisterReply);
  }

  /** `workflow`: the one this agent is running, so the reply can say it was cancelled. */
  heartbeat(token: string, mac: string, workflow?: string): Promise<CallResult<HeartbeatReply>> {
    return this.post('/api/agent/v1/heartbeat', token, workflow ? { mac, workflow } : { mac }, checkHeartbeatReply);
  }

  workflowEvent(token: string, workflow: string, event: WorkflowEvent): Promise<CallResult<unknown>> {
    return this.post(`/api/agent/v1/workflows/${encodeURIComponent(workflow)}/events`, token, event, (v) => v);
  }

  private async post<T>(path: string, token: string, body: unknown, check: (v: unknown) => T | string): Promise<CallResult<T>> {
    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(this.baseUrl + path, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      text = await res.text();
    } catch (err) {
      return { ok: false, kind: 'retry', reason: networkReason(err) };
    }
    return interpret(res.status, text, check);
  }
}

/** Status + body -> result; pure, so every branch is tested without a server. */
export function interpret<T>(status: number, text: string, check: (v: unknown) => T | string): CallResult<T> {
  if (status === 401 || status === 403) {
    const refusal = serverRefusal(text);
    return { ok: false, kind: 'auth', status, reason: `HTTP ${status}: ${serverMessage(text)}`, ...(refusal ? { refusal } : {}) };
  }
  if (status === 410) return { ok: false, kind: 'gone', reason: `HTTP ${status}: ${serverMessage(text)}` };
  if (status < 200 || status > 299) return { ok: false, kind: 'retry', reason: `HTTP ${status}: ${serverMessage(text)}` };
  let json: unknown = null;
  if (text.trim() !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      return { ok: false, kind: 'retry', reason: `unparsable reply (HTTP ${status}): ${text.slice(0, 80)}` };
    }
  }
  const value = check(json);
  return typeof value === 'string' ? { ok: false, kind: 'retry', reason: `bad reply: ${value}` } : { ok: true, value };
}

/** The control plane's error message if it sent one ({ message } or { error }), else the start of the body. */
function serverMessage(text: string): string {
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    const m = j.message ?? j.error;
    if (typeof m === 'string') return m;
  } catch {
    // not JSON
  }
  return text.trim().slice(0, 120) || '(empty body)';
}

/** Why the control plane refused the token (`details.refusal` of its error body), if it said so in a form this agent knows. */
function serverRefusal(text: string): TokenRefusal | undefined {
  try {
    const r = (JSON.parse(text) as { details?: { refusal?: unknown } } | null)?.details?.refusal;
    return isTokenRefusal(r) ? r : undefined;
  } catch {
    return undefined;
  }
}

/** undici hides the useful part (ECONNREFUSED, timeout) in err.cause. */
export function networkReason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  const cause = e?.cause?.code ?? e?.cause?.message;
  return cause ? `${e.message ?? 'fetch failed'} (${cause})` : String(e?.message ?? err);
}
