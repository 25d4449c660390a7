import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../testing/api-harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

const MAC = '52:54:00:1f:00:64';
const script = async (arch: string) => (await h.app.inject({ url: `/boot/ipxe?mac=${MAC}&arch=${arch}&platform=efi` })).body;

describe('the boot script for a machine the agent image cannot run on', () => {
  it('an arm64 iPXE is told why on its console and handed back to its firmware, not sent the amd64 kernel', async () => {
    const body = await script('arm64');
    expect(body).toContain('echo Dragonfly: cannot discover or image this machine: the agent image runs on x86_64 machines only; this machine is arm64');
    expect(body).toMatch(/\nexit 1\n$/);
    expect(body).not.toContain('/boot/agent/vmlinuz');
  });

  it('x86_64 and BIOS (i386) iPXE get the agent', async () => {
    expect(await script('x86_64')).toContain('kernel http://10.0.0.1:8080/boot/agent/vmlinuz');
    expect(await script('i386')).toContain('kernel http://10.0.0.1:8080/boot/agent/vmlinuz');
  });

});
