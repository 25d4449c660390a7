import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bootfileFor } from '../boot/bootfile.ts';
import { EnrolmentGate } from '../boot/enrolment.ts';
import { BootTimeline } from '../boot/timeline.ts';
import { bootUrls } from '../boot/urls.ts';
import type { ClientArch } from '../dhcp/classify.ts';
import type { Hardware } from '../model/hardware.ts';
import { parseMac } from '../shared/mac.ts';
import { createHarness, HARNESS_URL, sampleFacts, type Harness } from '../testing/api-harness.ts';
import { uefiChainByMac } from './secure-boot.ts';
import { uefiLocalLoaderPath, uefiLocalLoaderTftp } from './uefi-local-loader.ts';

// What a machine's firmware is sent, end to end through the real control plane: the DHCP boot
// file (where Secure Boot and the architecture decide), then what TFTP answers for that name
// (where the fate decides: our disk loader, or undefined = the TFTP root's iPXE as before).
const MAC = '52:54:00:1b:00:01';
const IP = '10.77.0.141';
const client = { address: IP, port: 1024 };
const LOADER = new TextEncoder().encode('MZ our loader, a stand-in for the test');

let h: Harness | undefined;
afterEach(async () => h?.close());

interface Setup {
  steps: string[];
  /** The boot file DHCP hands this MAC's firmware, and what TFTP answers for it. */
  boot(arch: ClientArch): Promise<{ bootfile: string; served: 'loader' | 'tftp root' }>;
}

async function setUp(): Promise<Setup> {
  const steps: string[] = [];
  const timeline = new BootTimeline({ recordBootStep: async (mac, step, detail) => void steps.push(`${mac} ${step} ${detail}`) }, new EnrolmentGate({ dhcpRuns: () => true }));
  h = await createHarness({ timeline });
  // The agent's own DHCP, which lets it enrol (iPXE's would do as well): nothing refused.
  timeline.dhcp({ type: 'ack', mode: 'full', mac: MAC, ip: IP, arch: 'uefi-x64', ipxe: true });
  const loaderPath = uefiLocalLoaderPath(join(h.dataDir, 'ipxe'));
  await mkdir(dirname(loaderPath), { recursive: true });
  await writeFile(loaderPath, LOADER);
  const resolve = uefiLocalLoaderTftp(timeline, join(h.dataDir, 'ipxe'), () => h!.app);
  const chainOf = uefiChainByMac('auto', h.index, timeline.ipxeRefusals);
  return {
    steps,
    boot: async (arch) => {
      const f = bootfileFor({ arch, isPxe: true, isHttpClient: false, isIpxe: false }, bootUrls(HARNESS_URL), chainOf(parseMac(MAC), 'full', false), MAC);
      if (f.kind !== 'tftp') throw new Error(`expected a TFTP boot file, got ${JSON.stringify(f)}`);
      const bootfile = f.bootfile;
      timeline.dhcp({ type: 'ack', mode: 'full', mac: MAC, ip: IP, arch, bootfile });
      const file = await resolve(bootfile, client);
      if (!file) {
        timeline.ipxeRefusals.ran(MAC); // the iPXE from the root runs and fetches its script
        return { bootfile, served: 'tftp root' };
      }
      expect(new Uint8Array((await file.open()) as Uint8Array)).toEqual(LOADER);
      return { bootfile, served: 'loader' };
    },
  };
}

async function register(facts: Parameters<typeof sampleFacts>[1]): Promise<Hardware> {
  const token = h!.auth.issueEnrolmentToken(MAC);
  const reg = await h!.app.inject({ method: 'POST', url: '/api/agent/v1/register', remoteAddress: IP, headers: { authorization: `Bearer ${token}` }, payload: { mac: MAC, facts: sampleFacts([MAC], facts) } });
  expect(reg.statusCode).toBe(200);
  return h!.store.get<Hardware>('Hardware', reg.json().hardware);
}

const setState = async (hw: Hardware, state: 'Assigned' | 'Ready', currentWorkflow?: string) =>
  h!.store.update({ ...hw, status: { ...hw.status, state, ...(currentWorkflow ? { currentWorkflow } : {}) } });

const localSteps = (steps: string[]) => steps.filter((s) => s.includes(' script '));

describe('our UEFI disk loader, chosen per machine by fate, Secure Boot and architecture', () => {
  it('x64 UEFI, Secure Boot off: iPXE while discovered and imaging; once Ready the loader, on the boot timeline', async () => {
    const { boot, steps } = await setUp();
    const hw = await register({ firmware: 'uefi', secureBoot: false });
    expect(await boot('uefi-x64')).toEqual({ bootfile: 'snponly.efi', served: 'tftp root' });
    const assigned = await setState(hw, 'Assigned', 'wf-1');
    expect(await boot('uefi-x64')).toEqual({ bootfile: 'snponly.efi', served: 'tftp root' });
    expect(localSteps(steps)).toEqual([]);
    await setState(assigned, 'Ready');
    expect(await boot('uefi-x64')).toEqual({ bootfile: 'snponly.efi', served: 'loader' });
    expect(localSteps(steps)).toEqual([`${MAC} script local (uefi)`]);
    // Sent to its disk is a sign the firmware ran what it was handed: the next boot is not taken
    // for a Secure Boot refusal (which would switch the machine to the slower signed chain).
    expect(await boot('uefi-x64')).toEqual({ bootfile: 'snponly.efi', served: 'loader' });
  });

  it('Secure Boot on, Ready: the signed chain (shim), never the unsigned loader', async () => {
    const { boot, steps } = await setUp();
    await setState(await register({ firmware: 'uefi', secureBoot: true }), 'Ready');
    expect(await boot('uefi-x64')).toEqual({ bootfile: 'shimx64.efi', served: 'tftp root' });
    expect(localSteps(steps)).toEqual([]);
  });

  it('Ready on arm64 UEFI and on BIOS: their iPXE, as before', async () => {
    const { boot } = await setUp();
    await setState(await register({ firmware: 'uefi', secureBoot: false }), 'Ready');
    expect(await boot('uefi-arm64')).toEqual({ bootfile: 'ipxe-arm64.efi', served: 'tftp root' });
    expect(await boot('bios')).toEqual({ bootfile: 'undionly.kpxe', served: 'tftp root' });
  });

  it('an unknown machine and an address we did not lease get iPXE; nothing is created', async () => {
    const { boot, steps } = await setUp();
    expect((await boot('uefi-x64')).served).toBe('tftp root');
    const resolve = uefiLocalLoaderTftp(new BootTimeline({ recordBootStep: async () => {} }), join(h!.dataDir, 'ipxe'), () => h!.app);
    expect(await resolve('snponly.efi', { address: '10.77.0.99', port: 1024 })).toBeUndefined();
    expect((await h!.store.list<Hardware>('Hardware')).items).toEqual([]);
    expect(localSteps(steps)).toEqual([]);
  });

  it('UEFI HTTP boot (Secure Boot off, Ready) gets the loader at the iPXE URL; another fate gets iPXE', async () => {
    const { steps } = await setUp();
    const hw = await register({ firmware: 'uefi', secureBoot: false });
    const ipxe = new TextEncoder().encode('iPXE stand-in');
    await mkdir(join(h!.dataDir, 'ipxe'), { recursive: true });
    await writeFile(join(h!.dataDir, 'ipxe', 'snponly.efi'), ipxe);
    const fetch = async () => (await h!.app.inject({ url: '/boot/files/snponly.efi', remoteAddress: IP })).rawPayload;
    expect(new Uint8Array(await fetch())).toEqual(ipxe);
    await setState(hw, 'Ready');
    expect(new Uint8Array(await fetch())).toEqual(LOADER);
    expect(localSteps(steps)).toEqual([`${MAC} script local (uefi)`]);
  });

  it('over HTTP a name that is not a MAC is a clear 400; a machine not sent to its disk a 404 that says why', async () => {
    await setUp();
    const bad = await h!.app.inject({ url: '/boot/localboot/not-a-mac' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toContain('"not-a-mac" is not a MAC address');
    const none = await h!.app.inject({ url: `/boot/localboot/${MAC}` });
    expect(none.statusCode).toBe(404);
    expect(none.json().message).toContain('the firmware gets iPXE');
    expect(await readFile(uefiLocalLoaderPath(join(h!.dataDir, 'ipxe')))).toEqual(Buffer.from(LOADER));
  });
});
