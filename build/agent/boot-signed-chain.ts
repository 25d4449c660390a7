/**
 * The Secure Boot variant of boot-direct: OVMF with Secure Boot enforced and Microsoft's keys
 * enrolled PXE-boots from QEMU's user-mode network (its own DHCP and TFTP, reachable only by
 * this VM, the host side on loopback) through the shipped signed chain, shim -> Debian's network
 * GRUB -> the per-MAC GRUB configuration as the control plane renders it -> the agent's
 * Debian-signed kernel. Needs no root and no lab network; the agent then reports to the fake
 * control plane of boot-direct.ts, and must say secureBoot true.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { renderGrubConfig, renderGrubEntryConfig } from '../../core/boot/grub.ts';
import { tftpPaths } from '../../core/boot/urls.ts';

const SECBOOT_CODE = '/usr/share/OVMF/OVMF_CODE_4M.secboot.fd';
const MS_VARS = '/usr/share/OVMF/OVMF_VARS_4M.ms.fd';
const SIGNED_DIR = resolve(import.meta.dirname, '../../assets/secureboot');

/** Lays out the TFTP tree the control plane would serve, for one MAC; returns its directory. */
function tftpTree(work: string, imageDir: string, mac: string, serverUrl: string): string {
  const root = join(work, 'tftp');
  const put = (path: string, write: (file: string) => void) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    write(join(root, path));
  };
  put(tftpPaths.shim, (f) => copyFileSync(join(SIGNED_DIR, tftpPaths.shim), f));
  put(tftpPaths.grub, (f) => copyFileSync(join(SIGNED_DIR, tftpPaths.grub), f));
  put(tftpPaths.grubEntry, (f) => writeFileSync(f, renderGrubEntryConfig()));
  const config = renderGrubConfig({ fate: { kind: 'discovery' }, mac, serverUrl, enrolmentToken: 'enrol-tok' });
  put(`${tftpPaths.grubMacPrefix}${mac}`, (f) => writeFileSync(f, config));
  put(tftpPaths.agentKernel, (f) => copyFileSync(join(imageDir, 'vmlinuz'), f));
  put(tftpPaths.agentInitrd, (f) => copyFileSync(join(imageDir, 'initramfs.img'), f));
  return root;
}

/** QEMU arguments for firmware, network and boot order; the caller adds memory, disks and console. */
export function signedChainArgs(work: string, imageDir: string, mac: string, port: number): string[] {
  const tftp = tftpTree(work, imageDir, mac, `http://10.0.2.2:${port}`);
  copyFileSync(MS_VARS, join(work, 'vars.fd'));
  return [
    // Secure Boot needs SMM and a flash only SMM may write: the variables cannot be changed behind the firmware.
    '-machine', 'q35,smm=on', '-global', 'driver=cfi.pflash01,property=secure,value=on',
    '-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${SECBOOT_CODE}`, '-drive', `if=pflash,format=raw,unit=1,file=${join(work, 'vars.fd')}`,
    // As in boot-direct: the only address the guest is given is 10.0.2.2, QEMU's side, which is the host's loopback.
    '-netdev', `user,id=n0,tftp=${tftp},bootfile=${tftpPaths.shim}`,
    // No option ROM: OVMF's own PXE client, which is what checks shim's signature.
    '-device', `virtio-net-pci,netdev=n0,mac=${mac},romfile=,bootindex=1`,
  ];
}
