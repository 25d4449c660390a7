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

describe('template actions are checked against their own type', () => {
  const tpl = (actions: unknown[]) => ({ apiVersion: 'dragonfly.computer/v1', kind: 'Template', metadata: { name: 't' }, spec: { actions } });
  it('a reboot with a stray field is told about that field only', () => {
    let msg = '';
    try {
      validateObject(tpl([{ name: 'r', type: 'reboot', disk: {} }]));
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/\/spec\/actions\/0: unknown field\(s\) \["disk"\]/);
    expect(msg).not.toMatch(/partitions/);
  });
  it('an unknown action type names the choices', () => {
    expect(() => validateObject(tpl([{ name: 'x', type: 'explode' }]))).toThrow(/\/spec\/actions\/0\/type: "explode" is not an action type \(one of partition, image2disk, writefile, kexec, reboot, efibootorder, memtest, disktest, cpustress\)/);
  });
  it('a malformed checksum on image2disk names it', () => {
    expect(() => validateObject(tpl([{ name: 'i', type: 'image2disk', disk: { path: '/dev/sda' }, image: { url: 'http://x/y.raw', checksum: 'md5:abc' } }]))).toThrow(/\/spec\/actions\/0\/image\/checksum/);
  });
});

describe('a template with several problems', () => {
  it('reports the name and the action problems together', () => {
    const bad = { apiVersion: 'dragonfly.computer/v1', kind: 'Template', metadata: { name: 'Bad Name' }, spec: { actions: [{ name: 'r', type: 'reboot', timeoutSeconds: 0 }] } };
    let msg = '';
    try {
      validateObject(bad);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/\/metadata\/name/);
    expect(msg).toMatch(/\/spec\/actions\/0\/timeoutSeconds/);
  });
});
