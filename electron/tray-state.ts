/**
 * What the tray icon says, derived from the store's change events (Hardware and Workflow
 * objects, the same events the API streams). A pure reducer plus a pure view: the tray in
 * desktop-app.ts only paints what `trayView` returns.
 */
import type { LifecycleState } from '../core/model/lifecycle.ts';

/** The part of a change event the tray reads (core/store WatchEvent satisfies it). */
export interface ChangeEventLike {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  kind: string;
  object: { metadata: { name: string }; spec?: unknown; status?: unknown };
}

export interface FleetModel {
  /** Hardware name → lifecycle state. */
  machines: ReadonlyMap<string, LifecycleState>;
  /** Running workflow name → overall progress 0..1. */
  running: ReadonlyMap<string, number>;
}

export type TrayIcon = 'idle' | 'provisioning' | 'error';

export interface TrayView {
  icon: TrayIcon;
  tooltip: string;
  counts: { total: number; provisioning: number; ready: number; errors: number };
  /** Mean progress of running workflows, 0..100 rounded, or undefined when none runs. */
  percent?: number;
}

export const emptyFleet: FleetModel = { machines: new Map(), running: new Map() };

export function reduceFleet(model: FleetModel, event: ChangeEventLike): FleetModel {
  if (event.kind === 'Hardware') return { ...model, machines: applyHardware(model.machines, event) };
  if (event.kind === 'Workflow') return { ...model, running: applyWorkflow(model.running, event) };
  return model;
}

function applyHardware(machines: ReadonlyMap<string, LifecycleState>, e: ChangeEventLike): ReadonlyMap<string, LifecycleState> {
  const next = new Map(machines);
  const state = hardwareState(e.object);
  if (e.type === 'DELETED' || state === undefined) next.delete(e.object.metadata.name);
  else next.set(e.object.metadata.name, state);
  return next;
}

function applyWorkflow(running: ReadonlyMap<string, number>, e: ChangeEventLike): ReadonlyMap<string, number> {
  const next = new Map(running);
  const status = (e.object.status ?? {}) as WorkflowStatusLike;
  if (e.type === 'DELETED' || status.phase !== 'Running') next.delete(e.object.metadata.name);
  else next.set(e.object.metadata.name, workflowProgress(status));
  return next;
}

export function hardwareState(object: { status?: unknown }): LifecycleState | undefined {
  const state = (object.status as { state?: unknown } | undefined)?.state;
  return typeof state === 'string' ? (state as LifecycleState) : undefined;
}

interface WorkflowStatusLike {
  phase?: string;
  actions?: Array<{ phase?: string; percent?: number }>;
}

/**
 * Overall progress of one workflow: finished actions count whole, the running one by its
 * own percent (image2disk reports bytes, so it moves smoothly), pending ones count zero.
 */
export function workflowProgress(status: WorkflowStatusLike): number {
  const actions = status.actions ?? [];
  if (actions.length === 0) return 0;
  let done = 0;
  for (const a of actions) {
    if (a.phase === 'Succeeded') done += 1;
    else if (a.phase === 'Running') done += clamp01((a.percent ?? 0) / 100);
  }
  return done / actions.length;
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

export function trayView(model: FleetModel): TrayView {
  const counts = countMachines(model.machines);
  const percent = meanPercent(model.running);
  const icon: TrayIcon = counts.errors > 0 ? 'error' : counts.provisioning > 0 || model.running.size > 0 ? 'provisioning' : 'idle';
  return { icon, tooltip: tooltipFor(counts, percent), counts, percent };
}

function countMachines(machines: ReadonlyMap<string, LifecycleState>): TrayView['counts'] {
  const counts = { total: machines.size, provisioning: 0, ready: 0, errors: 0 };
  for (const state of machines.values()) {
    // An Assigned machine is on its way (waiting for its agent to boot): the operator
    // thinks of it as provisioning.
    if (state === 'Assigned' || state === 'Provisioning') counts.provisioning += 1;
    else if (state === 'Ready') counts.ready += 1;
    else if (state === 'Error') counts.errors += 1;
  }
  return counts;
}

function meanPercent(running: ReadonlyMap<string, number>): number | undefined {
  if (running.size === 0) return undefined;
  let sum = 0;
  for (const p of running.values()) sum += p;
  return Math.round((sum / running.size) * 100);
}

function tooltipFor(c: TrayView['counts'], percent: number | undefined): string {
  if (c.total === 0) return 'Dragonfly — idle, no machines yet';
  const parts: string[] = [];
  if (c.errors > 0) parts.push(c.errors === 1 ? '1 error' : `${c.errors} errors`);
  if (c.provisioning > 0) parts.push(`provisioning ${c.provisioning}${percent === undefined ? '' : ` (${percent} %)`}`);
  if (parts.length === 0) parts.push('idle');
  parts.push(`${c.ready} Ready of ${c.total === 1 ? '1 machine' : `${c.total} machines`}`);
  return `Dragonfly — ${parts.join(' · ')}`;
}
