import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { describeWithPeers } from '../../core/testing/peers.ts';
import { bootDirect, checkReport } from './boot-direct.ts';

// Not in npm test: run by npm run test:agent-image after the build (each boot takes 20-60 s
// of TCG emulation on two shared cores; uefi-sb about 3 min: GRUB loads the agent over TFTP).
const imageDir = resolve(process.env.DRAGONFLY_AGENT_IMAGE ?? 'dist/agent-image');
const built = { ok: existsSync(resolve(imageDir, 'initramfs.img')), why: `no agent image in ${imageDir}: npm run build:agent-image` };

describeWithPeers([built, 'qemu-system-x86_64'], 'agent image booted directly in QEMU (about 1 min per boot)', () => {
  it.each(['bios', 'uefi', 'uefi-sb'] as const)(
    'registers with the right CPU, memory, disks, MAC, firmware and Secure Boot state (%s), runs the workflow hook, reboots when told',
    async (firmware) => {
      expect(existsSync(resolve(imageDir, 'initramfs.img')), `${imageDir}/initramfs.img missing: build the image first`).toBe(true);
      const r = await bootDirect({ firmware, imageDir });
      expect(checkReport(r)).toEqual([]);
    },
    600_000,
  );
});
