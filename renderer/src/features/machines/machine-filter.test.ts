import { describe, expect, it } from 'vitest';
import { hardware } from '../../shared/test-objects.ts';
import { formatBytes } from '../../shared/format.ts';
import { cacheFromList } from '../../shared/resource-cache.ts';
import { allTags, hardwareSummary, matchesFilter, noFilter, visibleMachines } from './machine-filter.ts';

const gpu = hardware('amber-falcon-orbit', 'Ready', { macs: ['52:54:00:ab:cd:ef'], tags: ['gpu'] });
const plain = hardware('quiet-river-stone', 'Registered', { macs: ['52:54:00:11:22:33'] });
plain.metadata.labels = { rack: 'r1' };

describe('machine search and filters', () => {
  it('finds a machine by MAC typed with or without colons, and by its memorable name', () => {
    expect(matchesFilter(gpu, { ...noFilter, text: '52:54:00:ab' })).toBe(true);
    expect(matchesFilter(gpu, { ...noFilter, text: 'abcdef' })).toBe(true);
    expect(matchesFilter(gpu, { ...noFilter, text: 'falcon orbit' })).toBe(true);
    expect(matchesFilter(plain, { ...noFilter, text: 'falcon' })).toBe(false);
  });

  it('filters by state and by tag or label', () => {
    const c = cacheFromList([gpu, plain], 1);
    expect(visibleMachines(c.names, c.byName, { ...noFilter, state: 'Ready' })).toEqual(['amber-falcon-orbit']);
    expect(visibleMachines(c.names, c.byName, { ...noFilter, tag: 'rack=r1' })).toEqual(['quiet-river-stone']);
    expect(allTags(c.byName)).toEqual(['gpu', 'rack=r1']);
  });

  it('with no filter the cached name list itself is shown (no copy per event)', () => {
    const c = cacheFromList([gpu, plain], 1);
    expect(visibleMachines(c.names, c.byName, noFilter)).toBe(c.names);
  });

  it('summarises hardware in one line, or says it is not inventoried yet', () => {
    expect(hardwareSummary(plain, formatBytes)).toBe('not yet inventoried');
    const hw = hardware('x', 'Registered', {
      facts: {
        cpu: { model: 'Xeon', sockets: 2, cores: 32, threads: 64 },
        memoryBytes: 256 * 2 ** 30,
        disks: [
          { name: 'sda', path: '/dev/sda', sizeBytes: 2 ** 40 },
          { name: 'sdb', path: '/dev/sdb', sizeBytes: 2 ** 40 },
        ],
        nics: [],
        dmi: {},
        firmware: 'uefi',
      },
    });
    expect(hardwareSummary(hw, formatBytes)).toBe('32 cores · 256 GiB · 2 disks 2 TiB');
  });
});
