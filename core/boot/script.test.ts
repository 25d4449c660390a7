import { describe, expect, it } from 'vitest';
import { DISTRIBUTION_EFI_LOADERS, LOCAL_EFI_LOADERS, REMOVABLE_MEDIA_LOADER_X64 } from './local-loaders.ts';
import { renderIpxeScript, renderChainScript, renderRetryScript } from './script.ts';

const base = { mac: '52:54:00:12:34:56', serverUrl: 'http://10.77.0.1:8080', enrolmentToken: 'dfe1.tok', displayName: 'Amber Falcon Orbit' };

describe('iPXE scripts (exact text)', () => {
  it('discovery', () => {
    expect(renderIpxeScript({ ...base, fate: { kind: 'discovery' }, firmware: 'uefi' })).toBe(
      `#!ipxe
# Dragonfly boot script for Amber Falcon Orbit (52:54:00:12:34:56): discovery
kernel http://10.77.0.1:8080/boot/agent/vmlinuz initrd=initramfs.img console=tty0 console=ttyS0,115200n8 quiet no_timer_check dragonfly.url=http://10.77.0.1:8080 dragonfly.mac=52:54:00:12:34:56 dragonfly.token=dfe1.tok || goto failed
initrd --name initramfs.img http://10.77.0.1:8080/boot/agent/initramfs.img || goto failed
boot || goto failed
:failed
echo Dragonfly: could not load the agent from http://10.77.0.1:8080; retrying in 10 s
sleep 10
chain --autofree http://10.77.0.1:8080/boot/ipxe?mac=\${netX/mac}&arch=\${buildarch}&platform=\${platform} || reboot
`,
    );
  });

  it('imaging boots the same agent: what to run is the answer to its registration, not the command line', () => {
    const imaging = renderIpxeScript({ ...base, fate: { kind: 'imaging', workflow: 'wf-1' }, firmware: 'bios' });
    const discovery = renderIpxeScript({ ...base, fate: { kind: 'discovery' }, firmware: 'bios' });
    expect(imaging.split('\n')[1]).toBe('# Dragonfly boot script for Amber Falcon Orbit (52:54:00:12:34:56): imaging');
    expect(imaging.split('\n').slice(2)).toEqual(discovery.split('\n').slice(2));
    expect(imaging).not.toMatch(/dragonfly\.(mode|workflow)=/);
  });

  it('a failed agent load retries through the same URL as the chain script, so a UEFI machine stays UEFI', () => {
    const retry = renderIpxeScript({ ...base, fate: { kind: 'discovery' }, firmware: 'uefi' }).split('\n').find((l) => l.startsWith('chain '));
    const chain = renderChainScript(base.serverUrl).split('\n')[1];
    expect(retry!.replace(/ \|\| reboot$/, '')).toBe(chain.replace(/ \|\| exit 1$/, ''));
    expect(retry).toContain('&platform=${platform}');
  });

  it('local boot, BIOS: sanboot the first disk', () => {
    expect(renderIpxeScript({ ...base, fate: { kind: 'local' }, firmware: 'bios' })).toBe(
      `#!ipxe
# Dragonfly boot script for Amber Falcon Orbit (52:54:00:12:34:56): local
echo Dragonfly: booting from the local disk
sanboot --no-describe --drive 0x80 || exit 1
`,
    );
  });

  it('local boot, UEFI: sanboot the local disk holding a loader, each distribution shim next, exit to the firmware last', () => {
    expect(renderIpxeScript({ ...base, fate: { kind: 'local' }, firmware: 'uefi' })).toBe(
      `#!ipxe
# Dragonfly boot script for Amber Falcon Orbit (52:54:00:12:34:56): local
echo Dragonfly: booting from the local disk
sanboot --no-describe --drive 0 || echo Dragonfly: no removable-media loader on a local disk
sanboot --no-describe --drive 0 --filename \\EFI\\debian\\shimx64.efi || echo Dragonfly: no \\EFI\\debian\\shimx64.efi on a local disk
sanboot --no-describe --drive 0 --filename \\EFI\\ubuntu\\shimx64.efi || echo Dragonfly: no \\EFI\\ubuntu\\shimx64.efi on a local disk
sanboot --no-describe --drive 0 --filename \\EFI\\redhat\\shimx64.efi || echo Dragonfly: no \\EFI\\redhat\\shimx64.efi on a local disk
sanboot --no-describe --drive 0 --filename \\EFI\\rocky\\shimx64.efi || echo Dragonfly: no \\EFI\\rocky\\shimx64.efi on a local disk
sanboot --no-describe --drive 0 --filename \\EFI\\centos\\shimx64.efi || echo Dragonfly: no \\EFI\\centos\\shimx64.efi on a local disk
sanboot --no-describe --drive 0 --filename \\EFI\\fedora\\shimx64.efi || echo Dragonfly: no \\EFI\\fedora\\shimx64.efi on a local disk
sanboot --no-describe --drive 0 --filename \\EFI\\sles\\shim.efi || echo Dragonfly: no \\EFI\\sles\\shim.efi on a local disk
exit 1
`,
    );
  });

  it('local boot, UEFI: the iPXE and the GRUB path try the same loaders', () => {
    const ipxe = renderIpxeScript({ ...base, fate: { kind: 'local' }, firmware: 'uefi' });
    for (const loader of DISTRIBUTION_EFI_LOADERS) expect(ipxe).toContain(`--filename ${loader.replace(/\//g, '\\')} `);
    expect(LOCAL_EFI_LOADERS).toEqual([REMOVABLE_MEDIA_LOADER_X64, ...DISTRIBUTION_EFI_LOADERS]);
  });

  it('chain script asks again with the MAC, and hands a failure back to the firmware (UEFI local boot)', () => {
    expect(renderChainScript('http://10.77.0.1:8080')).toBe(
      '#!ipxe\nchain --autofree http://10.77.0.1:8080/boot/ipxe?mac=${netX/mac}&arch=${buildarch}&platform=${platform} || exit 1\n',
    );
  });

  it('retry script (no token) says why in printable text, waits, redoes DHCP and asks again', () => {
    expect(renderRetryScript('http://10.77.0.1:8080', 'no DHCP\nshell ${x}', 10)).toBe(
      [
        '#!ipxe',
        'echo Dragonfly: no DHCP?shell ?{x}; retrying in 10 s',
        'sleep 10',
        'dhcp || echo Dragonfly: DHCP failed',
        'chain --autofree http://10.77.0.1:8080/boot/ipxe?mac=${netX/mac}&arch=${buildarch}&platform=${platform} || exit 1',
        '',
      ].join('\n'),
    );
  });
});
