import { describe, expect, it } from 'vitest';
import type { Hardware } from '../../../../core/model/hardware.ts';
import type { LifecycleState } from '../../../../core/model/lifecycle.ts';
import { rackSummary } from './rack-summary.ts';

const hw = (name: string, state: LifecycleState, message?: string): Hardware => ({
  apiVersion: 'dragonfly.computer/v1',
  kind: 'Hardware',
  metadata: { name },
  spec: { macs: ['52:54:00:00:00:01'], displayName: name.toUpperCase() },
  status: { state, ...(message ? { message } : {}) },
});

describe('rack summary', () => {
  it('counts each phase and lists every failed machine with its reason', () => {
    const s = rackSummary([
      hw('a', 'Discovered'),
      hw('b', 'Registered'),
      hw('c', 'Assigned'),
      hw('d', 'Provisioning'),
      hw('e', 'Ready'),
      hw('f', 'Ready'),
      hw('h', 'Error', 'rule rack-a: memory 1.0 GiB, expected ≥ 2 GiB'),
      hw('g', 'Error'),
    ]);
    expect(s.counts).toEqual({ discovered: 2, checking: 1, imaging: 1, ready: 2, failed: 2 });
    expect(s.failed).toEqual([
      { name: 'g', label: 'G', reason: 'no reason recorded' },
      { name: 'h', label: 'H', reason: 'rule rack-a: memory 1.0 GiB, expected ≥ 2 GiB' },
    ]);
  });
});
