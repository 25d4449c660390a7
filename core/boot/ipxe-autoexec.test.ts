import { describe, expect, it } from 'vitest';
import { ipxeAutoexecTftpResolver, renderIpxeAutoexec } from './ipxe-autoexec.ts';
import { renderIpxeScript } from './script.ts';

const MAC = '52:54:00:12:34:56';
const client = { address: '10.77.0.130', port: 1024 };

describe("iPXE's EFI autoexec.ipxe, per fate", () => {
  it('local: the UEFI local-boot script itself (sanboot of the disk, exit 1 last), no DHCP and no URL in it', () => {
    const text = renderIpxeAutoexec({ kind: 'local' }, MAC, 'Amber Falcon Orbit')!;
    expect(text).toBe(renderIpxeScript({ fate: { kind: 'local' }, mac: MAC, firmware: 'uefi', serverUrl: 'http://10.77.0.1:8080', enrolmentToken: 't', displayName: 'Amber Falcon Orbit' }));
    const lines = text.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      '#!ipxe',
      `# Dragonfly boot script for Amber Falcon Orbit (${MAC}): local`,
      'echo Dragonfly: booting from the local disk',
      'sanboot --no-describe --drive 0 || echo Dragonfly: no removable-media loader on a local disk',
    ]);
    expect(lines.at(-2)).toBe('exit 1');
    expect(text).not.toMatch(/dhcp|chain|http:/);
  });

  it('discovery and imaging: none, so iPXE does its own DHCP and fetches the fate script as without it', () => {
    expect(renderIpxeAutoexec({ kind: 'discovery' }, MAC)).toBeUndefined();
    expect(renderIpxeAutoexec({ kind: 'imaging', workflow: 'wf-1' }, MAC)).toBeUndefined();
  });
});

describe('the TFTP answer to autoexec.ipxe', () => {
  const asked: string[] = [];
  const resolve = ipxeAutoexecTftpResolver({
    macOf: (ip) => (ip === client.address ? MAC : undefined),
    autoexec: async (mac, ip) => {
      asked.push(`${mac}@${ip}`);
      return mac === MAC ? '#!ipxe\nexit 1\n' : undefined;
    },
  });

  it('asks for the MAC leased at the client address and serves the text', async () => {
    const file = await resolve('autoexec.ipxe', client);
    expect(file?.size).toBe(14);
    expect(new TextDecoder().decode((await file!.open()) as Uint8Array)).toBe('#!ipxe\nexit 1\n');
    expect(asked).toEqual([`${MAC}@${client.address}`]);
  });

  it('an address we never leased, or no answer for its MAC, is not found; other names fall through', async () => {
    expect(await resolve('autoexec.ipxe', { address: '10.77.0.99', port: 1024 })).toBeUndefined();
    expect(await resolve('snponly.efi', client)).toBeUndefined();
    expect(await resolve('grub/autoexec.ipxe', client)).toBeUndefined();
    expect(asked).toHaveLength(1);
  });
});
