import type { Exec } from './exec.ts';
import { mustRun } from './exec.ts';

/** `kexec -l` arguments (kexec-tools): load the installed kernel, its initrd and command line. */
export function kexecLoadArgs(kernel: string, initrd: string | undefined, cmdline: string): string[] {
  const args = ['-l', kernel];
  if (initrd) args.push(`--initrd=${initrd}`);
  args.push(`--command-line=${cmdline}`);
  return args;
}

/** Without a cmdline in the template: the partition holding the kernel is the root file system, read-only until init remounts it. Never the agent's own cmdline (--reuse-cmdline would boot the installed kernel with the agent's parameters). */
export const defaultCmdline = (rootDevice: string) => `root=${rootDevice} ro`;

/** Loads the kernel and initrd into memory (`kexec -l` reads the files now, so the partition may be unmounted after). */
export async function kexecLoad(exec: Exec, kernel: string, initrd: string | undefined, cmdline: string): Promise<void> {
  await mustRun(exec, 'kexec', kexecLoadArgs(kernel, initrd, cmdline));
}

/** Syncs and jumps into the loaded kernel with `kexec -e`, which does not return when it works (a non-zero exit throws). */
export async function kexecExecute(exec: Exec): Promise<void> {
  await exec('sync', []);
  await mustRun(exec, 'kexec', ['-e']);
}
