import type { Hardware } from '../../../core/model/hardware.ts';
import type { Workflow, ActionStatus } from '../../../core/model/workflow.ts';
import type { LifecycleState } from '../../../core/model/lifecycle.ts';

/** Small object builders for the renderer's unit tests (and the dev stub's data). */
export function hardware(name: string, state: LifecycleState = 'Registered', extra: Partial<Hardware['spec']> = {}, rv = '1'): Hardware {
  return {
    apiVersion: 'dragonfly.computer/v1',
    kind: 'Hardware',
    metadata: { name, resourceVersion: rv },
    spec: { macs: ['52:54:00:00:00:01'], displayName: name.replace(/(^|-)(\w)/g, (_, d, c: string) => `${d ? ' ' : ''}${c.toUpperCase()}`), ...extra },
    status: { state },
  };
}

export function workflow(name: string, machine: string, actions: Partial<ActionStatus>[], phase: NonNullable<Workflow['status']>['phase'] = 'Running'): Workflow {
  return {
    apiVersion: 'dragonfly.computer/v1',
    kind: 'Workflow',
    metadata: { name, resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { hardwareRef: machine, templateRef: 'debian-12' },
    status: {
      phase,
      actions: actions.map((a, i) => ({ name: `a${i}`, type: 'image2disk', phase: 'Pending', ...a })),
    },
  };
}
