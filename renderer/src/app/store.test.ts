import { describe, expect, it } from 'vitest';
import { createAppStore } from './store.ts';
import { dispatchChanges, notificationToast } from './live-data.ts';
import { hardware, workflow } from '../shared/test-objects.ts';
import type { WatchEvent } from '../shared/resource-cache.ts';

const change = (kind: string, type: 'ADDED' | 'MODIFIED' | 'DELETED', object: unknown, revision: number) =>
  ({ kind, type, object, revision }) as WatchEvent<never>;

describe('app store (slices composed)', () => {
  it('each test gets a fresh store: state does not leak between stores', () => {
    const a = createAppStore();
    a.getState().setMachineLayout('cards');
    expect(createAppStore().getState().machineLayout).toBe('table');
  });

  it('a batch of events is routed to the cache of each kind', () => {
    const store = createAppStore();
    store.getState().loadHardware([hardware('alpha')], 1);
    dispatchChanges(store, [
      change('Hardware', 'MODIFIED', hardware('alpha', 'Provisioning', {}, '2'), 2),
      change('Workflow', 'ADDED', workflow('wf-1', 'alpha', [{ phase: 'Running', percent: 40 }]), 3),
      change('Template', 'ADDED', { apiVersion: 'dragonfly.computer/v1', kind: 'Template', metadata: { name: 'debian-12' }, spec: { actions: [] } }, 4),
    ]);
    const s = store.getState();
    expect(s.hardware.byName.get('alpha')?.status?.state).toBe('Provisioning');
    expect(s.workflows.names).toEqual(['wf-1']);
    expect(s.templates.names).toEqual(['debian-12']);
  });

  it('deleting a selected machine removes it from the selection and closes its detail panel', () => {
    const store = createAppStore();
    store.getState().loadHardware([hardware('alpha'), hardware('beta')], 1);
    store.getState().setSelection(['alpha', 'beta']);
    store.getState().openMachine('alpha');
    dispatchChanges(store, [change('Hardware', 'DELETED', hardware('alpha'), 2)]);
    expect([...store.getState().selection.selected]).toEqual(['beta']);
    expect(store.getState().detailMachine).toBeNull();
  });

  it('starting an assignment remembers template and machines once each; an empty one opens nothing', () => {
    const store = createAppStore();
    store.getState().startAssign('debian-12', ['a', 'b', 'a']);
    expect(store.getState().assignDraft).toEqual({ template: 'debian-12', machines: ['a', 'b'] });
    store.getState().startAssign('debian-12', []);
    expect(store.getState().assignDraft).toBeNull();
  });

  it('a machine becoming Ready shows a toast; many at once fold into one summary', () => {
    const store = createAppStore();
    notificationToast(store, { level: 'info', title: 'Amber Falcon Orbit is Ready', body: 'debian-12 installed' });
    expect(store.getState().toasts.map((t) => t.title)).toEqual(['Amber Falcon Orbit is Ready']);
    for (let i = 0; i < 39; i++) notificationToast(store, { level: 'info', title: `m${i} is Ready` });
    expect(store.getState().toasts.map((t) => t.title)).toEqual(['40 machines are Ready']);
  });

  it('a machine that becomes Ready clears its own earlier failure toast, not others', () => {
    const store = createAppStore();
    notificationToast(store, { level: 'error', title: 'A failed', machine: 'a' });
    notificationToast(store, { level: 'info', title: 'A is Ready', machine: 'a' });
    expect(store.getState().toasts.map((t) => t.title)).toEqual(['A is Ready']);
    notificationToast(store, { level: 'error', title: 'B failed', machine: 'b' });
    notificationToast(store, { level: 'info', title: 'C is Ready', machine: 'c' });
    expect(store.getState().toasts.map((t) => t.title)).toEqual(['B failed', '2 machines are Ready']);
  });

  it('errors are not pushed out by later info toasts', () => {
    const store = createAppStore();
    notificationToast(store, { level: 'error', title: 'Quiet River Stone failed', body: 'disk not found' });
    store.getState().pushToast({ level: 'success', title: 'a' });
    store.getState().pushToast({ level: 'success', title: 'b' });
    store.getState().pushToast({ level: 'success', title: 'c' });
    const toasts = store.getState().toasts;
    expect(toasts.map((t) => t.title)).toEqual(['Quiet River Stone failed', 'b', 'c']);
    expect(toasts[0].level).toBe('error');
  });

  it('the connection flag only changes on a real change (banner does not flicker)', () => {
    const store = createAppStore();
    let updates = 0;
    store.subscribe(() => updates++);
    store.getState().setConnected(false);
    store.getState().setConnected(false);
    store.getState().setConnected(true);
    expect(updates).toBe(2);
  });

  it('signing out clears the session and keeps the reason for the form', () => {
    const store = createAppStore();
    store.getState().signedIn({ user: 'admin', via: 'session' });
    store.getState().signedOut('Your session ended.');
    expect(store.getState().authPhase).toBe('signed-out');
    expect(store.getState().authMessage).toBe('Your session ended.');
  });
});
