import { describe, expect, it } from 'vitest';
import { validateObject } from './kinds.ts';

const hw = (spec: unknown, extra: object = {}) => ({ apiVersion: 'dragonfly.computer/v1', kind: 'Hardware', metadata: { name: 'amber-falcon-orbit' }, spec, ...extra });

describe('object validation names the field', () => {
  it('accepts a minimal Hardware', () => {
    expect(validateObject(hw({ macs: ['52:54:00:12:34:56'] })).kind).toBe('Hardware');
  });
  it('unknown field', () => {
    expect(() => validateObject(hw({ macs: ['52:54:00:12:34:56'], colour: 'red' }))).toThrow(/\/spec.*unknown field.*colour/);
  });
  it('wrong type', () => {
    expect(() => validateObject(hw({ macs: 'x' }))).toThrow(/\/spec\/macs/);
  });
  it('bad MAC', () => {
    expect(() => validateObject(hw({ macs: ['52:54:00:12:34'] }))).toThrow(/\/spec\/macs\/0/);
  });
  it('bad name', () => {
    expect(() => validateObject({ ...hw({ macs: ['52:54:00:12:34:56'] }), metadata: { name: 'Not Valid' } })).toThrow(/\/metadata\/name/);
  });
  it('unknown kind and wrong apiVersion', () => {
    expect(() => validateObject({ ...hw({}), kind: 'Pod' })).toThrow(/\/kind.*Pod/);
    expect(() => validateObject({ ...hw({}), apiVersion: 'v1' })).toThrow(/\/apiVersion/);
  });
  it('not a mapping', () => {
    expect(() => validateObject([1, 2])).toThrow(/mapping/);
  });
});
