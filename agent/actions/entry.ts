import { setTimeout as sleep } from 'node:timers/promises';
import type { HardwareFacts } from '../../core/model/hardware.ts';
import type { Action } from '../../core/model/template.ts';
import type { FetchFn } from '../api.ts';
import type { WorkflowRunner } from '../agent.ts';
import type { ControlPlane } from '../control-plane.ts';
import { spawnExec, type Exec } from './exec.ts';
import type { HttpGet } from './http-get.ts';
import { runWorkflow, type ActionEvent, type AgentWorkflow } from './runner.ts';

/** What the agent loop hands the actions once at start-up. */
export interface ActionsConfig {
  /** Control plane base URL (dragonfly.url= on the kernel command line). */
  serverUrl: string;
  facts: HardwareFacts;
  fetch?: FetchFn;
  exec?: Exec;
  httpGet?: HttpGet;
  sleep?: (ms: number) => Promise<void>;
  /** Swarm: after a switch to another instance, the running workflow is fetched there first, so that instance holds its image. */
  controlPlane?: Pick<ControlPlane, 'onSwitch'>;
}

/** Tries for a final event (Succeeded/Failed): the control plane must learn it, or the workflow sits in Running until it times out. */
const FINAL_EVENT_TRIES = 6;

/**
 * The WorkflowRunner the agent loop (agent/agent.ts) calls: fetches the workflow
 * (GET /api/agent/v1/workflows/:name), runs its actions, reports through the agent API.
 */
export function createWorkflowRunner(cfg: ActionsConfig): WorkflowRunner {
  const fetchFn = cfg.fetch ?? ((u, i) => fetch(u, i));
  const wait = cfg.sleep ?? ((ms: number) => sleep(ms));
  return async (name, { api, token, say, signal }) => {
    // Cancelled by the heartbeat's answer, or by a report the control plane refuses as gone.
    const stop = new AbortController();
    signal?.addEventListener('abort', () => stop.abort(signal.reason), { once: true });
    if (signal?.aborted) stop.abort(signal.reason);
    const report = async (ev: ActionEvent) => {
      const tries = ev.phase === 'Running' && ev.bytesDone !== undefined ? 1 : FINAL_EVENT_TRIES;
      for (let n = 1; ; n++) {
        const res = await api.workflowEvent(token, name, ev);
        if (!res.ok && res.kind === 'gone') {
          if (!stop.signal.aborted) say(`workflow ${name}: the control plane no longer takes its reports (${res.reason}); stopping`);
          stop.abort(new Error(res.reason));
          return;
        }
        if (res.ok || n >= tries) {
          if (!res.ok) say(`workflow ${name}: could not report ${ev.phase} of action ${ev.action}: ${res.reason}`);
          return;
        }
        await wait(Math.min(10_000, 500 * 2 ** n));
      }
    };
    const wf = await fetchWorkflow(fetchFn, cfg.serverUrl, token, name, wait, 5, say);
    if (typeof wf === 'string') {
      say(`workflow ${name}: ${wf}`);
      return report({ action: 0, phase: 'Failed', message: wf });
    }
    // The new instance copies the image when asked for the workflow (503 until it holds it); the
    // download's retry then finds the file there. Plain fetch: a failure here must not start a second switch.
    const off = cfg.controlPlane?.onSwitch(async (url) => {
      const again = await fetchWorkflow((u, i) => fetch(u, i), url, token, name, wait, 5, say);
      say(`workflow ${name}: ${typeof again === 'string' ? again : `fetched again from ${url}`}`);
    });
    const outcome = await runWorkflow({ workflow: wf, facts: cfg.facts, report, exec: cfg.exec ?? spawnExec, httpGet: cfg.httpGet, fetch: cfg.fetch, serverUrl: cfg.serverUrl, token, say, signal: stop.signal }).finally(() => off?.());
    say(outcome.ok ? `workflow ${name}: done (${outcome.ran} actions)` : `workflow ${name}: ${outcome.cancelled ? 'cancelled' : 'stopped'} at action ${outcome.action + 1}`);
  };
}

/** GET the workflow, retrying network trouble a few times; a string is the reason it could not be had. */
const IMAGE_WAIT_MS = 2 * 3600_000;
const IMAGE_POLL_MS = 5_000;

export async function fetchWorkflow(
  fetchFn: FetchFn,
  serverUrl: string,
  token: string,
  name: string,
  wait: (ms: number) => Promise<void>,
  tries = 5,
  say?: (line: string) => void,
): Promise<AgentWorkflow | string> {
  const url = `${serverUrl.replace(/\/+$/, '')}/api/agent/v1/workflows/${encodeURIComponent(name)}`;
  let last = '';
  let waitedForImageMs = 0;
  for (let n = 1; n <= tries; n++) {
    try {
      const res = await fetchFn(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) });
      const text = await res.text();
      if (res.status === 200) return checkWorkflow(safeJson(text));
      last = `GET ${url}: HTTP ${res.status} ${text.slice(0, 200)}`;
      // 503: the control plane is still fetching the OS image into its cache. Wait for it (up
      // to IMAGE_WAIT_MS) instead of failing the workflow; its own timeouts still apply.
      if (res.status === 503 && waitedForImageMs < IMAGE_WAIT_MS) {
        if (waitedForImageMs % 60_000 === 0) say?.(`workflow ${name}: waiting: ${text.slice(0, 200)}`);
        await wait(IMAGE_POLL_MS);
        waitedForImageMs += IMAGE_POLL_MS;
        n--;
        continue;
      }
      if (res.status < 500) return last;
    } catch (err) {
      last = `GET ${url}: ${(err as Error).message}`;
    }
    if (n < tries) await wait(1000 * n);
  }
  return last;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The workflow body checked by hand (the agent bundle carries no schema validator). */
export function checkWorkflow(v: unknown): AgentWorkflow | string {
  if (typeof v !== 'object' || v === null) return 'the workflow reply is not a JSON object';
  const w = v as Record<string, unknown>;
  if (typeof w.name !== 'string') return 'the workflow reply has no name';
  if (!Array.isArray(w.actions) || w.actions.length === 0) return `workflow ${w.name} has no actions`;
  const bad = w.actions.findIndex((a) => typeof a !== 'object' || a === null || typeof (a as Action).type !== 'string' || typeof (a as Action).name !== 'string');
  if (bad >= 0) return `action ${bad} of workflow ${w.name} has no name or type`;
  return {
    name: w.name,
    phase: typeof w.phase === 'string' ? w.phase : undefined,
    startAt: typeof w.startAt === 'number' ? w.startAt : 0,
    statuses: Array.isArray(w.statuses) ? (w.statuses as { phase?: string }[]) : undefined,
    actions: w.actions as Action[],
  };
}
