import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Value } from 'typebox/value';
import { afterAll, describe, expect, it } from 'vitest';
import { HardwareFacts } from '../../core/model/hardware.ts';
import { collectSnapshot } from './collect.ts';
import { detectHardware } from './detect.ts';

const root = mkdtempSync(join(tmpdir(), 'dfa-sysfs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function put(path: string, content: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}

function link(path: string, target: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  symlinkSync(target, join(root, path));
}

describe('collectSnapshot', () => {
  it('reads files, links and existence under a fake root, keyed by the machine paths', () => {
    put('/proc/cpuinfo', 'processor\t: 0\nmodel name\t: Test CPU\n');
    put('/sys/devices/pci0000:00/0000:00:04.0/virtio1/block/vda/size', '2048\n');
    link('/sys/block/vda', '../devices/pci0000:00/0000:00:04.0/virtio1/block/vda');
    put('/sys/devices/pci0000:00/0000:00:03.0/virtio0/net/eth0/address', '52:54:00:00:00:01\n');
    link('/sys/class/net/eth0', '../../devices/pci0000:00/0000:00:03.0/virtio0/net/eth0');
    mkdirSync(join(root, '/sys/firmware/efi'), { recursive: true });
    const s = collectSnapshot(root);
    expect(s.files['/proc/cpuinfo']).toContain('Test CPU');
    expect(s.files['/sys/block/vda/size']).toBe('2048\n');
    expect(s.links['/sys/block/vda']).toBe('../devices/pci0000:00/0000:00:04.0/virtio1/block/vda');
    expect(s.exists).toEqual(['/sys/firmware/efi']);
    expect(detectHardware(s).disks).toEqual([{ name: 'vda', path: '/dev/vda', sizeBytes: 2048 * 512, transport: 'virtio' }]);
  });

  it('on this machine yields a schema-valid report with the CPU count Node sees', () => {
    const facts = detectHardware(collectSnapshot());
    expect([...Value.Errors(HardwareFacts, facts)]).toEqual([]);
    expect(facts.cpu.threads).toBe(cpus().length);
    expect(facts.memoryBytes).toBeGreaterThan(0);
  });
});
