import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hardware } from '../model/hardware.ts';
import { createHarness, sampleFacts, type Harness } from '../testing/api-harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await mkdir(join(h.dataDir, 'ipxe'), { recursive: true });
  await writeFile(join(h.dataDir, 'ipxe', 'snponly.efi'), 'MZ not really iPXE');
});
afterAll(async () => h.close());

const MAC = '52:54:00:1f:00:41';
const IP = '10.0.0.141';
let name = '';

async function history() {
  return (await h.store.get<Hardware>('Hardware', name)).status?.bootHistory ?? [];
}

describe('a UEFI HTTP boot client fetching its iPXE from /boot/files/', () => {
  it('gets the file and the fetch lands on its boot history as an http step (no TFTP step to show it)', async () => {
    const token = h.auth.issueEnrolmentToken(MAC);
    const reg = await h.app.inject({ method: 'POST', url: '/api/agent/v1/register', headers: { authorization: `Bearer ${token}` }, payload: { mac: MAC, facts: sampleFacts([MAC]) } });
    name = reg.json().hardware;
    // The script request teaches the timeline which MAC is at this address.
    expect((await h.app.inject({ url: `/boot/ipxe?mac=${MAC}&platform=efi`, remoteAddress: IP })).statusCode).toBe(200);
    const file = await h.app.inject({ url: '/boot/files/snponly.efi', remoteAddress: IP });
    expect(file.statusCode).toBe(200);
    expect(file.body).toBe('MZ not really iPXE');
    expect((await history()).filter((e) => e.step === 'http').map((e) => e.detail)).toEqual(['ipxe snponly.efi']);
  });

  it('records nothing for a file that is not there', async () => {
    expect((await h.app.inject({ url: '/boot/files/ipxe-arm64.efi', remoteAddress: IP })).statusCode).toBe(404);
    expect((await history()).filter((e) => e.step === 'http')).toHaveLength(1);
  });
});
