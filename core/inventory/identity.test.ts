import { describe, expect, it } from 'vitest';
import { compareIdentity, identityOf } from './identity.ts';
import { sampleFacts } from '../testing/api-harness.ts';

const id = (uuid: string | undefined, serial: string | undefined, diskSerials: string[]) => ({ ...(uuid ? { uuid } : {}), ...(serial ? { serial } : {}), diskSerials });

describe('the identity rule', () => {
  it('reads UUID in lower case, trims the serial, and keeps sorted distinct disk serials', () => {
    const f = sampleFacts(['52:54:00:00:00:01'], { dmi: { uuid: 'ABCD-1', serial: '  S1 ' } });
    f.disks = [
      { name: 'b', path: '/dev/b', sizeBytes: 1, serial: 'Z' },
      { name: 'a', path: '/dev/a', sizeBytes: 1, serial: 'A' },
      { name: 'c', path: '/dev/c', sizeBytes: 1 },
    ];
    expect(identityOf(f)).toEqual({ uuid: 'abcd-1', serial: 'S1', diskSerials: ['A', 'Z'] });
  });

  it('a different or missing UUID or serial is a conflict; the message names the field and both values', () => {
    expect(compareIdentity(id('u1', 's1', []), id('u2', 's1', []))).toEqual({ kind: 'conflict', reason: 'system uuid u2 differs from the pinned u1' });
    expect(compareIdentity(id('u1', 's1', []), id('u1', undefined, []))).toMatchObject({ kind: 'conflict', reason: expect.stringContaining('serial (none)') });
  });

  it('disks may change while the mainboard stays', () => {
    expect(compareIdentity(id('u1', 's1', ['A', 'B']), id('u1', 's1', ['A', 'B']))).toEqual({ kind: 'same' });
    expect(compareIdentity(id('u1', 's1', ['A']), id('u1', 's1', ['C']))).toEqual({ kind: 'disks-changed', added: ['C'], removed: ['A'] });
  });

  it('without UUID and serial the disks are the identity: one pinned disk must remain', () => {
    expect(compareIdentity(id(undefined, undefined, ['A', 'B']), id(undefined, undefined, ['B', 'C'])).kind).toBe('disks-changed');
    expect(compareIdentity(id(undefined, undefined, ['A', 'B']), id(undefined, undefined, ['C'])).kind).toBe('conflict');
  });
});
