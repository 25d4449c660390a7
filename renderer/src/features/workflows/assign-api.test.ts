import { describe, expect, it } from 'vitest';
import { needsReimage, summariseAssign } from './assign-api.ts';

describe('assignment answers', () => {
  it('splits started machines from per-machine errors, keeping the server words', () => {
    const r = summariseAssign([
      { machine: 'a', workflow: 'a-1' },
      { machine: 'b', error: { code: 'DF_ERR_ILLEGAL_TRANSITION', message: 'b is Ready and needs an explicit reimage' } },
    ]);
    expect(r.started).toEqual(['a']);
    expect(r.failed).toEqual([{ machine: 'b', message: 'b is Ready and needs an explicit reimage' }]);
  });

  it('only Ready machines need the reimage checkbox', () => {
    expect(needsReimage({ a: 'Ready', b: 'Registered', c: 'Error' }, ['a', 'b', 'c'])).toEqual(['a']);
  });
});
