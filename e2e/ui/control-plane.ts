import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The real headless control plane as a child process, on loopback and an ephemeral port,
 * with DHCP off (nothing leaves 127.0.0.1). Reads the URL and the one-time admin password
 * from the lines `dragonfly serve` prints on first start (core/cli/serve.ts).
 */
export interface ControlPlane {
  url: string;
  password: string;
  dataDir: string;
  /** Everything the process printed, for failure messages. */
  output: () => string;
  /** Kills the process (the data directory stays), then starts it again on the same port. */
  restart: (downMs?: number) => Promise<void>;
  stop: () => Promise<void>;
}

const repoRoot = new URL('../..', import.meta.url).pathname;

/** How to start it: `wrap` runs it through a command (e.g. `ip netns exec NS`); `args` replace the DHCP-off defaults. */
export interface StartOptions {
  wrap?: string[];
  args?: string[];
  /** It joins a swarm (`--join`): no admin password is printed, so none is waited for. */
  joining?: boolean;
}

function spawnServe(dataDir: string, port: number, opts: StartOptions = {}): { child: ChildProcess; out: () => string } {
  const argv = [process.execPath, 'bin/dragonfly.mjs', 'serve', '--data-dir', dataDir, '--http-port', String(port), '--listen', '127.0.0.1', ...(opts.args ?? ['--dhcp-mode', 'off'])];
  const [cmd, ...rest] = [...(opts.wrap ?? []), ...argv];
  const child = spawn(cmd!, rest, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DRAGONFLY_LOG_LEVEL: 'warn' } });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  return { child, out: () => out };
}

export async function startControlPlane(timeoutMs = 30_000, opts: StartOptions = {}): Promise<ControlPlane> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dfui-e2e-'));
  let proc = spawnServe(dataDir, 0, opts);
  let log = '';
  try {
    const { url, password } = await waitForBanner(proc.child, proc.out, timeoutMs, !opts.joining);
    const cp: ControlPlane = {
      url,
      password: password ?? '',
      dataDir,
      output: () => log + proc.out(),
      restart: async (downMs = 0) => {
        await kill(proc.child);
        log += proc.out();
        await new Promise((r) => setTimeout(r, downMs));
        proc = spawnServe(dataDir, Number(new URL(url).port), opts);
        await waitForBanner(proc.child, proc.out, timeoutMs, false);
      },
      stop: async () => {
        await kill(proc.child);
        await rm(dataDir, { recursive: true, force: true });
      },
    };
    return cp;
  } catch (e) {
    await kill(proc.child);
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
}

/** The password line appears only on the first start of a data directory. */
function waitForBanner(child: ChildProcess, out: () => string, timeoutMs: number, firstStart: boolean): Promise<{ url: string; password?: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`control plane did not start within ${timeoutMs} ms:\n${out()}`)), timeoutMs);
    const check = () => {
      const url = /Dragonfly API and UI at (http:\/\/\S+)/.exec(out())?.[1];
      const password = /admin password: (\S+)/.exec(out())?.[1];
      if (url && (password || !firstStart)) finish(undefined, { url, password });
    };
    const onExit = (code: number | null) => finish(new Error(`control plane exited with ${code}:\n${out()}`));
    function finish(err?: Error, v?: { url: string; password?: string }) {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(v!);
    }
    child.stdout?.on('data', check);
    child.on('exit', onExit);
    check();
  });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
