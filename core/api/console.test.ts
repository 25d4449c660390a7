/**
 * The console WebSocket end to end: API → ConsoleHub → native SOL → ipmi_sim on 127.0.0.1 →
 * a loopback TCP "serial port" running a tiny shell.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ConsoleServerMessage } from '../model/console-messages.ts';
import { ConsoleHub } from '../power/console-hub.ts';
import { openMachineConsole } from '../power/console.ts';
import { startIpmiSim, type IpmiSim } from '../power/ipmi/ipmi-sim-harness.ts';
import { startSerialPort, type SerialPort } from '../power/ipmi/serial-port-harness.ts';
import { createHarness, type Harness } from '../testing/api-harness.ts';
import type { Hardware } from '../model/hardware.ts';

let h: Harness;
let consoles: ConsoleHub;
let sim: IpmiSim;
let serial: SerialPort;
let base: string;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  serial = await startSerialPort();
  sim = await startIpmiSim({ sol: serial.device });
  consoles = new ConsoleHub({
    open: async (machine, handlers, takeOver) => {
      const hw = await h.store.get<Hardware>('Hardware', machine);
      return openMachineConsole(hw, (ref) => (ref === 'bmc' ? { username: 'admin', secret: 'secret' } : undefined), handlers, takeOver);
    },
  });
  h = await createHarness({ consoles });
  base = (await h.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws');
  const { host, port } = sim.endpoints[0];
  await h.store.create({ apiVersion: 'dragonfly.computer/v1', kind: 'Hardware', metadata: { name: 'rack1-node1' }, spec: { macs: ['52:54:00:00:20:01'], bmc: { protocol: 'ipmi', address: `${host}:${port}`, credentialRef: 'bmc' } } });
  await h.store.create({ apiVersion: 'dragonfly.computer/v1', kind: 'Hardware', metadata: { name: 'no-bmc' }, spec: { macs: ['52:54:00:00:20:02'] } });
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
});
afterAll(async () => {
  await consoles?.close();
  await h?.close();
  await sim?.stop();
  await serial?.stop();
});

interface Client {
  ws: WebSocket;
  out: () => string;
  messages: ConsoleServerMessage[];
  until(what: string, check: () => boolean): Promise<void>;
}

function connect(path: string, headers: Record<string, string> = h.headers): Promise<Client> {
  const ws = new WebSocket(`${base}${path}`, { headers });
  sockets.push(ws);
  let out = '';
  const messages: ConsoleServerMessage[] = [];
  ws.on('message', (d: Buffer, binary: boolean) => (binary ? (out += d.toString('latin1')) : messages.push(JSON.parse(String(d)))));
  const until = async (what: string, check: () => boolean) => {
    const end = Date.now() + 20_000;
    while (!check()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; output ${JSON.stringify(out)}, messages ${JSON.stringify(messages)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, out: () => out, messages, until }));
    // The refused socket is left open on purpose: the server must close it (afterAll hangs otherwise).
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

describe('console WebSocket', () => {
  it('types a command and reads the answer', async () => {
    const c = await connect('/api/v1/machines/rack1-node1/console');
    await c.until('attached', () => c.messages.some((m) => m.type === 'attached'));
    c.ws.send(Buffer.from('echo over the api\r'));
    await c.until('the answer', () => c.out().includes('over the api\r\n$ '));
  });

  it('shares one console between two viewers; the second sees the scrollback', async () => {
    const a = await connect('/api/v1/machines/rack1-node1/console');
    await a.until('attached', () => a.messages.some((m) => m.type === 'attached'));
    a.ws.send(Buffer.from('echo first viewer\r'));
    await a.until('the answer', () => a.out().includes('first viewer\r\n'));
    const b = await connect('/api/v1/machines/rack1-node1/console');
    await b.until('scrollback', () => b.out().includes('first viewer\r\n'));
    b.ws.send(Buffer.from('echo second viewer\r'));
    await a.until('the other viewer\'s answer', () => a.out().includes('second viewer\r\n'));
  });

  it('refuses without a session, and a cookie from another origin', async () => {
    await expect(connect('/api/v1/machines/rack1-node1/console', {})).rejects.toThrow('HTTP 401');
    const cookie = `df_session=${encodeURIComponent(h.token)}`;
    await expect(connect('/api/v1/machines/rack1-node1/console', { cookie, origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
  });

  it('says clearly when a machine has no BMC', async () => {
    const c = await connect('/api/v1/machines/no-bmc/console');
    await c.until('an error', () => c.messages.length > 0);
    expect(c.messages[0]).toMatchObject({ type: 'error', code: 'DF_ERR_UNAVAILABLE', message: expect.stringMatching(/no BMC configured/) });
  });
});
