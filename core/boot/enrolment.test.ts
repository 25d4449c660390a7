import { describe, expect, it } from 'vitest';
import { FileKv } from '../shared/file-kv.ts';
import { EnrolmentGate } from './enrolment.ts';

// Issue 14 point 4: an unauthenticated flood of DHCP exchanges cannot grow the enrolment state
// in the backend without bound; what is over the budget is counted, and the next minute has room.
describe('the enrolment state under a DHCP flood', () => {
  it('3,000 ACKs for random MACs in one minute store 1,000 entries; the rest is counted as dropped', async () => {
    let clock = Date.parse('2026-12-05T07:00:00Z');
    const kv = FileKv.memory({ now: () => clock });
    const gate = new EnrolmentGate({ kv, dhcpRuns: () => true, now: () => clock });
    const mac = (i: number) => `52:54:01:${[i >> 16, (i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
    for (let i = 0; i < 3000; i++) await gate.observe({ type: 'ack', mode: 'full', mac: mac(i), ip: `10.8.${i >> 8}.${i & 255}` });
    expect(await kv.list('enrolment/evidence/')).toHaveLength(1000);
    expect(gate.status().evidenceDropped).toBe(2000);
    expect(await gate.mayIssue(mac(2999), '10.8.11.183')).toMatch(/no DHCP exchange/);

    clock += 60_000;
    await gate.observe({ type: 'ack', mode: 'full', mac: mac(2999), ip: '10.8.11.183' });
    expect(await gate.mayIssue(mac(2999), '10.8.11.183')).toBeUndefined();
    clock += 5 * 60_000 + 1000; // past the evidence window: the backend forgets it too
    expect(await kv.list('enrolment/evidence/')).toHaveLength(0);
  });
});
