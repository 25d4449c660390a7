import { describe, expect, it } from 'vitest';
import type { Hardware } from '../../core/model/hardware.ts';
import { factProblems, missingStep, sameMachineProblems, stepsSince } from './api.ts';

const MAC = '52:54:00:98:00:11';

function hw(history: Array<[string, string]>, facts?: Partial<NonNullable<Hardware['spec']['facts']>>): Hardware {
  return {
    apiVersion: 'dragonfly.computer/v1',
    kind: 'Hardware',
    metadata: { name: 'net-annual-shell' },
    spec: {
      macs: [MAC],
      facts: facts && {
        cpu: { model: 'QEMU', sockets: 1, cores: 2, threads: 2 },
        memoryBytes: 1536 * 2 ** 20,
        disks: [],
        nics: [{ name: 'eth0', mac: MAC }],
        dmi: {},
        firmware: 'bios',
        ...facts,
      },
    },
    status: { state: 'Registered', bootHistory: history.map(([at, step]) => ({ at, step })) },
  } as Hardware;
}

describe('lab boot-history assertions', () => {
  const h = hw([
    ['2026-01-01T10:00:00.000Z', 'dhcp'],
    ['2026-01-01T10:00:05.000Z', 'script'],
    ['2026-01-01T10:01:00.000Z', 'dhcp'],
    ['2026-01-01T10:01:02.000Z', 'tftp'],
  ]);

  it('ignores the steps of an earlier boot when a start time is given', () => {
    const second = stepsSince(h, '2026-01-01T10:00:30.000Z');
    expect(second.map((s) => s.step)).toEqual(['dhcp', 'tftp']);
    expect(missingStep(second, ['dhcp', 'script'])).toBe('script');
  });

  it('requires the steps in boot order', () => {
    const all = stepsSince(h, undefined);
    expect(missingStep(all, ['dhcp', 'script'])).toBeUndefined();
    expect(missingStep(all, ['tftp', 'script'])).toBe('script');
  });
});

describe('lab fact assertions', () => {
  const want = { mac: MAC, timeout: 1, steps: [], cpus: 2, memoryMib: 1536, diskBytes: [168296448, 67108864], firmware: 'bios' };

  it('accepts exactly the VM shape, disks in any order', () => {
    const disks = [
      { name: 'vda', path: '/dev/vda', sizeBytes: 67108864 },
      { name: 'vdb', path: '/dev/vdb', sizeBytes: 168296448 },
    ];
    expect(factProblems(hw([], { disks }), want)).toEqual([]);
  });

  it('names each fact that differs', () => {
    const p = factProblems(hw([], { memoryBytes: 1491848 * 1024, disks: [{ name: 'vda', path: '/dev/vda', sizeBytes: 67108864 }] }), want);
    expect(p).toHaveLength(2);
    expect(p[0]).toContain('memoryBytes 1527652352');
    expect(p[1]).toContain('disk sizes [67108864]');
  });

  it('checks the secureBoot fact only when the scenario names it, and an unreported one fails', () => {
    const disks = [
      { name: 'vda', path: '/dev/vda', sizeBytes: 67108864 },
      { name: 'vdb', path: '/dev/vdb', sizeBytes: 168296448 },
    ];
    expect(factProblems(hw([], { disks, secureBoot: true }), { ...want, secureBoot: true })).toEqual([]);
    expect(factProblems(hw([], { disks, secureBoot: false }), { ...want, secureBoot: true })).toEqual(['secureBoot false, want true']);
    expect(factProblems(hw([], { disks }), { ...want, secureBoot: true })).toEqual(['secureBoot undefined, want true']);
  });
});

describe('same-machine (multi-NIC lab check)', () => {
  const B = '52:54:00:98:00:b2';
  const two = (macs: string[], nics: string[], name = 'x'): Hardware => {
    const h = hw([], {});
    return { ...h, metadata: { name }, spec: { ...h.spec, macs, facts: { ...h.spec.facts!, nics: nics.map((mac, i) => ({ name: `eth${i}`, mac })) } } } as Hardware;
  };
  it('passes for one object with both MACs in spec and facts', () => {
    expect(sameMachineProblems([two([B, MAC], [MAC, B])], [B, MAC])).toEqual([]);
  });
  it('names a second object (the machine registered twice) and a MAC missing from the facts', () => {
    expect(sameMachineProblems([two([B], [B], 'b'), two([MAC], [MAC], 'a')], [B, MAC])[0]).toMatch(/^2 Hardware objects/);
    expect(sameMachineProblems([two([B, MAC], [B])], [B, MAC])).toEqual(['x: no registered NIC with 52:54:00:98:00:11']);
  });
});
