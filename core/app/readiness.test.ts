import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NetworkSettings } from './network-settings.ts';
import { readiness, readinessLines, type ReadinessSources } from './readiness.ts';

const root = mkdtempSync(join(tmpdir(), 'df-readiness-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dir = (name: string, files: string[]) => {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  for (const f of files) writeFileSync(join(d, f), 'x');
  return d;
};

const settings = (s: Partial<NetworkSettings>): NetworkSettings => ({ dhcpMode: 'proxy', dns: [], leaseSeconds: 3600, tftpPort: 69, httpPort: 8080, ...s });
const sources = (over: Partial<ReadinessSources> = {}): ReadinessSources => ({
  uiDir: dir('ui', ['index.html']),
  ipxeDir: dir('ipxe', ['undionly.kpxe', 'snponly.efi']),
  agentImage: () => ({ state: 'present', detail: 'present' }),
  // Loopback: the one interface with an IPv4 address that every host has.
  settings: () => settings({ interface: 'lo' }),
  dhcpHealth: () => ({ ok: true, detail: 'proxy on lo' }),
  ...over,
});

describe('can machines boot?', () => {
  it('yes, with the agent image, the BIOS and UEFI x64 iPXE binaries, an interface with an address and DHCP serving', () => {
    const r = readiness(sources());
    expect(r).toMatchObject({ canBoot: true, blockers: [], interface: { ok: true, name: 'lo', address: '127.0.0.1' }, dhcp: { ok: true, mode: 'proxy', detail: 'proxy on lo' } });
    expect(r.ipxe.detail).toMatch(/^present for BIOS and UEFI x64: ipxe-arm64\.efi not in .* \(uefi-arm64, http-arm64 machines cannot boot\)$/);
    expect(readinessLines(r).at(-1)).toBe('machines can boot: yes');
  });

  it('no, and each reason is named: missing BIOS iPXE binary, the DHCP bind error, an unbuilt UI', () => {
    const r = readiness(
      sources({
        uiDir: dir('empty-ui', []),
        ipxeDir: dir('ipxe-uefi-only', ['snponly.efi']),
        dhcpHealth: () => ({ ok: false, error: 'cannot bind UDP port 67: run as root or grant CAP_NET_BIND_SERVICE' }),
      }),
    );
    expect(r.canBoot).toBe(false);
    expect(r.blockers).toEqual([expect.stringMatching(/^iPXE binaries missing: undionly\.kpxe, ipxe-arm64\.efi not in /), 'DHCP cannot bind UDP port 67: run as root or grant CAP_NET_BIND_SERVICE']);
    expect(r.ui).toEqual({ ok: false, detail: expect.stringMatching(/has no index\.html\): run npm run build:renderer$/) });
  });

  it('an interface that does not exist here or has no IPv4 address is not a provisioning interface', () => {
    const r = readiness(sources({ settings: () => settings({ interface: 'nosuch0' }) }));
    expect(r.interface).toEqual({ ok: false, name: 'nosuch0', detail: 'nosuch0 has no IPv4 address: choose the interface on the provisioning network' });
    expect(r.blockers).toHaveLength(1);
  });
});
