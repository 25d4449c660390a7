import { describe, expect, it } from 'vitest';
import { listNames, NotificationPolicy } from './notifications.ts';

const news = (machine: string, state: string, extra: object = {}) => ({ machine, state, displayName: title(machine), ...extra });
const title = (slug: string) => slug.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join(' ');

describe('NotificationPolicy', () => {
  it('notifies once when a machine becomes Ready', () => {
    const p = new NotificationPolicy();
    expect(p.observe(news('amber-falcon-orbit', 'Provisioning'), 0)).toEqual([]);
    expect(p.observe(news('amber-falcon-orbit', 'Ready'), 1)).toEqual([
      { level: 'info', machine: 'amber-falcon-orbit', title: 'Amber Falcon Orbit is Ready', body: 'Provisioning finished; it now boots from its own disk.' },
    ]);
  });

  it('notifies a failure with its reason', () => {
    const p = new NotificationPolicy();
    const [n] = p.observe(news('brave-otter-lamp', 'Error', { detail: 'image2disk: checksum mismatch' }), 0);
    expect(n).toEqual({ level: 'error', machine: 'brave-otter-lamp', title: 'Brave Otter Lamp failed', body: 'image2disk: checksum mismatch' });
  });

  it('does not repeat itself on repeated or replayed events', () => {
    const p = new NotificationPolicy();
    expect(p.observe(news('a', 'Ready'), 0)).toHaveLength(1);
    expect(p.observe(news('a', 'Ready'), 1)).toEqual([]);
    expect(p.observe(news('a', 'Ready'), 60_000)).toEqual([]);
  });

  it('notifies again after the machine left the state and came back (a reimage)', () => {
    const p = new NotificationPolicy();
    p.observe(news('a', 'Ready'), 0);
    p.observe(news('a', 'Provisioning'), 20_000);
    expect(p.observe(news('a', 'Ready'), 40_000)).toHaveLength(1);
  });

  it('stays quiet about machines that were already Ready when the app started', () => {
    const p = new NotificationPolicy();
    p.seed('a', 'Ready');
    expect(p.observe(news('a', 'Ready'), 0)).toEqual([]);
  });

  it('uses the slug when a machine has no display name', () => {
    const p = new NotificationPolicy();
    expect(p.observe({ machine: 'node-7', state: 'Ready' }, 0)[0].title).toBe('node-7 is Ready');
  });

  it('summarises a burst: three single notices, then "12 machines are Ready"', () => {
    const p = new NotificationPolicy({ burst: 3, windowMs: 10_000 });
    const shown = Array.from({ length: 15 }, (_, i) => p.observe(news(`m-${i}`, 'Ready'), i * 100)).flat();
    expect(shown.map((n) => n.title)).toEqual(['M 0 is Ready', 'M 1 is Ready', 'M 2 is Ready']);
    expect(p.nextFlushAt()).toBe(10_000);
    expect(p.flush(9_999)).toEqual([]);
    expect(p.flush(10_000)).toEqual([{ level: 'info', title: '12 machines are Ready', body: 'M 3, M 4, M 5 and 9 more' }]);
    expect(p.nextFlushAt()).toBeUndefined();
  });

  it('summarises failures apart from successes', () => {
    const p = new NotificationPolicy({ burst: 0, windowMs: 1_000 });
    p.observe(news('a', 'Ready'), 0);
    p.observe(news('b', 'Error'), 0);
    p.observe(news('c', 'Error'), 0);
    expect(p.flush(1_000).map((n) => [n.level, n.title])).toEqual([
      ['info', 'A is Ready'],
      ['error', '2 machines failed'],
    ]);
  });

  it('does not announce held news that stopped being true before the summary', () => {
    const p = new NotificationPolicy({ burst: 0, windowMs: 1_000 });
    p.observe(news('a', 'Ready'), 0);
    p.observe(news('b', 'Ready'), 0);
    p.observe(news('b', 'Provisioning'), 500);
    expect(p.flush(1_000).map((n) => n.title)).toEqual(['A is Ready']);
  });

  it('moves a held machine from Ready to failed when it fails before the summary', () => {
    const p = new NotificationPolicy({ burst: 0, windowMs: 1_000 });
    p.observe(news('a', 'Ready'), 0);
    p.observe(news('a', 'Error', { detail: 'boot loop' }), 10);
    expect(p.flush(1_000)).toEqual([{ level: 'error', machine: 'a', title: 'A failed', body: 'boot loop' }]);
  });

  it('flushes an elapsed window before handling new news', () => {
    const p = new NotificationPolicy({ burst: 1, windowMs: 1_000 });
    p.observe(news('a', 'Ready'), 0);
    p.observe(news('b', 'Ready'), 10); // held
    expect(p.observe(news('c', 'Ready'), 5_000).map((n) => n.title)).toEqual(['B is Ready', 'C is Ready']);
  });

  it('shows everything at once when the rate limit is off (windowMs 0)', () => {
    const p = new NotificationPolicy({ windowMs: 0 });
    const shown = Array.from({ length: 10 }, (_, i) => p.observe(news(`m-${i}`, 'Ready'), 0)).flat();
    expect(shown).toHaveLength(10);
    expect(p.nextFlushAt()).toBeUndefined();
  });

  it('forgets a deleted machine, so a new one with the same name is news', () => {
    const p = new NotificationPolicy();
    p.observe(news('a', 'Ready'), 0);
    p.forget('a');
    expect(p.observe(news('a', 'Ready'), 20_000)).toHaveLength(1);
  });
});

describe('NotificationPolicy.track (store changes beside the control plane notifications)', () => {
  it('leaves Ready to the notification event and keeps its wording', () => {
    const p = new NotificationPolicy();
    expect(p.track('a', 'Provisioning', 0)).toEqual([]);
    expect(p.track('a', 'Ready', 1)).toEqual([]);
    expect(p.observe({ machine: 'a', state: 'Ready', title: 'A is Ready', detail: 'debian-12 installed' }, 2)).toEqual([
      { level: 'info', machine: 'a', title: 'A is Ready', body: 'debian-12 installed' },
    ]);
  });

  it('re-arms after a reimage seen only in the store', () => {
    const p = new NotificationPolicy({ windowMs: 0 });
    p.observe({ machine: 'a', state: 'Ready' }, 0);
    expect(p.observe({ machine: 'a', state: 'Ready' }, 1)).toEqual([]);
    p.track('a', 'Assigned', 2);
    expect(p.observe({ machine: 'a', state: 'Ready' }, 3)).toHaveLength(1);
  });
});

describe('listNames', () => {
  it('joins a few names and counts the rest', () => {
    expect(listNames([])).toBe('');
    expect(listNames(['A'])).toBe('A');
    expect(listNames(['A', 'B'])).toBe('A and B');
    expect(listNames(['A', 'B', 'C'])).toBe('A, B and C');
    expect(listNames(['A', 'B', 'C', 'D', 'E'])).toBe('A, B, C and 2 more');
  });
});
