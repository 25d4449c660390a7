import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { API_VERSION } from '../model/meta.ts';
import type { Hardware } from '../model/hardware.ts';
import type { Template } from '../model/template.ts';
import type { ActionStatus, Workflow } from '../model/workflow.ts';
import { nextState, transition, type LifecycleEvent } from '../model/lifecycle.ts';
import { DragonflyError, isDragonflyError } from '../shared/errors.ts';
import { discardLogger, type Logger } from '../shared/logger.ts';
import { mutate } from '../store/mutate.ts';
import type { Store } from '../store/store.ts';
import { computeProgress } from './progress.ts';
import { appendHistory } from '../inventory/registration.ts';

export interface AssignRequest {
  template: string;
  machines: string[];
  /** The operator confirmed erasing machines that are already provisioned. */
  reimage?: boolean;
  variables?: Record<string, string>;
}

export interface AssignResult {
  machine: string;
  workflow?: string;
  error?: { code: string; message: string };
}

/** What the agent reports about one action. */
export interface AgentEvent {
  action: number;
  phase: 'Running' | 'Succeeded' | 'Failed';
  bytesDone?: number;
  bytesTotal?: number;
  message?: string;
}

export interface Notification {
  level: 'info' | 'error';
  title: string;
  body: string;
  machine: string;
}

/** Power hooks used when a machine has a working driver (power issue); absent → nothing happens. */
export interface ProvisioningPower {
  /** Next boot from the network, then power-cycle: the machine PXE-boots into the workflow. */
  bootIntoProvisioning(hw: Hardware): Promise<void>;
  /** Next boot from disk. */
  bootFromDisk(hw: Hardware): Promise<void>;
}

export interface WorkflowServiceDeps {
  store: Store;
  logger?: Logger;
  power?: ProvisioningPower;
  /** Called once per assignment with the template, before any machine is power-cycled (image cache warm-up). */
  prepareImages?: (template: Template) => void;
  now?: () => number;
}

const DEFAULT_WORKFLOW_TIMEOUT_S = 3600;
const DEFAULT_ACTION_TIMEOUT_S = 1800;

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
    const event: LifecycleEvent = state === 'Ready' || state === 'Error' ? 'reimageConfirmed' : 'assigned';
    if (event === 'reimageConfirmed' && state === 'Ready' && !req.reimage) {
      throw new DragonflyError('DF_ERR_ILLEGAL_TRANSITION', `${machine} is provisioned (Ready); reimaging erases its disks and needs an explicit reimage confirmation`);
    }
    if (state === 'Error' && !req.reimage) {
      throw new DragonflyError('DF_ERR_ILLEGAL_TRANSITION', `${machine} is in Error; retry its workflow, or assign with reimage to start over`);
    }
    transition(state, event); // throws with the allowed events if illegal
    const wf = await this.store.create<Workflow>({
      apiVersion: API_VERSION,
      kind: 'Workflow',
      metadata: { name: `${machine}-${randomBytes(3).toString('hex')}`.slice(0, 253), labels: { 'dragonfly.computer/hardware': machine } },
      spec: { hardwareRef: machine, templateRef: template.metadata.name, variables: req.variables, reimage: req.reimage || undefined },
      status: { phase: 'Pending', actions: initialActions(template), attempts: 1, assignedAt: this.iso() },
    });
    await mutate<Hardware>(this.store, 'Hardware', machine, (h) => {
      h.status = { ...h.status!, state: transition(h.status?.state ?? 'Discovered', event), currentWorkflow: wf.metadata.name, message: undefined };
      return h;
    });
    if (this.deps.power && hw.spec.bmc) await this.powerStep(hw, 'bootIntoProvisioning');
    return wf.metadata.name;
  }

  private async powerStep(hw: Hardware, step: keyof ProvisioningPower): Promise<void> {
    try {
      await this.deps.power![step](hw);
    } catch (e) {
      this.log.warn({ machine: hw.metadata.name, err: (e as Error).message }, `power step ${step} failed`);
    }
  }

  /** Applies one agent report to the workflow and the machine. */
  async applyAgentEvent(workflowName: string, ev: AgentEvent): Promise<Workflow> {
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
    if (started) await this.moveMachine(wf.spec.hardwareRef, 'started');
    if (finished === 'Succeeded') await this.finishMachine(wf, 'succeeded');
    if (finished === 'Failed') await this.finishMachine(wf, 'failed', wf.status!.error);
    return wf;
  }

  private async moveMachine(machine: string, event: LifecycleEvent, message?: string): Promise<Hardware | undefined> {
    try {
      return await mutate<Hardware>(this.store, 'Hardware', machine, (h) => {
        const state = h.status?.state ?? 'Discovered';
        const next = nextState(state, event);
        if (!next || (next === state && message === undefined)) return undefined;
        h.status = { ...h.status!, state: next, message };
        return h;
      });
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
    const hw = await this.moveMachine(wf.spec.hardwareRef, event, message);
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
    const wf = await mutate<Workflow>(this.store, 'Workflow', workflowName, (w) => {
      const s = w.status!;
      if (s.phase !== 'Failed' && s.phase !== 'TimedOut') {
        throw new DragonflyError('DF_ERR_ILLEGAL_TRANSITION', `workflow ${workflowName} is ${s.phase}; only a failed or timed-out workflow can be retried`);
      }
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
    await mutate<Hardware>(this.store, 'Hardware', wf.spec.hardwareRef, (h) => {
      h.status = { ...h.status!, state: transition(h.status?.state ?? 'Discovered', 'retried'), currentWorkflow: wf.metadata.name, message: undefined };
      return h;
    });
    return wf;
  }

  /** Manual resolution of a machine in Error: it is fine as it is, or the assignment is withdrawn. */
  async resolve(machine: string, as: 'ready' | 'cancel'): Promise<Hardware> {
    const event: LifecycleEvent = as === 'ready' ? 'markedReady' : 'cancelled';
    const hw = await mutate<Hardware>(this.store, 'Hardware', machine, (h) => {
      h.status = { ...h.status!, state: transition(h.status?.state ?? 'Discovered', event), message: undefined };
      if (as === 'cancel') h.status.currentWorkflow = undefined;
      return h;
    });
    return hw;
  }

  /** Marks Pending/Running workflows past their deadlines as TimedOut; returns how many. */
  async enforceTimeouts(): Promise<number> {
    const { items } = await this.store.list<Workflow>('Workflow');
    let n = 0;
    for (const wf of items) {
      if (wf.status?.phase !== 'Pending' && wf.status?.phase !== 'Running') continue;
      const reason = await this.overdue(wf);
      if (!reason) continue;
      try {
        const updated = await mutate<Workflow>(this.store, 'Workflow', wf.metadata.name, (w) => {
          if (w.status!.phase !== 'Pending' && w.status!.phase !== 'Running') return undefined;
          w.status!.phase = 'TimedOut';
          w.status!.error = reason;
          w.status!.finishedAt = this.iso();
          const a = w.status!.actions[w.status!.currentAction ?? 0];
          if (a && a.phase === 'Running') a.phase = 'TimedOut';
          return w;
        });
        if (updated.status!.phase === 'TimedOut') {
          n++;
          await this.finishMachine(updated, 'failed', reason);
        }
      } catch (e) {
        this.log.warn({ workflow: wf.metadata.name, err: (e as Error).message }, 'timeout check failed');
      }
    }
    return n;
  }

  private async overdue(wf: Workflow): Promise<string | undefined> {
    const tpl = await this.store.get<Template>('Template', wf.spec.templateRef).catch(() => undefined);
    const now = this.now();
    const wfLimit = (tpl?.spec.timeoutSeconds ?? DEFAULT_WORKFLOW_TIMEOUT_S) * 1000;
    const since = Date.parse(wf.status?.startedAt ?? wf.status?.assignedAt ?? wf.metadata.creationTimestamp ?? new Date(now).toISOString());
    if (now - since > wfLimit) return `workflow timed out after ${Math.round(wfLimit / 1000)} s`;
    const idx = wf.status?.currentAction ?? 0;
    const a = wf.status?.actions[idx];
    if (a?.phase === 'Running' && a.startedAt) {
      const spec = tpl?.spec.actions[idx];
      const limit = (spec?.timeoutSeconds ?? tpl?.spec.actionTimeoutSeconds ?? DEFAULT_ACTION_TIMEOUT_S) * 1000;
      if (now - Date.parse(a.startedAt) > limit) return `action "${a.name}" timed out after ${Math.round(limit / 1000)} s`;
    }
    return undefined;
  }
}

function initialActions(t: Template): ActionStatus[] {
  return t.spec.actions.map((a) => ({ name: a.name, type: a.type, phase: 'Pending' as const }));
}

function applyActionEvent(a: ActionStatus, ev: AgentEvent, nowMs: number): void {
  const iso = new Date(nowMs).toISOString();
  if (a.phase === 'Pending') a.startedAt = iso;
  if (ev.bytesDone !== undefined) Object.assign(a, computeProgress(a, ev.bytesDone, ev.bytesTotal ?? a.bytesTotal, nowMs));
  if (ev.message !== undefined) a.message = ev.message;
  a.phase = ev.phase;
  if (ev.phase !== 'Running') a.finishedAt = iso;
  if (ev.phase === 'Succeeded' && a.bytesTotal) {
    a.percent = 100;
    a.etaSeconds = 0;
  }
}
