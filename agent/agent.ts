import type { HardwareFacts } from '../core/model/hardware.ts';
import type { AgentApi } from './api.ts';
import { Backoff } from './backoff.ts';
import type { BootParams } from './cmdline.ts';
import type { Cancelled, Next, RegisterReply } from './protocol.ts';

/** What a workflow runner gets from the agent loop. */
export interface WorkflowContext {
  api: AgentApi;
  /** The per-machine agent token (Bearer for every call). */
  token: string;
  say: (line: string) => void;
  /** Aborted when the control plane cancels the workflow; the runner stops before the next action. */
  signal?: AbortSignal;
}

/** The hook the loop calls when the control plane says next.action = 'run' (agent/actions/entry.ts builds the real one). */
export type WorkflowRunner = (name: string, ctx: WorkflowContext) => Promise<void>;

/** Everything the agent loop touches outside itself, so tests drive it with fakes. */
export interface AgentDeps {
  params: BootParams;
  api: AgentApi;
  facts: HardwareFacts;
  /** Waits ms milliseconds (the injected clock). */
  sleep: (ms: number) => Promise<void>;
  /** Uniform in [0, 1): backoff jitter. */
  random: () => number;
  /** One line on the machine's console. */
  say: (line: string) => void;
  /** `reboot -f` in production; does not return there. */
  reboot: () => Promise<void>;
  /** Hand the machine back to firmware, which the control plane then sends to the local disk. */
  bootLocal: () => Promise<void>;
  runWorkflow: WorkflowRunner;
  /** Tests stop the loop with this; production runs forever. */
  stopped?: () => boolean;
}

/** Register, then heartbeat for ever; re-register whenever a token is refused. Never throws on network trouble. */
export async function runAgent(d: AgentDeps): Promise<void> {
  const backoff = new Backoff(d.random);
  const state: ActState = { lastWorkflow: undefined, running: undefined, runningName: undefined, stop: undefined };
  while (!d.stopped?.()) {
    const reg = await registerUntilAccepted(d, backoff);
    if (reg === 'refused') return rebootForFreshToken(d, state);
    if (!reg) return;
    d.say(`registered as "${reg.displayName}" (${reg.hardware}); heartbeat every ${reg.heartbeatSeconds} s`);
    await act(d, reg.agentToken, reg.next, state);
    await heartbeatUntilRefused(d, reg, backoff, state);
  }
}

/**
 * Refusals of the enrolment token (401/403) in a row after which the agent reboots: the token is
 * single use and short-lived, so once spent or expired it is refused for ever (the control plane
 * forgot the machine, or an operator deleted it). A new network boot gets a fresh one and the
 * control plane decides the machine's fate afresh. More than one, so a race between two
 * instances over one token is not enough; network errors and 5xx do not count.
 */
export const REFUSALS_BEFORE_REBOOT = 3;

/** The reply of an accepted registration; 'refused' when the enrolment token was refused too often; undefined when stopped. */
async function registerUntilAccepted(d: AgentDeps, backoff: Backoff): Promise<RegisterReply | 'refused' | undefined> {
  let refusals = 0;
  while (!d.stopped?.()) {
    d.say(`registering ${d.params.mac} with ${d.params.url}`);
    const res = await d.api.register(d.params.token, d.params.mac, d.facts);
    if (res.ok) {
      backoff.reset();
      return res.value;
    }
    if (res.kind === 'auth' && ++refusals >= REFUSALS_BEFORE_REBOOT) {
      d.say(`registration refused ${refusals} times (enrolment token ${res.refusal ?? 'refused'}): ${res.reason}`);
      return 'refused';
    }
    const delay = backoff.next();
    const hint = res.kind === 'auth' ? `enrolment token refused (${res.refusal ?? 'it may have expired'}): ${res.reason}` : res.reason;
    d.say(`registration failed: ${hint}; retrying in ${(delay / 1000).toFixed(1)} s`);
    await d.sleep(delay);
  }
  return undefined;
}

/** Back to the network boot, for a fresh enrolment token; a running workflow stops first, after its current action, as on a cancel. */
async function rebootForFreshToken(d: AgentDeps, state: ActState): Promise<void> {
  if (state.running) {
    d.say(`stopping workflow ${state.runningName} after the current action before rebooting`);
    state.stop?.abort(new Error('the control plane refused this machine; rebooting'));
    await state.running;
  }
  d.say('rebooting to boot from the network again: a new boot gets a fresh enrolment token and the control plane decides this machine afresh');
  await d.reboot();
}

async function heartbeatUntilRefused(d: AgentDeps, reg: RegisterReply, backoff: Backoff, state: ActState): Promise<void> {
  let wait = reg.heartbeatSeconds * 1000;
  while (!d.stopped?.()) {
    await d.sleep(wait);
    const res = await d.api.heartbeat(reg.agentToken, d.params.mac, state.runningName);
    if (res.ok) {
      backoff.reset();
      wait = reg.heartbeatSeconds * 1000;
      // agent tokens are short-lived: the control plane hands out a fresh one before this one expires
      if (res.value.agentToken) reg.agentToken = res.value.agentToken;
      stopIfCancelled(d, res.value.cancelled, state);
      await act(d, reg.agentToken, res.value.next, state);
    } else if (res.kind === 'auth') {
      d.say(`heartbeat refused: ${res.reason}; registering again`);
      return;
    } else {
      wait = backoff.next();
      d.say(`heartbeat failed: ${res.reason}; retrying in ${(wait / 1000).toFixed(1)} s`);
    }
  }
}

interface ActState {
  lastWorkflow: string | undefined;
  /** The workflow run in progress; heartbeats go on beside it. */
  running: Promise<void> | undefined;
  /** Its name, sent with every heartbeat so the control plane can say it was cancelled. */
  runningName: string | undefined;
  /** Stops that run before its next action. */
  stop: AbortController | undefined;
}

/** The control plane gave up the running workflow: it stops before its next action (an action half done is not torn off). */
function stopIfCancelled(d: AgentDeps, cancelled: Cancelled | undefined, state: ActState): void {
  if (!cancelled || cancelled.workflow !== state.runningName || !state.stop || state.stop.signal.aborted) return;
  d.say(`workflow ${cancelled.workflow} cancelled by the control plane (${cancelled.reason}); stopping after the current action`);
  state.stop.abort(new Error(cancelled.reason));
}

/** Carry out what the control plane asked; a workflow is started once, not on every heartbeat that repeats it. */
async function act(d: AgentDeps, token: string, next: Next, state: ActState): Promise<void> {
  // Anything but "run" means the last run is over for the control plane too: the same name
  // coming back after that is an operator's retry, and must run again.
  if (next.action !== 'run' && !state.running) state.lastWorkflow = undefined;
  switch (next.action) {
    case 'wait':
      return;
    case 'run': {
      // A workflow runs once per attempt: the same name with a higher attempt is an operator's retry.
      const key = `${next.workflow}#${next.attempt ?? 1}`;
      if (state.running || key === state.lastWorkflow) return;
      const name = next.workflow!;
      state.lastWorkflow = key;
      d.say(`running workflow ${name}`);
      const stop = new AbortController();
      state.stop = stop;
      state.runningName = name;
      // Heartbeats go on while the actions run.
      state.running = d
        .runWorkflow(name, { api: d.api, token, say: d.say, signal: stop.signal })
        .catch((e: Error) => d.say(`workflow ${name} stopped: ${e.message}`))
        .finally(() => {
          state.running = undefined;
          state.runningName = undefined;
          state.stop = undefined;
        });
      return;
    }
    case 'reboot':
      d.say('control plane asked for a reboot; rebooting');
      return d.reboot();
    case 'boot-local':
      d.say('control plane asked to boot from the local disk; rebooting');
      return d.bootLocal();
  }
}
