import { describe, expect, it } from 'vitest';
import { applyEvents, cacheFromList, upsertObject, type WatchEvent } from './resource-cache.ts';
import { hardware } from './test-objects.ts';
import type { Hardware } from '../../../core/model/hardware.ts';

const ev = (type: WatchEvent<Hardware>['type'], object: Hardware, revision: number): WatchEvent<Hardware> => ({ type, kind: 'Hardware', object, revision });

describe('resource cache', () => {
  it('a list fills the cache sorted by name and remembers its revision', () => {
    const c = cacheFromList([hardware('zeta'), hardware('alpha')], 7);
    expect(c.names).toEqual(['alpha', 'zeta']);
    expect(c.loaded).toBe(true);
    expect(c.revision).toBe(7);
  });

  it('ADDED, MODIFIED and DELETED change what the operator sees', () => {
    let c = cacheFromList([hardware('alpha')], 1);
    c = applyEvents(c, [ev('ADDED', hardware('beta'), 2), ev('MODIFIED', hardware('alpha', 'Ready', {}, '3'), 3)]);
    expect(c.names).toEqual(['alpha', 'beta']);
    expect(c.byName.get('alpha')?.status?.state).toBe('Ready');
    c = applyEvents(c, [ev('DELETED', hardware('alpha'), 4)]);
    expect(c.names).toEqual(['beta']);
    expect(c.revision).toBe(4);
  });

  it('events already reflected in the list (revision not newer) are ignored', () => {
    const c = cacheFromList([hardware('alpha', 'Ready', {}, '5')], 5);
    const after = applyEvents(c, [ev('MODIFIED', hardware('alpha', 'Provisioning', {}, '4'), 4), ev('DELETED', hardware('alpha'), 5)]);
    expect(after).toBe(c);
  });

  it('an event carrying an older resourceVersion does not overwrite a newer object', () => {
    let c = cacheFromList([hardware('alpha', 'Ready', {}, '9')], 1);
    c = applyEvents(c, [ev('MODIFIED', hardware('alpha', 'Provisioning', {}, '8'), 2)]);
    expect(c.byName.get('alpha')?.status?.state).toBe('Ready');
  });

  it('modifications keep the same name list (so the list view need not re-sort)', () => {
    const c = cacheFromList([hardware('alpha'), hardware('beta')], 1);
    const after = applyEvents(c, [ev('MODIFIED', hardware('beta', 'Ready', {}, '2'), 2)]);
    expect(after.names).toBe(c.names);
    expect(after.byName).not.toBe(c.byName);
  });

  it('upsert shows a PATCH answer at once and adds unknown objects', () => {
    let c = cacheFromList([hardware('alpha')], 3);
    c = upsertObject(c, hardware('alpha', 'Registered', { tags: ['gpu'] }, '4'));
    expect(c.byName.get('alpha')?.spec.tags).toEqual(['gpu']);
    c = upsertObject(c, hardware('gamma'));
    expect(c.names).toEqual(['alpha', 'gamma']);
    expect(c.revision).toBe(3);
  });
});
