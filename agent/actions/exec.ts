import { spawn } from 'node:child_process';

/** What running an external program returned. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program (no shell) and resolves with its exit code and output; rejects only when it
 * cannot be started (ENOENT). Injected everywhere so tests check command lines without running them.
 */
export type Exec = (file: string, args: string[]) => Promise<ExecResult>;

export const spawnExec: Exec = (file, args) =>
  new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
  });

/** Runs and throws, naming the command and its stderr, unless it exits 0. */
export async function mustRun(exec: Exec, file: string, args: string[]): Promise<ExecResult> {
  let r: ExecResult;
  try {
    r = await exec(file, args);
  } catch (err) {
    throw new Error(`cannot run ${file}: ${(err as Error).message} (the agent image must carry it)`, { cause: err });
  }
  if (r.code !== 0) throw new Error(`${[file, ...args].join(' ')} exited with ${r.code}: ${(r.stderr || r.stdout).trim() || 'no output'}`);
  return r;
}
