/**
 * `dragonfly console NAME`: attaches this terminal to a machine's serial console through
 * the API's console WebSocket. The terminal goes raw so every key reaches the machine;
 * `~.` at the start of a line leaves, `~B` sends a break (console-escape.ts).
 * `--holder` says who holds the console; `--release` makes Dragonfly let go of it (the boot log
 * recorder and every viewer) so that another client, such as ipmitool, can activate SOL.
 */
import type { Command } from 'commander';
import WebSocket from 'ws';
import type { ConsoleHolding, ConsoleServerMessage } from '../contract/console.ts';
import { ApiClient } from './client.ts';
import { EscapeScanner } from './console-escape.ts';

export interface ConsoleIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: { write(b: Uint8Array | string): unknown };
  /** Status lines (connected, left, taken over), kept apart from the console's bytes. */
  status: (line: string) => void;
}

export interface ConsoleTarget {
  url: string;
  token?: string;
  machine: string;
  takeOver?: boolean;
}

export function consoleSocketUrl(t: ConsoleTarget): string {
  const u = new URL(`/api/v1/machines/${encodeURIComponent(t.machine)}/console`, t.url);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  if (t.takeOver) u.searchParams.set('takeOver', '1');
  return u.toString();
}

/** Runs the console until the user leaves (0) or it ends or fails (1); returns the exit code. */
export function runConsole(t: ConsoleTarget, io: ConsoleIo): Promise<number> {
  const ws = new WebSocket(consoleSocketUrl(t), { headers: t.token ? { authorization: `Bearer ${t.token}` } : {} });
  const scanner = new EscapeScanner();
  return new Promise((resolve) => {
    let code = 1;
    const onInput = (chunk: Buffer | string) => {
      const { forward, actions } = scanner.feed(typeof chunk === 'string' ? Buffer.from(chunk) : new Uint8Array(chunk));
      if (forward.length > 0 && ws.readyState === ws.OPEN) ws.send(forward, { binary: true });
      if (actions.includes('break')) ws.send(JSON.stringify({ type: 'break' }));
      if (actions.includes('quit')) {
        code = 0;
        io.status(`[left the console of ${t.machine}]`);
        ws.close(1000);
      }
    };
    const finish = () => {
      io.stdin.off('data', onInput);
      if (io.stdin.isTTY) io.stdin.setRawMode?.(false);
      io.stdin.pause();
      resolve(code);
    };
    ws.on('message', (d: Buffer, binary: boolean) => (binary ? io.stdout.write(new Uint8Array(d)) : onMessage(JSON.parse(String(d)) as ConsoleServerMessage)));
    const onMessage = (m: ConsoleServerMessage) => {
      if (m.type === 'attached') {
        io.status(`[connected to the console of ${t.machine}; ~. leaves, ~B sends a break]`);
        if (io.stdin.isTTY) io.stdin.setRawMode?.(true);
        io.stdin.on('data', onInput);
        io.stdin.resume();
      } else if (m.type === 'error') {
        io.status(`error: ${m.message}${m.code === 'DF_ERR_CONFLICT' ? ' (use --take-over to end that console)' : ''}`);
      } else if (m.reason !== 'closed') {
        io.status(`[${m.message}]`);
      }
    };
    ws.on('unexpected-response', (_req, res) => {
      io.status(`error: the control plane answered HTTP ${res.statusCode}${res.statusCode === 401 ? ' (pass --token or DRAGONFLY_TOKEN)' : ''}`);
      res.resume();
      ws.terminate();
    });
    ws.on('error', (e) => io.status(`error: cannot reach the control plane at ${t.url}: ${e.message}`));
    ws.on('close', finish);
  });
}

/** `--holder` and `--release`: one request each, the answer as one line. */
export async function consoleHolding(t: ConsoleTarget, action: 'holder' | 'release'): Promise<string> {
  const path = `/api/v1/machines/${encodeURIComponent(t.machine)}/console/${action}`;
  const h = await new ApiClient(t).request<ConsoleHolding>(action === 'holder' ? 'GET' : 'POST', path);
  return action === 'release' ? `released; ${h.message}` : h.message;
}

interface ConsoleOpts {
  takeOver?: boolean;
  holder?: boolean;
  release?: boolean;
}

export function addConsoleCommand(program: Command, target: (cmd: Command) => { url: string; token?: string }, io: ConsoleIo): void {
  program
    .command('console <name>')
    .description('attach this terminal to a machine\'s serial console (~. leaves, ~B sends a break)')
    .option('--take-over', 'end another client\'s console on the BMC first')
    .option('--holder', 'say who holds the console (Dragonfly\'s boot log recorder and viewers, or another client) and leave')
    .option('--release', 'make Dragonfly let go of the console (recorder and viewers) so another client such as ipmitool can take it')
    .action(async (name: string, opts: ConsoleOpts, cmd: Command) => {
      const t = { ...target(cmd), machine: name, takeOver: opts.takeOver };
      if (opts.holder || opts.release) {
        io.stdout.write(`${await consoleHolding(t, opts.release ? 'release' : 'holder')}\n`);
        return;
      }
      // The reason is already on stderr; only the exit status is left to set.
      process.exitCode = await runConsole(t, io);
    });
}
