import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
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

describe('burn-in checks in a template', () => {
  const disktest = { name: 'disk-check', type: 'disktest', disk, sizeMiB: 64 };
  it('are accepted before image2disk, with their thresholds', () => {
    expect(() => check([{ name: 'mem', type: 'memtest', share: 0.25 }, disktest, { name: 'cpu', type: 'cpustress', seconds: 5, maxTemperatureC: 90 }, image, reboot])).not.toThrow();
  });

  it('refuse a disktest after an action that wrote the disk, naming both', () => {
    expect(() => check([image, disktest, reboot])).toThrow('/spec/actions/1: disktest "disk-check" comes after image2disk "image" (/spec/actions/0) and would overwrite what it wrote; put burn-in checks before');
  });

  it('refuse bad figures by field', () => {
    expect(() => validateObject(tpl([{ name: 'mem', type: 'memtest', share: 1.5 }]))).toThrow(/\/spec\/actions\/0\/share/);
    expect(() => validateObject(tpl([{ ...disktest, sizeMiB: 0 }]))).toThrow(/\/spec\/actions\/0\/sizeMiB/);
    expect(() => check([{ ...disktest, disk: {} }])).toThrow('/spec/actions/0/disk: choose the disk in exactly one way (path, serial, wwn or rule); got none');
  });
});

describe('the burn-in example in README.md', () => {
  it('is valid as the first actions of a template', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /### Burn-in checks before imaging[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block, 'README.md has the burn-in yaml block').toBeDefined();
    const examples = parse(block!) as { type: string }[];
    expect(examples.map((a) => a.type)).toEqual(['memtest', 'disktest', 'cpustress']);
    expect(() => check([...examples, image, reboot])).not.toThrow();
  });
});
