import { afterEach, describe, expect, it } from 'vitest';
import { EnrolmentGate } from '../boot/enrolment.ts';
import { BootTimeline } from '../boot/timeline.ts';
import type { Hardware } from '../model/hardware.ts';
import { createHarness, sampleFacts, type Harness } from '../testing/api-harness.ts';

// The Secure Boot chain's per-MAC GRUB configuration (docs/SECURE-BOOT.md): the same admission,
// token and fate as the iPXE script, so a machine is treated the same whichever chain it boots.
const MAC = '52:54:00:5b:00:01';
const IP = '10.77.0.120';

let h: Harness | undefined;
afterEach(async () => h?.close());

async function harness(): Promise<{ h: Harness; timeline: BootTimeline }> {
  const timeline = new BootTimeline({ recordBootStep: async () => {} }, new EnrolmentGate({ dhcpRuns: () => true }));
  h = await createHarness({ timeline });
  return { h, timeline };
}
const grub = (mac: string, from = IP) => h!.app.inject({ url: `/boot/grub/${mac}`, remoteAddress: from });
const tokenIn = (body: string) => /dragonfly\.token=(\S+)/.exec(body)?.[1];

describe('GET /boot/grub/:mac', () => {
  it('without a DHCP exchange from that address: a restart, no token, no machine', async () => {
    await harness();
    const res = await grub(MAC);
    expect(res.statusCode).toBe(200);
    expect(tokenIn(res.body)).toBeUndefined();
    expect(res.body).toContain(`no DHCP exchange of ${MAC} from ${IP}`);
    expect(res.body.trimEnd().split('\n').at(-1)).toBe('reboot');
    expect((await h!.store.list<Hardware>('Hardware')).items).toEqual([]);
  });

  it('discovery: the agent with a token that registers the machine; once Ready: the local disk', async () => {
    const { timeline } = await harness();
    timeline.dhcp({ type: 'ack', mode: 'full', mac: MAC, ip: IP, arch: 'uefi-x64', bootfile: 'shimx64.efi' });
    const first = await grub(MAC);
    expect(first.body).toMatch(/: discovery\n/);
    expect(first.body).toContain('linux /agent/vmlinuz ');
    const token = tokenIn(first.body)!;
    const reg = await h!.app.inject({ method: 'POST', url: '/api/agent/v1/register', remoteAddress: IP, headers: { authorization: `Bearer ${token}` }, payload: { mac: MAC, facts: sampleFacts([MAC], { firmware: 'uefi', secureBoot: true }) } });
    expect(reg.statusCode).toBe(200);
    const [hw] = (await h!.store.list<Hardware>('Hardware')).items;
    expect(hw.spec.facts?.secureBoot).toBe(true);
    await h!.store.update({ ...hw, status: { ...hw.status, state: 'Ready' } });
    const local = await grub(MAC);
    expect(local.body).toMatch(/: local\n/);
    expect(local.body).toContain('chainloader /EFI/BOOT/BOOTX64.EFI');
    expect(local.body).not.toContain('linux ');
  });

  it('a name that is not a MAC is a clear 400', async () => {
    await harness();
    const res = await grub('not-a-mac');
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('"not-a-mac" is not a MAC address');
  });
});
