/**
 * The lab machine's serial cable, which outlives power cycles. ipmi-machine.ts starts a new
 * QEMU at every power-on, so a serial port that QEMU itself serves goes away with it, and
 * ipmi_sim's SOL (which connects to its `sol` device once, on the first activation) would be
 * left talking to nothing. This relay sits between the two and stays up while the BMC does:
 *
 *   ipmi_sim  --tcp-->  127.0.0.1:--bmc-port      (lan.conf: sol "tcp:127.0.0.1:PORT")
 *   QEMU      --tcp-->  127.0.0.1:--machine-port  (-chardev socket,host=...,port=...)
 *
 * Both sides connect as clients, which both support; the newest connection of each side wins
 * (a new QEMU replaces the one that ended). Bytes from the machine go to the BMC side; bytes from
 * the BMC side (what someone typed) go to the machine and are appended to --typed, so a lab check
 * can prove a keystroke reached the machine. With no peer connected, bytes are dropped, as a
 * serial line with nobody listening drops them. Loopback only (the lab's network rule).
 *
 *   node --import tsx serial-relay.ts --bmc-port P --machine-port Q [--typed FILE] [--ready FILE]
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { parseArgs } from 'node:util';

type Side = 'bmc' | 'machine';

export interface SerialRelay {
  close(): Promise<void>;
}

export interface SerialRelayOptions {
  bmcPort: number;
  machinePort: number;
  /** Called with every byte typed at the BMC side that reached a connected machine. */
  onTyped?: (bytes: Buffer) => void;
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

export async function startSerialRelay(o: SerialRelayOptions): Promise<SerialRelay> {
  const current: Record<Side, Socket | undefined> = { bmc: undefined, machine: undefined };
  const forward = (from: Side, data: Buffer) => {
    const to = current[from === 'bmc' ? 'machine' : 'bmc'];
    if (!to) return;
    to.write(data);
    if (from === 'bmc') o.onTyped?.(data);
  };
  const serverFor = (side: Side) => createServer((s) => {
    current[side]?.destroy(); // the newest wins: a new QEMU after a power cycle
    current[side] = s;
    s.on('data', (d) => current[side] === s && forward(side, d));
    s.on('error', () => {}); // a peer vanishing is a power cycle, not a relay failure
    s.on('close', () => {
      if (current[side] === s) current[side] = undefined;
    });
  });
  const servers = [serverFor('bmc'), serverFor('machine')];
  await listen(servers[0], o.bmcPort);
  await listen(servers[1], o.machinePort);
  return {
    close: async () => {
      current.bmc?.destroy();
      current.machine?.destroy();
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    },
  };
}

function portOf(text: string | undefined, flag: string): number {
  const n = Number(text);
  if (!text || !Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`--${flag} must be a TCP port, not "${text ?? ''}"`);
  return n;
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: { 'bmc-port': { type: 'string' }, 'machine-port': { type: 'string' }, typed: { type: 'string' }, ready: { type: 'string' } },
  });
  const typed = v.typed;
  const relay = await startSerialRelay({
    bmcPort: portOf(v['bmc-port'], 'bmc-port'),
    machinePort: portOf(v['machine-port'], 'machine-port'),
    onTyped: typed ? (d) => appendFileSync(typed, d) : undefined,
  });
  if (v.ready) writeFileSync(v.ready, `${process.pid}\n`);
  process.on('SIGTERM', () => void relay.close().then(() => process.exit(0)));
}

if (process.argv[1]?.endsWith('serial-relay.ts')) {
  main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
}
