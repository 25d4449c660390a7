import { afterEach, describe, expect, it } from 'vitest';
import { EnrolmentGate } from '../boot/enrolment.ts';
import { BootTimeline } from '../boot/timeline.ts';
import type { Hardware } from '../model/hardware.ts';
import { createHarness, sampleFacts, type Harness } from '../testing/api-harness.ts';
import type { TftpResolver } from '../tftp/server.ts';
import { ipxeAutoexecTftp } from './ipxe-autoexec.ts';

// autoexec.ipxe over TFTP through the real boot endpoint: the fate table decides, per machine.
const MAC = '52:54:00:ae:00:01';
const IP = '10.77.0.140';
const client = { address: IP, port: 1024 };

let h: Harness | undefined;
afterEach(async () => h?.close());

async function setUp(): Promise<{ resolve: TftpResolver; steps: string[] }> {
  const steps: string[] = [];
  const timeline = new BootTimeline({ recordBootStep: async (mac, step, detail) => void steps.push(`${mac} ${step} ${detail}`) }, new EnrolmentGate({ dhcpRuns: () => true }));
  h = await createHarness({ timeline });
  timeline.dhcp({ type: 'ack', mode: 'full', mac: MAC, ip: IP, arch: 'uefi-x64', bootfile: 'snponly.efi' });
  return { resolve: ipxeAutoexecTftp(timeline, () => h!.app), steps };
}

async function text(resolve: TftpResolver): Promise<string | undefined> {
  const file = await resolve('autoexec.ipxe', client);
  return file && new TextDecoder().decode((await file.open()) as Uint8Array);
}

async function register(): Promise<Hardware> {
  const token = h!.auth.issueEnrolmentToken(MAC);
  const reg = await h!.app.inject({ method: 'POST', url: '/api/agent/v1/register', remoteAddress: IP, headers: { authorization: `Bearer ${token}` }, payload: { mac: MAC, facts: sampleFacts([MAC], { firmware: 'uefi' }) } });
  expect(reg.statusCode).toBe(200);
  return h!.store.get<Hardware>('Hardware', reg.json().hardware);
}

const setState = async (hw: Hardware, state: 'Assigned' | 'Ready', currentWorkflow?: string) =>
  h!.store.update({ ...hw, status: { ...hw.status, state, ...(currentWorkflow ? { currentWorkflow } : {}) } });

describe('autoexec.ipxe over TFTP, answered by the boot endpoint', () => {
  it('an unknown machine: not found, and nothing is created (iPXE goes on to DHCP and the discovery script)', async () => {
    const { resolve, steps } = await setUp();
    expect(await text(resolve)).toBeUndefined();
    expect((await h!.store.list<Hardware>('Hardware')).items).toEqual([]);
    expect(steps.filter((s) => s.includes(' script '))).toEqual([]);
  });

  it('registered (discovery), then imaging: not found; once Ready: the local boot, on the boot timeline', async () => {
    const { resolve, steps } = await setUp();
    const hw = await register();
    expect(await text(resolve)).toBeUndefined();
    const assigned = await setState(hw, 'Assigned', 'wf-1');
    expect(await text(resolve)).toBeUndefined();
    await setState(assigned, 'Ready');
    const local = await text(resolve);
    expect(local).toMatch(new RegExp(`^#!ipxe\\n# Dragonfly boot script for .+ \\(${MAC}\\): local\\n`));
    expect(local).toContain('sanboot --no-describe --drive 0 ');
    expect(local).not.toContain('dhcp');
    expect(steps.filter((s) => s.includes(' script '))).toEqual([`${MAC} script local (uefi)`]);
  });

  it('over HTTP a name that is not a MAC is a clear 400; an address we did not lease is not found', async () => {
    const { resolve } = await setUp();
    const res = await h!.app.inject({ url: '/boot/autoexec/not-a-mac' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('"not-a-mac" is not a MAC address');
    expect(await resolve('autoexec.ipxe', { address: '10.77.0.99', port: 1024 })).toBeUndefined();
  });
});
