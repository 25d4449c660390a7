import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { API_VERSION } from '../model/meta.ts';
import { isAwaitingApproval, isDeclared, type Hardware } from '../model/hardware.ts';
import type { Template } from '../model/template.ts';
import { ASSIGNED_BY_ANNOTATION, type ActionStatus, type Workflow } from '../model/workflow.ts';
import { nextState, transition, type LifecycleEvent } from '../model/lifecycle.ts';
import { DragonflyError, isDragonflyError } from '../shared/errors.ts';
import { discardLogger, type Logger } from '../shared/logger.ts';
import { mutate } from '../store/mutate.ts';
import type { Store } from '../store/store.ts';
import { computeProgress } from './progress.ts';
import { overdueReason } from './timeouts.ts';
import { appendHistory } from '../model/boot-history.ts';
import type { WorkflowEvent } from '../contract/agent.ts';
import type { ProvisioningPower } from '../power/service.ts';

export interface AssignRequest {
  template: string;
  machines: string[];
  /** The operator confirmed erasing machines that are already provisioned. */
  reimage?: boolean;
  variables?: Record<string, string>;
  /** Who assigned (the operator's name), kept on the workflow for the site report. */
  assignedBy?: string;
}

export interface AssignResult {
  machine: string;
  workflow?: string;
  error?: { code: string; message: string };
}

/** What the agent reports about one action. */
/** One progress report of the agent (the contract's WorkflowEvent). */
export type AgentEvent = WorkflowEvent;

export interface Notification {
  level: 'info' | 'error';
  title: string;
  body: string;
  machine: string;
}


export interface WorkflowServiceDeps {
  store: Store;
  logger?: Logger;
  power?: ProvisioningPower;
  /** Called once per assignment with the template, before any machine is power-cycled (image cache warm-up). */
  prepareImages?: (template: Template) => void;
  now?: () => number;
}

/**
 * Creates workflows on assignment, applies agent events, enforces timeouts, and moves the
 * machine through the lifecycle (asking the state machine, never re-deciding it).
 */
export class WorkflowService extends EventEmitter<{ notification: [Notification] }> {
  private readonly store: Store;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly deps: WorkflowServiceDeps) {
    super();
    this.store = deps.store;
    this.log = deps.logger ?? discardLogger;
    this.now = deps.now ?? Date.now;
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  async assign(req: AssignRequest): Promise<AssignResult[]> {
    const template = await this.store.get<Template>('Template', req.template); // unknown → 404, nothing created
    this.deps.prepareImages?.(template);
    const results: AssignResult[] = [];
    for (const machine of [...new Set(req.machines)]) {
      try {
        results.push({ machine, workflow: await this.assignOne(template, machine, req) });
      } catch (e) {
        const err = isDragonflyError(e) ? e : new DragonflyError('DF_ERR_INTERNAL', (e as Error).message);
        results.push({ machine, error: { code: err.code, message: err.message } });
      }
    }
    return results;
  }

  private async assignOne(template: Template, machine: string, req: AssignRequest): Promise<string> {
    const hw = await this.store.get<Hardware>('Hardware', machine);
    const state = hw.status?.state ?? 'Discovered';
    const event: LifecycleEvent = state === 'Ready' || state === 'Error' ? 'reimageConfirmed' : state === 'Discovered' && isDeclared(hw) ? 'assignedDeclared' : 'assigned';
    if (event === 'reimageConfirmed' && state === 'Ready' && !req.reimage) {
      throw new DragonflyError('DF_ERR_ILLEGAL_TRANSITION', `${machine} is provisioned (Ready); reimaging erases its disks and needs an explicit reimage confirmation`);
    }
    if (isAwaitingApproval(hw)) {
      throw new DragonflyError('DF_ERR_ILLEGAL_TRANSITION', `${machine} is awaiting approval (enrolment: approve); approve it first (POST /api/v1/hardware/${machine}/approve)`);
    }
    if (state === 'Error' && !req.reimage) {
      throw new DragonflyError('DF_ERR_ILLEGAL_TRANSITION', `${machine} is in Error; retry its workflow, or assign with reimage to start over`);
    }
    transition(state, event); // throws with the allowed events if illegal
    const wf = await this.store.create<Workflow>({
      apiVersion: API_VERSION,
      kind: 'Workflow',
      metadata: {
        name: `${machine}-${randomBytes(3).toString('hex')}`.slice(0, 253),
        labels: { 'dragonfly.computer/hardware': machine },
        ...(req.assignedBy ? { annotations: { [ASSIGNED_BY_ANNOTATION]: req.assignedBy } } : {}),
      },
      spec: { hardwareRef: machine, templateRef: template.metadata.name, variables: req.variables, reimage: req.reimage || undefined },
      status: { phase: 'Pending', actions: initialActions(template), attempts: 1, assignedAt: this.iso() },
    });
    try {
      await mutate<Hardware>(this.store, 'Hardware', machine, (h) => {
        h.status = { ...h.status!, state: transition(h.status?.state ?? 'Discovered', event), currentWorkflow: wf.metadata.name, message: undefined };
        return h;
      });
    } catch (e) {
      // The machine moved since it was read (another assignment won): no workflow may be left without its machine.
      await this.store.delete('Workflow', wf.metadata.name).catch(() => undefined);
      throw e;
    }
    if (this.deps.power && hw.spec.bmc) await this.powerStep(hw, 'bootIntoProvisioning');
    return wf.metadata.name;
  }

  private async powerStep(hw: Hardware, step: keyof ProvisioningPower): Promise<void> {
    try {
      await this.deps.power![step](hw);
    } catch (e) {
      this.log.warn({ machine: hw.metadata.name, err: (e as Error).message }, `power step ${step} failed`);
      // On the timeline too: a declared machine that never booted has no other way to say why it stays dark.
      await this.timeline(hw.metadata.name, 'power', `${step} failed: ${(e as Error).message}`);
    }
  }

  /** Applies one agent report to the workflow and the machine. */
  async applyAgentEvent(workflowName: string, ev: AgentEvent): Promise<Workflow> {
    const stale = await this.whyNotRunnable(await this.store.get<Workflow>('Workflow', workflowName));
    if (stale) {
      this.log.warn({ workflow: workflowName, action: ev.action, phase: ev.phase }, `agent report ignored: ${stale}`);
      throw new DragonflyError('DF_ERR_GONE', `${stale}; the report (action ${ev.action} ${ev.phase}) was ignored`);
    }
    let finished: 'Succeeded' | 'Failed' | undefined;
    let started = false;
    let step: { name: string; phase: string } | undefined;
    const wf = await mutate<Workflow>(this.store, 'Workflow', workflowName, (w) => {
      const status = w.status!;
      if (!['Pending', 'Running'].includes(status.phase)) {
        throw new DragonflyError('DF_ERR_ILLEGAL_TRANSITION', `workflow ${workflowName} is ${status.phase}; it takes no more reports`);
      }
      const a = status.actions[ev.action];
      if (!a) throw new DragonflyError('DF_ERR_INVALID', `workflow ${workflowName} has no action ${ev.action} (it has ${status.actions.length})`);
      started = status.phase === 'Pending';
      step = a.phase !== ev.phase ? { name: a.name, phase: ev.phase } : undefined;
      status.phase = 'Running';
      status.startedAt ??= this.iso();
      status.currentAction = ev.action;
      applyActionEvent(a, ev, this.now());
      if (ev.phase === 'Failed') {
        status.phase = 'Failed';
        // The agent's message usually names the action already; say it once.
        const reason = ev.message ?? 'no reason given';
        status.error = reason.startsWith(`action "${a.name}"`) ? reason : `action "${a.name}" (${a.type}) failed: ${reason}`;
        status.finishedAt = this.iso();
        finished = 'Failed';
      } else if (ev.phase === 'Succeeded' && ev.action === status.actions.length - 1) {
        status.phase = 'Succeeded';
        status.finishedAt = this.iso();
        finished = 'Succeeded';
      }
      return w;
    });
    if (step) await this.timeline(wf.spec.hardwareRef, `action:${step.name}`, step.phase.toLowerCase());
    if (started) await this.moveMachine(wf, 'started');
    if (finished === 'Succeeded') await this.finishMachine(wf, 'succeeded');
    if (finished === 'Failed') await this.finishMachine(wf, 'failed', wf.status!.error);
    return wf;
  }

  /**
   * Moves the machine of `wf` by one lifecycle event, but only while `wf` is its current
   * workflow: a late timeout or report of a cancelled or replaced workflow is logged and
   * leaves the machine alone. The check is inside the write, so a concurrent cancel wins.
   */
  private async moveMachine(wf: Workflow, event: LifecycleEvent, message?: string): Promise<Hardware | undefined> {
    const machine = wf.spec.hardwareRef;
    try {
      let other: string | undefined;
      const hw = await mutate<Hardware>(this.store, 'Hardware', machine, (h) => {
        other = undefined;
        if (h.status?.currentWorkflow !== wf.metadata.name) {
          other = h.status?.currentWorkflow ?? 'none';
          return undefined;
        }
        const state = h.status?.state ?? 'Discovered';
        const next = nextState(state, event);
        if (!next || (next === state && message === undefined)) return undefined;
        h.status = { ...h.status!, state: next, message };
        return h;
      });
      if (other === undefined) return hw;
      this.log.warn({ machine, workflow: wf.metadata.name, current: other, event }, `workflow ${wf.metadata.name} is not the current workflow of ${machine}; "${event}" leaves the machine as it is`);
      return undefined;
    } catch (e) {
      this.log.warn({ machine, event, err: (e as Error).message }, 'could not move machine');
      return undefined;
    }
  }

  /** A step on the machine's boot timeline (action:NAME, ready, ...). */
  private async timeline(machine: string, step: string, detail?: string): Promise<void> {
    await mutate<Hardware>(this.store, 'Hardware', machine, (h) => {
      appendHistory(h, step, detail, this.iso());
      return h;
    }).catch((e) => this.log.warn({ machine, err: (e as Error).message }, 'could not record a timeline step'));
  }

  private async finishMachine(wf: Workflow, event: 'succeeded' | 'failed', message?: string): Promise<void> {
    const hw = await this.moveMachine(wf, event, message);
    if (!hw) return;
    await this.timeline(hw.metadata.name, event === 'succeeded' ? 'ready' : 'error', message ?? wf.spec.templateRef);
    const label = hw.spec.displayName ?? hw.metadata.name;
    if (event === 'succeeded') {
      if (this.deps.power && hw.spec.bmc) await this.powerStep(hw, 'bootFromDisk');
      this.emit('notification', { level: 'info', title: `${label} is Ready`, body: `${wf.spec.templateRef} installed`, machine: hw.metadata.name });
    } else {
      this.emit('notification', { level: 'error', title: `${label} failed`, body: message ?? 'provisioning failed', machine: hw.metadata.name });
    }
  }

  /** Retry a failed or timed-out workflow, from the start or from the failed action. */
  async retry(workflowName: string, from: 'start' | 'failed' = 'start'): Promise<Workflow> {
    // Every check comes before any write: a refused retry leaves workflow and machine as they were.
    const before = await this.store.get<Workflow>('Workflow', workflowName);
    const machine = before.spec.hardwareRef;
    const hw = await this.store.get<Hardware>('Hardware', machine);
    if (hw.status?.currentWorkflow !== workflowName) {
      throw new DragonflyError('DF_ERR_ILLEGAL_TRANSITION', `workflow ${workflowName} is not the current workflow of ${machine} (${hw.status?.currentWorkflow ?? 'it has none'}); assign the template again instead`);
    }
    retryable(before);
    transition(hw.status?.state ?? 'Discovered', 'retried');
    // The machine first, checked inside its write: a cancel that lands meanwhile has made the
    // workflow Cancelled, so the reset below is refused and no workflow runs without its machine.
    await mutate<Hardware>(this.store, 'Hardware', machine, (h) => {
      if (h.status?.currentWorkflow !== workflowName) throw new DragonflyError('DF_ERR_CONFLICT', `${machine} changed workflow during the retry; look again`);
      h.status = { ...h.status!, state: transition(h.status?.state ?? 'Discovered', 'retried'), message: undefined };
      return h;
    });
    return mutate<Workflow>(this.store, 'Workflow', workflowName, (w) => {
      const s = retryable(w);
      const firstBad = s.actions.findIndex((a) => a.phase !== 'Succeeded');
      const resumeAt = from === 'failed' && firstBad >= 0 ? firstBad : 0;
      s.actions = s.actions.map((a, i) => (i < resumeAt ? a : { name: a.name, type: a.type, phase: 'Pending' }));
      s.phase = 'Pending';
      s.currentAction = resumeAt;
      s.error = undefined;
      s.finishedAt = undefined;
      s.startedAt = undefined;
      s.assignedAt = this.iso();
      s.attempts = (s.attempts ?? 1) + 1;
      return w;
    });
  }

  /** Manual resolution of a machine in Error: it is fine as it is, or the assignment is withdrawn. */
  async resolve(machine: string, as: 'ready' | 'cancel'): Promise<Hardware> {
    if (as === 'cancel') return this.cancel(machine);
    return mutate<Hardware>(this.store, 'Hardware', machine, (h) => {
      h.status = { ...h.status!, state: transition(h.status?.state ?? 'Discovered', 'markedReady'), message: undefined };
      return h;
    });
  }

  /**
   * Withdraws the machine's assignment: its workflow, unless it succeeded, becomes
   * Cancelled (the agent learns it at its next heartbeat and stops between actions), and the
   * machine goes back to Registered with no current workflow (a declared machine that never
   * registered goes back to Discovered, where it can be assigned again through its BMC).
   */
  async cancel(machine: string): Promise<Hardware> {
    const before = await this.store.get<Hardware>('Hardware', machine);
    // A declared machine that never registered goes back to being declared, not Registered.
    const event: LifecycleEvent = isDeclared(before) ? 'cancelledDeclared' : 'cancelled';
    transition(before.status?.state ?? 'Discovered', event); // refused before anything is written
    const name = before.status?.currentWorkflow;
    if (name) await this.markCancelled(name);
    const hw = await mutate<Hardware>(this.store, 'Hardware', machine, (h) => {
      if (h.status?.currentWorkflow !== name) throw new DragonflyError('DF_ERR_CONFLICT', `${machine} changed workflow while it was being cancelled; look again and retry`);
      h.status = { ...h.status!, state: transition(h.status?.state ?? 'Discovered', event), currentWorkflow: undefined, message: undefined };
      appendHistory(h, 'cancelled', name, this.iso());
      return h;
    });
    this.log.info({ machine, workflow: name }, 'assignment cancelled');
    return hw;
  }

  private async markCancelled(name: string): Promise<void> {
    await mutate<Workflow>(this.store, 'Workflow', name, (w) => {
      const s = w.status!;
      if (s.phase === 'Succeeded' || s.phase === 'Cancelled') return undefined;
      // A failed one is withdrawn too (it can no longer be retried); its reason stays readable.
      s.error = s.error ? `cancelled by an operator after: ${s.error}` : 'cancelled by an operator';
      s.phase = 'Cancelled';
      s.finishedAt = this.iso();
      for (const a of s.actions) if (a.phase === 'Running') a.phase = 'Cancelled';
      return w;
    }).catch((e) => {
      if (!isDragonflyError(e, 'DF_ERR_NOT_FOUND')) throw e;
    });
  }

  /**
   * Why the agent must stop running `wf` (its reports are ignored), or undefined while it is
   * the machine's current workflow and not cancelled or timed out. A current workflow that
   * Failed or Succeeded passes: its agent has stopped already, and a repeated final report
   * gets the ordinary "takes no more reports" answer.
   */
  async whyNotRunnable(wf: Workflow): Promise<string | undefined> {
    const name = wf.metadata.name;
    const machine = wf.spec.hardwareRef;
    if (wf.status?.phase === 'Cancelled') return `workflow ${name} was cancelled`;
    const hw = await this.store.get<Hardware>('Hardware', machine).catch(() => undefined);
    const current = hw?.status?.currentWorkflow;
    if (current !== name) return `workflow ${name} is no longer the workflow of ${machine} (${current ? `that is ${current}` : 'it has none'})`;
    if (wf.status?.phase === 'TimedOut') return `workflow ${name} timed out on the control plane (${wf.status.error ?? 'no reason kept'})`;
    return undefined;
  }

  /** Marks Pending/Running workflows past their deadlines as TimedOut; returns how many. */
  async enforceTimeouts(): Promise<number> {
    const { items } = await this.store.list<Workflow>('Workflow');
    let n = 0;
    for (const wf of items) {
      if (wf.status?.phase !== 'Pending' && wf.status?.phase !== 'Running') continue;
      const tpl = await this.store.get<Template>('Template', wf.spec.templateRef).catch(() => undefined);
      const reason = overdueReason(wf, tpl, this.now());
      if (!reason) continue;
      try {
        let timedOut = false;
        const updated = await mutate<Workflow>(this.store, 'Workflow', wf.metadata.name, (w) => {
          if (w.status!.phase !== 'Pending' && w.status!.phase !== 'Running') return undefined;
          timedOut = true;
          w.status!.phase = 'TimedOut';
          w.status!.error = reason;
          w.status!.finishedAt = this.iso();
          const a = w.status!.actions[w.status!.currentAction ?? 0];
          if (a && a.phase === 'Running') a.phase = 'TimedOut';
          return w;
        });
        if (timedOut) {
          n++;
          // Only the machine's current workflow moves it; an old one's timeout is logged there.
          await this.finishMachine(updated, 'failed', reason);
        }
      } catch (e) {
        this.log.warn({ workflow: wf.metadata.name, err: (e as Error).message }, 'timeout check failed');
      }
    }
    return n;
  }
}

function retryable(w: Workflow): Workflow['status'] & object {
  const s = w.status!;
  if (s.phase !== 'Failed' && s.phase !== 'TimedOut') {
    throw new DragonflyError('DF_ERR_ILLEGAL_TRANSITION', `workflow ${w.metadata.name} is ${s.phase}; only a failed or timed-out workflow can be retried`);
  }
  return s;
}

function initialActions(t: Template): ActionStatus[] {
  return t.spec.actions.map((a) => ({ name: a.name, type: a.type, phase: 'Pending' as const }));
}

function applyActionEvent(a: ActionStatus, ev: AgentEvent, nowMs: number): void {
  const iso = new Date(nowMs).toISOString();
  if (a.phase === 'Pending') a.startedAt = iso;
  if (ev.bytesDone !== undefined) Object.assign(a, computeProgress(a, ev.bytesDone, ev.bytesTotal ?? a.bytesTotal, nowMs));
  if (ev.bytesFromServer !== undefined) a.bytesFromServer = ev.bytesFromServer;
  if (ev.bytesFromPeers !== undefined) a.bytesFromPeers = ev.bytesFromPeers;
  if (ev.message !== undefined) a.message = ev.message;
  a.phase = ev.phase;
  if (ev.phase !== 'Running') a.finishedAt = iso;
  if (ev.phase === 'Succeeded' && a.bytesTotal) {
    a.percent = 100;
    a.etaSeconds = 0;
  }
}
