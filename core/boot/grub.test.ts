import { describe, expect, it } from 'vitest';
import { LOCAL_EFI_LOADERS, renderGrubConfig, renderGrubEntryConfig, renderGrubNoAgentConfig, renderGrubRetryConfig } from './grub.ts';
import { agentKernelArgs, renderIpxeScript } from './script.ts';

const base = { mac: '52:54:00:12:34:56', serverUrl: 'http://10.77.0.1:8080', enrolmentToken: 'dfe1.tok', displayName: 'Amber Falcon Orbit' };

describe('GRUB configurations (exact text)', () => {
  it('discovery: the Debian-signed agent kernel and its initramfs over TFTP', () => {
    expect(renderGrubConfig({ ...base, fate: { kind: 'discovery' } })).toBe(
      `# Dragonfly GRUB configuration for Amber Falcon Orbit (52:54:00:12:34:56): discovery
set timeout=0
echo "Dragonfly: loading the agent for 52:54:00:12:34:56"
linux /agent/vmlinuz console=tty0 console=ttyS0,115200n8 quiet no_timer_check dragonfly.url=http://10.77.0.1:8080 dragonfly.mac=52:54:00:12:34:56 dragonfly.token=dfe1.tok
initrd /agent/initramfs.img
boot
echo "Dragonfly: could not load the agent, restarting in 10 s"
sleep 10
reboot
`,
    );
  });

  it('imaging boots the same agent as discovery (the workflow is the answer to its registration)', () => {
    const imaging = renderGrubConfig({ ...base, fate: { kind: 'imaging', workflow: 'wf-1' } }).split('\n');
    const discovery = renderGrubConfig({ ...base, fate: { kind: 'discovery' } }).split('\n');
    expect(imaging[0]).toBe('# Dragonfly GRUB configuration for Amber Falcon Orbit (52:54:00:12:34:56): imaging');
    expect(imaging.slice(1)).toEqual(discovery.slice(1));
  });

  it('the kernel command line is the one the iPXE script gives (one function for both)', () => {
    const grubLinux = renderGrubConfig({ ...base, fate: { kind: 'discovery' } }).split('\n').find((l) => l.startsWith('linux '))!;
    const ipxeKernel = renderIpxeScript({ ...base, fate: { kind: 'discovery' }, firmware: 'uefi' }).split('\n').find((l) => l.startsWith('kernel '))!;
    const args = agentKernelArgs(base).join(' ');
    expect(grubLinux.endsWith(args)).toBe(true);
    expect(ipxeKernel).toContain(`initrd=initramfs.img ${args} ||`);
  });

  it('local boot: chainloads the first loader found on an EFI system partition, else hands back to the firmware', () => {
    const text = renderGrubConfig({ ...base, fate: { kind: 'local' } });
    expect(text.split('\n').slice(0, 7)).toEqual([
      '# Dragonfly GRUB configuration for Amber Falcon Orbit (52:54:00:12:34:56): local',
      'set timeout=0',
      'if search --no-floppy --file --set=root /EFI/BOOT/BOOTX64.EFI; then',
      '  echo "Dragonfly: starting /EFI/BOOT/BOOTX64.EFI from the local disk"',
      '  chainloader /EFI/BOOT/BOOTX64.EFI',
      '  boot',
      'fi',
    ]);
    for (const loader of LOCAL_EFI_LOADERS) expect(text).toContain(`chainloader ${loader}\n`);
    expect(text).not.toContain('linux ');
    expect(text.trimEnd().split('\n').at(-1)).toBe('exit');
  });

  it('an arm64 machine on the signed chain boots its disk through the arm64 loaders, never an x64 one', () => {
    const text = renderGrubConfig({ ...base, agentArch: 'arm64', fate: { kind: 'local' } });
    expect(text).toContain('chainloader /EFI/BOOT/BOOTAA64.EFI\n');
    expect(text).toContain('chainloader /EFI/debian/shimaa64.efi\n');
    expect(text).not.toMatch(/x64\.efi/i);
    expect(text.trimEnd().split('\n').at(-1)).toBe('exit');
  });

  it('a display name cannot inject a GRUB command or a variable', () => {
    const text = renderGrubConfig({ ...base, displayName: 'x\nchainloader (hd0)/evil ${root}', fate: { kind: 'discovery' } });
    expect(text.split('\n')[0]).toBe('# Dragonfly GRUB configuration for x?chainloader (hd0)/evil ?{root} (52:54:00:12:34:56): discovery');
    expect(text.split('\n').filter((l) => l.startsWith('chainloader'))).toEqual([]);
  });

  it('no unquoted ";" in an echo: GRUB would run the rest of the line as a command (seen in the lab)', () => {
    const all = [
      renderGrubConfig({ ...base, fate: { kind: 'discovery' } }),
      renderGrubConfig({ ...base, fate: { kind: 'local' } }),
      renderGrubEntryConfig(),
      renderGrubRetryConfig('no DHCP exchange; "quoted" \\ $x'),
      renderGrubNoAgentConfig('the arm64 image is not built; "x" \\ $y'),
    ].join('\n');
    for (const line of all.split('\n').filter((l) => l.trim().startsWith('echo'))) expect(line).toMatch(/^\s*echo "[^"\\]*"$/);
  });

  it('the entry configuration sends GRUB to the per-MAC file (arm64 GRUB: its arm64 name) and exits when that is missing', () => {
    expect(renderGrubEntryConfig()).toBe(
      `# Dragonfly: on to this machine's own configuration (paths are read from $root, the TFTP server)
if [ "\${grub_cpu}" = "arm64" ]; then
  configfile /grub/arm64/grub.cfg-\${net_default_mac}
else
  configfile /grub/grub.cfg-\${net_default_mac}
fi
echo "Dragonfly: no configuration for \${net_default_mac}, handing back to the firmware"
sleep 5
exit
`,
    );
  });

  it('a machine whose agent image is not built is told so and handed back to the firmware, not rebooted', () => {
    expect(renderGrubNoAgentConfig('the arm64 agent image is not built')).toBe('echo "Dragonfly: cannot discover or image this machine: the arm64 agent image is not built"\nsleep 30\nexit\n');
  });
});
