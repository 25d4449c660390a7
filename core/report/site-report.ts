import type { ReportCheck, ReportMachine, ReportTimelineStep, SiteReport } from '../contract/report.ts';
import type { Hardware } from '../model/hardware.ts';
import type { Template } from '../model/template.ts';
import { ASSIGNED_BY_ANNOTATION, type Workflow } from '../model/workflow.ts';
import type { Store } from '../store/store.ts';

export interface ReportContext {
  now: Date;
  version: string;
  generatedBy?: string;
}

/** The site report from the stored objects: every machine, its checks, its template and its timeline. */
export async function buildSiteReport(store: Store, ctx: ReportContext): Promise<SiteReport> {
  const [hardware, workflows, templates] = await Promise.all([
    store.list<Hardware>('Hardware'),
    store.list<Workflow>('Workflow'),
    store.list<Template>('Template'),
  ]);
  const wfByName = new Map(workflows.items.map((w) => [w.metadata.name, w]));
  const tplByName = new Map(templates.items.map((t) => [t.metadata.name, t]));
  const machines = hardware.items
    .map((hw) => {
      const wf = latestWorkflow(hw, wfByName, workflows.items);
      return reportMachine(hw, wf, wf ? tplByName.get(wf.spec.templateRef) : undefined);
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return { generatedAt: ctx.now.toISOString(), generatedBy: ctx.generatedBy, controlPlaneVersion: ctx.version, countsByState: countStates(machines), machines };
}

/** The machine's current workflow, else the last one it had (a cancelled assignment leaves none current). */
function latestWorkflow(hw: Hardware, byName: Map<string, Workflow>, all: Workflow[]): Workflow | undefined {
  const current = hw.status?.currentWorkflow ? byName.get(hw.status.currentWorkflow) : undefined;
  if (current) return current;
  const mine = all.filter((w) => w.spec.hardwareRef === hw.metadata.name);
  return mine.sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '')).at(-1);
}

function reportMachine(hw: Hardware, wf: Workflow | undefined, tpl: Template | undefined): ReportMachine {
  const bmc = hw.spec.bmc;
  return {
    name: hw.metadata.name,
    displayName: hw.spec.displayName,
    state: hw.status?.state ?? 'Discovered',
    message: hw.status?.message,
    serial: hw.spec.facts?.dmi.serial,
    macs: hw.spec.macs,
    bmc: bmc ? { protocol: bmc.protocol, address: bmc.address } : undefined,
    labels: hw.metadata.labels ?? {},
    facts: hw.spec.facts,
    checks: [...actionChecks(wf), ...conditionChecks(hw)],
    template: wf?.spec.templateRef,
    imageDigests: tpl ? imageDigests(tpl) : [],
    workflow: wf ? workflowSummary(wf) : undefined,
    timeline: timelineWithDurations(hw.status?.bootHistory ?? []),
  };
}

function actionChecks(wf: Workflow | undefined): ReportCheck[] {
  return (wf?.status?.actions ?? []).map((a) => ({
    source: 'action',
    name: `${a.name} (${a.type})`,
    result: a.phase,
    startedAt: a.startedAt,
    finishedAt: a.finishedAt,
    durationSeconds: secondsBetween(a.startedAt, a.finishedAt),
    message: a.message,
  }));
}

/** Whatever the machine carries as conditions (approval, identity, expectations once they exist). */
function conditionChecks(hw: Hardware): ReportCheck[] {
  return (hw.status?.conditions ?? []).map((c) => ({ source: 'condition', name: c.type, result: c.status, finishedAt: c.lastTransitionTime, message: c.message ?? c.reason }));
}

/** The digest each image2disk action pins: of the raw disk, else of the file served, else none (said so). */
function imageDigests(tpl: Template): string[] {
  return tpl.spec.actions.flatMap((a) => {
    if (a.type !== 'image2disk') return [];
    const file = typeof a.image.fileChecksum === 'string' ? a.image.fileChecksum : undefined;
    return [`${a.image.url} ${a.image.checksum ?? (file ? `file ${file}` : 'digest computed by the image cache')}`];
  });
}

function workflowSummary(wf: Workflow): NonNullable<ReportMachine['workflow']> {
  const s = wf.status;
  return {
    name: wf.metadata.name,
    phase: s?.phase ?? 'Pending',
    assignedBy: wf.metadata.annotations?.[ASSIGNED_BY_ANNOTATION],
    assignedAt: s?.assignedAt ?? wf.metadata.creationTimestamp,
    startedAt: s?.startedAt,
    finishedAt: s?.finishedAt,
    durationSeconds: secondsBetween(s?.startedAt, s?.finishedAt),
    error: s?.error,
  };
}

/** Each step lasts until the next one starts; the last step has no known end. */
export function timelineWithDurations(steps: ReadonlyArray<{ at: string; step: string; detail?: string }>): ReportTimelineStep[] {
  return steps.map((s, i) => ({ ...s, durationSeconds: secondsBetween(s.at, steps[i + 1]?.at) }));
}

function secondsBetween(from?: string, to?: string): number | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? Math.round(ms) / 1000 : undefined;
}

function countStates(machines: ReportMachine[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of machines) out[m.state] = (out[m.state] ?? 0) + 1;
  return out;
}
