import { describe, expect, it } from 'vitest';
import type { DhcpEvent } from '../dhcp/events.ts';
import type { TftpEvent } from '../tftp/server.ts';
import { BootTimeline } from './timeline.ts';

function recorder() {
  const steps: string[] = [];
  const sink = { recordBootStep: async (mac: string, step: string, detail?: string) => void steps.push(`${mac} ${step} ${detail}`) };
  return { steps, timeline: new BootTimeline(sink) };
}

const tftpDone = (address: string, path = 'undionly.kpxe'): TftpEvent => ({ type: 'transfer-done', path, client: { address, port: 2070 }, bytes: 74000, ms: 900 });
const ack: DhcpEvent = { type: 'ack', mode: 'full', mac: '52:54:00:00:00:01', ip: '10.77.0.100', arch: 'bios', bootfile: 'undionly.kpxe' };

describe('BootTimeline: DHCP -> TFTP -> HTTP of one boot', () => {
  it('puts a TFTP transfer, known only by address, on the MAC that DHCP gave that address', async () => {
    const { steps, timeline } = recorder();
    timeline.dhcp({ type: 'discover', mode: 'full', mac: '52:54:00:00:00:01' });
    timeline.dhcp(ack);
    timeline.tftp(tftpDone('10.77.0.100'));
    timeline.tftp(tftpDone('10.77.0.222'));
    timeline.httpFile('::ffff:10.77.0.100', 'agent vmlinuz');
    await Promise.resolve();
    expect(steps).toEqual([
      '52:54:00:00:00:01 dhcp ack full 10.77.0.100 bios → undionly.kpxe',
      '52:54:00:00:00:01 tftp undionly.kpxe 74000 bytes',
      '52:54:00:00:00:01 http agent vmlinuz',
    ]);
  });

  it('learns the address from the script request when DHCP did not say it (proxy mode)', async () => {
    const { steps, timeline } = recorder();
    await timeline.script('52:54:00:00:00:02', '10.77.0.150', { kind: 'discovery' }, 'uefi');
    timeline.httpFile('10.77.0.150', 'agent initramfs.img');
    await Promise.resolve();
    expect(steps).toEqual(['52:54:00:00:00:02 script discovery (uefi)', '52:54:00:00:00:02 http agent initramfs.img']);
    expect(timeline.macOf('10.77.0.150')).toBe('52:54:00:00:00:02');
  });

  it('a failing store never fails the boot step', async () => {
    const timeline = new BootTimeline({ recordBootStep: async () => Promise.reject(new Error('store down')) });
    await expect(timeline.script('52:54:00:00:00:03', undefined, { kind: 'local' }, 'bios')).resolves.toBeUndefined();
  });
});
