import { describe, expect, it } from 'vitest';
import { emptyFleet, reduceFleet, trayView, workflowProgress, type ChangeEventLike, type FleetModel } from './tray-state.ts';

const hw = (type: ChangeEventLike['type'], name: string, state?: string): ChangeEventLike => ({
  type,
  kind: 'Hardware',
  object: { metadata: { name }, spec: {}, status: state ? { state } : undefined },
});
const wf = (type: ChangeEventLike['type'], name: string, status: object): ChangeEventLike => ({
  type,
  kind: 'Workflow',
  object: { metadata: { name }, spec: {}, status },
});
const fold = (events: ChangeEventLike[]): FleetModel => events.reduce(reduceFleet, emptyFleet);

describe('trayView', () => {
  it('says idle when there are no machines', () => {
    expect(trayView(emptyFleet)).toMatchObject({ icon: 'idle', tooltip: 'Dragonfly — idle, no machines yet' });
  });

  it('is idle with every machine Ready or waiting', () => {
    const v = trayView(fold([hw('ADDED', 'a', 'Ready'), hw('ADDED', 'b', 'Registered')]));
    expect(v.icon).toBe('idle');
    expect(v.tooltip).toBe('Dragonfly — idle · 1 Ready of 2 machines');
  });

  it('shows provisioning N, counting Assigned machines as on their way', () => {
    const v = trayView(fold([hw('ADDED', 'a', 'Assigned'), hw('ADDED', 'b', 'Provisioning'), hw('ADDED', 'c', 'Ready')]));
    expect(v.icon).toBe('provisioning');
    expect(v.counts).toEqual({ total: 3, provisioning: 2, ready: 1, errors: 0 });
    expect(v.tooltip).toBe('Dragonfly — provisioning 2 · 1 Ready of 3 machines');
  });

  it('lets errors win the icon while still telling provisioning', () => {
    const v = trayView(fold([hw('ADDED', 'a', 'Error'), hw('ADDED', 'b', 'Provisioning'), hw('ADDED', 'c', 'Error')]));
    expect(v.icon).toBe('error');
    expect(v.tooltip).toBe('Dragonfly — 2 errors · provisioning 1 · 0 Ready of 3 machines');
  });

  it('follows a machine through its lifecycle and forgets a deleted one', () => {
    const steps = [hw('ADDED', 'a', 'Registered'), hw('MODIFIED', 'a', 'Provisioning'), hw('MODIFIED', 'a', 'Error')];
    expect(trayView(fold(steps)).icon).toBe('error');
    expect(trayView(fold([...steps, hw('MODIFIED', 'a', 'Ready')])).icon).toBe('idle');
    expect(trayView(fold([...steps, hw('DELETED', 'a', 'Error')])).counts.total).toBe(0);
  });

  it('adds the mean progress of running workflows to the tooltip', () => {
    const model = fold([
      hw('ADDED', 'a', 'Provisioning'),
      hw('ADDED', 'b', 'Provisioning'),
      wf('ADDED', 'wa', { phase: 'Running', actions: [{ phase: 'Succeeded' }, { phase: 'Running', percent: 50 }] }), // 75 %
      wf('ADDED', 'wb', { phase: 'Running', actions: [{ phase: 'Running', percent: 10 }, { phase: 'Pending' }] }), // 5 %
    ]);
    expect(trayView(model).percent).toBe(40);
    expect(trayView(model).tooltip).toBe('Dragonfly — provisioning 2 (40 %) · 0 Ready of 2 machines');
  });

  it('drops a workflow from the progress once it is no longer running', () => {
    const model = fold([wf('ADDED', 'w', { phase: 'Running', actions: [] }), wf('MODIFIED', 'w', { phase: 'Succeeded', actions: [] })]);
    expect(trayView(model).percent).toBeUndefined();
    expect(trayView(model).icon).toBe('idle');
  });

  it('ignores templates', () => {
    const e: ChangeEventLike = { type: 'ADDED', kind: 'Template', object: { metadata: { name: 't' } } };
    expect(reduceFleet(emptyFleet, e)).toBe(emptyFleet);
  });
});

describe('workflowProgress', () => {
  it('counts finished actions whole and clamps nonsense percentages', () => {
    expect(workflowProgress({ actions: [{ phase: 'Succeeded' }, { phase: 'Succeeded' }] })).toBe(1);
    expect(workflowProgress({ actions: [{ phase: 'Running', percent: 250 }, { phase: 'Pending' }] })).toBe(0.5);
    expect(workflowProgress({ actions: [{ phase: 'Running', percent: Number.NaN }] })).toBe(0);
    expect(workflowProgress({})).toBe(0);
  });
});
