/**
 * The console WebSocket end to end: API → ConsoleHub → native SOL → ipmi_sim on 127.0.0.1 →
 * a loopback TCP "serial port" running a tiny shell.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ConsoleServerMessage } from '../contract/console.ts';
import { ConsoleHub } from '../power/console-hub.ts';
import { BootConsoleLogs } from '../power/boot-console-log.ts';
import { recordProvisioningConsoles } from '../fleet/console-control.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMachineConsole } from '../power/console.ts';
import { startIpmiSim, type IpmiSim } from '../power/ipmi/testing/ipmi-sim-harness.ts';
import { startSerialPort, type SerialPort } from '../power/ipmi/testing/serial-port-harness.ts';
import { createHarness, type Harness } from '../testing/api-harness.ts';
import type { Hardware } from '../model/hardware.ts';

let h: Harness;
let consoles: ConsoleHub;
let bootLogs: BootConsoleLogs;
let unwatch: () => void;
const logDir = mkdtempSync(join(tmpdir(), 'df-bootlogs-'));
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
  bootLogs = new BootConsoleLogs({ hub: consoles, dir: logDir, maxBytes: 4096, keep: 2, retryMs: 200 });
  h = await createHarness({ consoles, bootLogs });
  base = (await h.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws');
  const { host, port } = sim.endpoints[0];
  await h.store.create({ apiVersion: 'dragonfly.computer/v1', kind: 'Hardware', metadata: { name: 'rack1-node1' }, spec: { macs: ['52:54:00:00:20:01'], bmc: { protocol: 'ipmi', address: `${host}:${port}`, credentialRef: 'bmc' } } });
  await h.store.create({ apiVersion: 'dragonfly.computer/v1', kind: 'Hardware', metadata: { name: 'no-bmc' }, spec: { macs: ['52:54:00:00:20:02'] } });
  unwatch = await recordProvisioningConsoles(h.store, bootLogs);
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
});
afterAll(async () => {
  unwatch?.();
  await bootLogs?.close();
  await consoles?.close();
  rmSync(logDir, { recursive: true, force: true });
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

function connect(path: string, headers: Record<string, string> = h.headers, protocols: string[] = []): Promise<Client> {
  const ws = new WebSocket(`${base}${path}`, protocols, { headers });
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

  it('takes a bearer token offered as a subprotocol (browsers cannot set headers), and never echoes it', async () => {
    const c = await connect('/api/v1/machines/rack1-node1/console', {}, ['dragonfly.console', `dragonfly.bearer.${h.token}`]);
    await c.until('attached', () => c.messages.some((m) => m.type === 'attached'));
    expect(c.ws.protocol).toBe('dragonfly.console');
    await expect(connect('/api/v1/machines/rack1-node1/console', {}, ['dragonfly.console', 'dragonfly.bearer.dfs_wrong'])).rejects.toThrow('HTTP 401');
  });

  it('says clearly when a machine has no BMC', async () => {
    const c = await connect('/api/v1/machines/no-bmc/console');
    await c.until('an error', () => c.messages.length > 0);
    expect(c.messages[0]).toMatchObject({ type: 'error', code: 'DF_ERR_UNAVAILABLE', message: expect.stringMatching(/no BMC configured/) });
  });
});

async function setState(name: string, state: 'Provisioning' | 'Ready', workflow: string): Promise<void> {
  const hw = await h.store.get<Hardware>('Hardware', name);
  await h.store.update({ ...hw, status: { ...hw.status, state, currentWorkflow: workflow } });
}

async function logText(machine: string, boot: string): Promise<string> {
  const res = await h.app.inject({ url: `/api/v1/machines/${machine}/console-logs/${boot}`, headers: h.headers });
  return res.statusCode === 200 ? res.body : '';
}

async function pollFor(what: string, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('boot console logs', () => {
  it('records what the machine prints while it provisions, per workflow, and stops after', async () => {
    await setState('rack1-node1', 'Provisioning', 'wf-one');
    await pollFor('recording to start', async () => consoles.open.includes('rack1-node1'));
    // The machine keeps printing; what it prints before SOL is active is lost, as on a real BMC.
    await pollFor('the agent line in the log', async () => {
      serial.print('dragonfly-agent: partitioning /dev/vda\r\n');
      return (await logText('rack1-node1', 'wf-one')).includes('partitioning /dev/vda');
    });
    await setState('rack1-node1', 'Ready', 'wf-one');
    await pollFor('recording to stop', async () => !consoles.open.includes('rack1-node1'));
    serial.print('login: ');
    await new Promise((r) => setTimeout(r, 300));
    expect(await logText('rack1-node1', 'wf-one')).not.toContain('login:');
    const list = await h.app.inject({ url: '/api/v1/machines/rack1-node1/console-logs', headers: h.headers });
    expect(list.json().items.map((i: { boot: string }) => i.boot)).toEqual(['wf-one']);
  });

  it('caps a log at its size limit and keeps only the newest boots', async () => {
    await setState('rack1-node1', 'Provisioning', 'wf-two');
    await pollFor('recording to start', async () => consoles.open.includes('rack1-node1'));
    await pollFor('the limit note', async () => {
      serial.print('x'.repeat(1000));
      return (await logText('rack1-node1', 'wf-two')).includes('log limit of 4096 bytes reached');
    });
    await setState('rack1-node1', 'Provisioning', 'wf-three');
    await pollFor('a third log', async () => (await h.app.inject({ url: '/api/v1/machines/rack1-node1/console-logs', headers: h.headers })).json().items.length === 2);
    const boots = (await h.app.inject({ url: '/api/v1/machines/rack1-node1/console-logs', headers: h.headers })).json().items.map((i: { boot: string }) => i.boot);
    expect(boots.sort()).toEqual(['wf-three', 'wf-two']);
    expect((await logText('rack1-node1', 'wf-two')).length).toBeLessThan(4096 + 200);
    await setState('rack1-node1', 'Ready', 'wf-three');
  });

  it('answers a bad boot name with a clear error', async () => {
    const res = await h.app.inject({ url: '/api/v1/machines/rack1-node1/console-logs/..%2Fsecrets', headers: h.headers });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/not a boot log name/);
  });
});
