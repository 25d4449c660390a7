import type { Exec } from './exec.ts';
import { mustRun } from './exec.ts';

/**
 * Flushes the disks and restarts at once with busybox `reboot -f` (the initramfs has no init
 * to ask). The control plane then tells the firmware to boot from the local disk.
 */
export async function rebootNow(exec: Exec): Promise<void> {
  await exec('sync', []);
  await mustRun(exec, 'reboot', ['-f']);
}
