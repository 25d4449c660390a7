/**
 * `dragonfly console`: the escape scanner, and a whole session through the API's console
 * WebSocket to ipmi_sim's SOL and a loopback TCP "serial port" running a tiny shell.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hardware } from '../model/hardware.ts';
import { ConsoleHub } from '../power/console-hub.ts';
import { openMachineConsole } from '../power/console.ts';
import { startIpmiSim, type IpmiSim } from '../power/ipmi/testing/ipmi-sim-harness.ts';
import { startSerialPort, type SerialPort } from '../power/ipmi/testing/serial-port-harness.ts';
import { createHarness, type Harness } from '../testing/api-harness.ts';
import { runConsole } from './console-command.ts';
import { EscapeScanner } from './console-escape.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('console escape sequences', () => {
  it('~. at the start of a line leaves, and nothing after it is sent', () => {
    const r = new EscapeScanner().feed(bytes('ls\r~.rm -rf /\r'));
    expect(text(r.forward)).toBe('ls\r');
    expect(r.actions).toEqual(['quit']);
  });

  it('~ in the middle of a line is just a character', () => {
    const r = new EscapeScanner().feed(bytes('cd ~.\r'));
    expect(text(r.forward)).toBe('cd ~.\r');
    expect(r.actions).toEqual([]);
  });

  it('~~ types one ~, ~B sends a break, the sequence may span reads', () => {
    const s = new EscapeScanner();
    expect(text(s.feed(bytes('~')).forward)).toBe('');
    expect(text(s.feed(bytes('~/x\r')).forward)).toBe('~/x\r');
    const b = s.feed(bytes('~B'));
    expect(b.actions).toEqual(['break']);
    expect(text(s.feed(bytes('~x')).forward)).toBe('~x');
  });
});

let h: Harness;
let sim: IpmiSim;
let serial: SerialPort;
let consoles: ConsoleHub;
let url: string;

beforeAll(async () => {
  serial = await startSerialPort();
  sim = await startIpmiSim({ sol: serial.device });
  consoles = new ConsoleHub({
    open: async (machine, handlers, takeOver) =>
      openMachineConsole(await h.store.get<Hardware>('Hardware', machine), () => ({ username: 'admin', secret: 'secret' }), handlers, takeOver),
  });
  h = await createHarness({ consoles });
  url = await h.app.listen({ host: '127.0.0.1', port: 0 });
  const { host, port } = sim.endpoints[0];
  await h.store.create({ apiVersion: 'dragonfly.computer/v1', kind: 'Hardware', metadata: { name: 'cli-node' }, spec: { macs: ['52:54:00:00:30:01'], bmc: { protocol: 'ipmi', address: `${host}:${port}`, credentialRef: 'bmc' } } });
});
afterAll(async () => {
  await consoles?.close();
  await h?.close();
  await sim?.stop();
  await serial?.stop();
});

function terminal() {
  const stdin = new PassThrough();
  let out = '';
  const status: string[] = [];
  const io = { stdin, stdout: { write: (b: Uint8Array | string) => (out += typeof b === 'string' ? b : Buffer.from(b).toString('latin1')) }, status: (l: string) => status.push(l) };
  return { io, stdin, out: () => out, status };
}

async function until(what: string, check: () => boolean): Promise<void> {
  const end = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('dragonfly console NAME', () => {
  it('types a command, shows the answer, and leaves with ~.', async () => {
    const t = terminal();
    const done = runConsole({ url, token: h.token, machine: 'cli-node' }, t.io);
    await until('connected', () => t.status.some((l) => l.includes('connected to the console of cli-node')));
    t.stdin.write('echo from the cli\r');
    await until('the answer', () => t.out().includes('from the cli\r\n$ '));
    t.stdin.write('~.');
    expect(await done).toBe(0);
    expect(t.status).toContain('[left the console of cli-node]');
  });

  it('fails with a clear message without a token', async () => {
    const t = terminal();
    expect(await runConsole({ url, machine: 'cli-node' }, t.io)).toBe(1);
    expect(t.status.join('\n')).toMatch(/HTTP 401 \(pass --token or DRAGONFLY_TOKEN\)/);
  });

  it('says when the machine does not exist', async () => {
    const t = terminal();
    expect(await runConsole({ url, token: h.token, machine: 'nope' }, t.io)).toBe(1);
    expect(t.status.join('\n')).toMatch(/error: .*nope/);
  });
});
