/**
 * SOL bench: keystroke round trip (key → BMC → serial port → echo → BMC → screen) on one
 * OpenIPMI `ipmi_sim` whose SOL is a loopback TCP "serial port" that echoes, side by side:
 * Dragonfly's native SOL client, Dragonfly through the API's console WebSocket (what the UI
 * and the CLI use), and `ipmitool -I lanplus -C 3 sol activate` on a pseudo-terminal. One
 * key at a time, the next only after the echo; rounds alternate the order of the tools.
 *
 *   node --import tsx bench/sol.bench.ts [--keys 200] [--rounds 3]
 */
import { spawn } from 'node:child_process';
import WebSocket from 'ws';
import type { Hardware } from '../core/model/hardware.ts';
import { ConsoleHub } from '../core/power/console-hub.ts';
import { openMachineConsole } from '../core/power/console.ts';
import { startIpmiSim, type IpmiSim } from '../core/power/ipmi/testing/ipmi-sim-harness.ts';
import { startSerialPort } from '../core/power/ipmi/testing/serial-port-harness.ts';
import { openSolConsole } from '../core/power/ipmi/sol.ts';
import { createHarness } from '../core/testing/api-harness.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** A console under test: `type` sends one key; output arrives through `onOutput`. */
interface Client {
  type(key: string): void;
  close(): Promise<void>;
}
type Opener = (onOutput: (text: string) => void) => Promise<Client>;

/** Round trips of `keys` keystrokes, ms each. */
async function measure(open: Opener, keys: number): Promise<number[]> {
  let waiting: { key: string; done: () => void } | undefined;
  const client = await open((text) => {
    if (waiting && text.includes(waiting.key)) waiting.done();
  });
  const times: number[] = [];
  // Let anything left from the previous tool (the shell's answer to its last line) go by unseen.
  await new Promise((r) => setTimeout(r, 500));
  try {
    for (let i = 0; i < keys + 5; i++) {
      const key = String.fromCharCode(0x61 + (i % 26));
      const start = process.hrtime.bigint();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no echo of "${key}" within 5 s`)), 5000);
        waiting = { key, done: () => { clearTimeout(timer); waiting = undefined; resolve(); } };
        client.type(key);
      });
      if (i >= 5) times.push(Number(process.hrtime.bigint() - start) / 1e6); // the first keys warm up
    }
  } finally {
    await client.close();
  }
  return times;
}

const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');

function native(sim: IpmiSim): Opener {
  const { host, port } = sim.endpoints[0];
  return async (onOutput) => {
    const c = await openSolConsole({ host, port, username: 'admin', password: 'secret', onData: (b) => onOutput(latin1(b)), onEnd: () => {} });
    return { type: (k) => c.write(Buffer.from(k)), close: () => c.close() };
  };
}

function viaApi(url: string, token: string): Opener {
  return async (onOutput) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/machines/bench-node/console`, { headers: { authorization: `Bearer ${token}` } });
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (d: Buffer, binary: boolean) => (binary ? onOutput(d.toString('latin1')) : JSON.parse(String(d)).type === 'attached' ? resolve() : reject(new Error(String(d)))));
      ws.once('error', reject);
    });
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    return { type: (k) => ws.send(Buffer.from(k), { binary: true }), close: async () => { ws.close(); await closed; await new Promise((r) => setTimeout(r, 200)); } };
  };
}

function ipmitool(sim: IpmiSim): Opener {
  const { host, port } = sim.endpoints[0];
  const cmd = `ipmitool -I lanplus -C 3 -H ${host} -p ${port} -U admin -P secret sol activate`;
  return async (onOutput) => {
    const child = spawn('script', ['-qfc', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let banner = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`ipmitool did not activate SOL: ${banner}`)), 10_000);
      child.stdout!.on('data', (d: Buffer) => {
        if (!banner.includes('operational')) {
          banner += d.toString('latin1');
          if (banner.includes('operational')) { clearTimeout(timer); resolve(); }
        } else onOutput(d.toString('latin1'));
      });
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return {
      type: (k) => child.stdin!.write(k),
      close: async () => { child.stdin!.write('\r~.'); await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]); child.kill(); },
    };
  };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const fmt = (ms: number) => ms.toFixed(2);

async function main(): Promise<void> {
  const keys = arg('keys', 200);
  const rounds = arg('rounds', 3);
  const serial = await startSerialPort();
  const sim = await startIpmiSim({ sol: serial.device });
  const hub = new ConsoleHub({ open: async (m, h, take) => openMachineConsole(await api.store.get<Hardware>('Hardware', m), () => ({ username: 'admin', secret: 'secret' }), h, take) });
  const api = await createHarness({ consoles: hub });
  const url = await api.app.listen({ host: '127.0.0.1', port: 0 });
  const { host, port } = sim.endpoints[0];
  await api.store.create({ apiVersion: 'dragonfly.computer/v1', kind: 'Hardware', metadata: { name: 'bench-node' }, spec: { macs: ['52:54:00:00:40:01'], bmc: { protocol: 'ipmi', address: `${host}:${port}`, credentialRef: 'bmc' } } });
  const tools: Array<[string, Opener]> = [['Dragonfly native SOL', native(sim)], ['Dragonfly via API WebSocket', viaApi(url, api.token)], ['ipmitool sol activate', ipmitool(sim)]];
  const results = new Map<string, number[]>(tools.map(([n]) => [n, []]));
  try {
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? tools : [...tools].reverse();
      for (const [name, open] of order) results.get(name)!.push(...(await measure(open, keys)));
    }
  } finally {
    await hub.close();
    await api.close();
    await sim.stop();
    await serial.stop();
  }
  const ref = pct(results.get('ipmitool sol activate')!, 0.5);
  console.log(`keystroke round trip, ${keys} keys × ${rounds} rounds per tool (ms)`);
  console.log('| | median | p95 | max | median vs ipmitool |');
  console.log('|---|---|---|---|---|');
  for (const [name, xs] of results) {
    console.log(`| ${name} | ${fmt(pct(xs, 0.5))} | ${fmt(pct(xs, 0.95))} | ${fmt(Math.max(...xs))} | ${(pct(xs, 0.5) / ref).toFixed(2)}× |`);
  }
}

await main();
