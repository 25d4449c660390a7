import { describe, expect, it } from 'vitest';
import { rackRate, sourcesText } from './fanout-progress.ts';

const running = (bytesDone: number, startedAt: string) => ({ status: { phase: 'Running' as const, actions: [{ name: 'i', type: 'image2disk', phase: 'Running' as const, bytesDone, startedAt }] } });

describe('fan-out progress', () => {
  it('says how much came from peers and how much from this computer', () => {
    expect(sourcesText({ bytesFromPeers: 3 * 2 ** 20, bytesFromServer: 2 ** 20 })).toMatch(/^3(\.0)? MiB from peers · 1(\.0)? MiB from this computer$/);
    expect(sourcesText({})).toBeUndefined();
  });

  it('the rack rate is the sum of the running machines\' rates', () => {
    const t0 = Date.parse('2026-12-05T04:00:00Z');
    expect(rackRate([running(100e6, '2026-12-05T04:00:00Z'), running(50e6, '2026-12-05T04:00:00Z')], t0 + 10_000)).toBe(15e6);
    expect(rackRate([{ status: { phase: 'Succeeded' as const, actions: [] } }], t0)).toBeUndefined();
  });
});
