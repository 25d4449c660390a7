import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootDirect, checkReport } from './boot-direct.ts';

// Opt-in: each boot takes 20-60 s of TCG emulation on two shared cores.
const enabled = process.env.DRAGONFLY_AGENT_BOOT === '1';
const imageDir = resolve(process.env.DRAGONFLY_AGENT_IMAGE ?? 'dist/agent-image');

describe.skipIf(!enabled)('agent image booted directly in QEMU (opt-in: set DRAGONFLY_AGENT_BOOT=1 after npm run build:agent-image; about 1 min per boot)', () => {
  it.each(['bios', 'uefi'] as const)(
    'registers with the right CPU, memory, disks, MAC and firmware (%s), runs the workflow hook, reboots when told',
    async (firmware) => {
      expect(existsSync(resolve(imageDir, 'initramfs.img')), `${imageDir}/initramfs.img missing: build the image first`).toBe(true);
      const r = await bootDirect({ firmware, imageDir });
      expect(checkReport(r)).toEqual([]);
    },
    300_000,
  );
});
