import { describe, expect, it } from 'vitest';
import { validateObject } from '../model/kinds.ts';
import type { TemplateSpec } from '../model/template.ts';
import { validateTemplateSemantics } from './template-rules.ts';

const disk = { path: '/dev/vda' };
const image = { name: 'image', type: 'image2disk', disk, image: { url: 'cache:lab', checksum: `sha256:${'0'.repeat(64)}` } };
const order = { name: 'boot-order', type: 'efibootorder', disk };
const reboot = { name: 'reboot', type: 'reboot' };
const tpl = (actions: unknown[]) => ({ apiVersion: 'dragonfly.computer/v1', kind: 'Template', metadata: { name: 't' }, spec: { actions } });
const check = (actions: unknown[]) => {
  const t = validateObject(tpl(actions)) as unknown as { spec: TemplateSpec };
  validateTemplateSemantics(t.spec);
};

describe('efibootorder in a template', () => {
  it('is accepted before reboot (or kexec)', () => {
    expect(() => check([image, order, reboot])).not.toThrow();
    expect(() => check([image, order, { name: 'k', type: 'kexec', disk, partition: 2, kernel: '/vmlinuz' }])).not.toThrow();
  });

  it('after reboot or kexec it would never run, and is refused naming both', () => {
    expect(() => check([image, reboot, order])).toThrow('/spec/actions/2: efibootorder "boot-order" comes after reboot "reboot" (/spec/actions/1) and would never run; put it before');
    expect(() => check([{ name: 'k', type: 'kexec', disk, partition: 2, kernel: '/vmlinuz' }, order])).toThrow(/comes after kexec "k" \(\/spec\/actions\/0\)/);
  });

  it('needs its disk chosen in exactly one way, like every disk action', () => {
    expect(() => validateObject(tpl([{ name: 'boot-order', type: 'efibootorder' }]))).toThrow(/\/spec\/actions\/0: missing required field\(s\) \["disk"\]/);
    expect(() => check([{ ...order, disk: {} }])).toThrow('/spec/actions/0/disk: choose the disk in exactly one way (path, serial, wwn or rule); got none');
    expect(() => check([{ ...order, disk: { path: '/dev/vda', serial: 'x' } }])).toThrow(/got path and serial/);
  });

  it('takes no other fields', () => {
    expect(() => validateObject(tpl([{ ...order, first: 'network' }]))).toThrow(/\/spec\/actions\/0: unknown field\(s\) \["first"\]/);
  });
});
