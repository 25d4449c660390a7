/**
 * The IPMI scenario's view of a machine's console through the API (60-ipmi-power.sh). Runs in
 * the lab's server namespace and talks to the control plane on loopback only.
 *
 *   type --name N --text T
 *       joins N's console (the WebSocket the UI and CLI use) and types T, as an operator would
 *   boot-log --name N --workflow W --started ISO [--absent T]
 *       the console recorded during workflow W's boot: listed under N's console logs, holds the
 *       firmware's lines (iPXE) and the agent's (dragonfly-init, dragonfly-agent), the
 *       boot timeline has steps since ISO, and T (something typed) is nowhere in the log
 *
 * Environment: LAB_API_URL, LAB_TOKEN. Exit 0 + one summary line, or 1 + the reason.
 */
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import type { ConsoleServerMessage } from '../../../core/contract/console.ts';
import type { Hardware } from '../../../core/model/hardware.ts';

const API = process.env.LAB_API_URL ?? 'http://127.0.0.1:8080';
const TOKEN = process.env.LAB_TOKEN ?? '';

async function get(path: string): Promise<string> {
  const res = await fetch(`${API}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`GET ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

type O = Record<string, string | undefined>;
const need = (o: O, k: string) => {
  const v = o[k];
  if (!v) throw new Error(`--${k} is required`);
  return v;
};

/** Types `text` into the console once the server says it is attached; resolves when sent. */
function typeInto(name: string, text: string): Promise<string> {
  const url = `${API.replace(/^http/, 'ws')}/api/v1/machines/${encodeURIComponent(name)}/console`;
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`console of ${name}: not attached within 30 s`)), 30_000);
    ws.on('error', (e) => reject(new Error(`console of ${name}: ${e.message}`)));
    ws.on('message', (d: Buffer, binary: boolean) => {
      if (binary) return;
      const m = JSON.parse(String(d)) as ConsoleServerMessage;
      if (m.type === 'error' || m.type === 'ended') reject(new Error(`console of ${name}: ${m.message}`));
      if (m.type !== 'attached') return;
      ws.send(Buffer.from(text), { binary: true }, () => {
        clearTimeout(timer);
        ws.close(1000);
        resolve(`typed ${text.length} characters into ${name}'s console`);
      });
    });
  });
}

// iPXE runs for many seconds; SeaBIOS's banner may come before the recorder's SOL is active.
const FIRMWARE = ['iPXE'];
const AGENT = ['dragonfly-init: agent image', 'dragonfly-agent: '];

async function bootLog(o: O): Promise<string> {
  const name = need(o, 'name');
  const workflow = need(o, 'workflow');
  const started = need(o, 'started');
  const base = `/api/v1/machines/${encodeURIComponent(name)}/console-logs`;
  const { items } = JSON.parse(await get(base)) as { items: Array<{ boot: string; bytes: number }> };
  const entry = items.find((i) => i.boot === workflow);
  if (!entry) throw new Error(`no console log of boot ${workflow}; listed: [${items.map((i) => i.boot).join(', ')}]`);
  const log = await get(`${base}/${encodeURIComponent(workflow)}`);
  const missing = [...FIRMWARE, ...AGENT].filter((w) => !log.includes(w));
  if (missing.length) throw new Error(`the log of ${workflow} (${log.length} bytes) lacks ${missing.map((w) => `"${w}"`).join(', ')}; ends: ${JSON.stringify(log.slice(-200))}`);
  const absent = o.absent;
  if (absent && log.includes(absent)) throw new Error(`the log of ${workflow} holds what was typed ("${absent}")`);
  const hw = JSON.parse(await get(`/api/v1/hardware/${encodeURIComponent(name)}`)) as Hardware;
  const steps = (hw.status?.bootHistory ?? []).filter((s) => s.at >= started);
  if (!steps.length) throw new Error(`${name}'s boot timeline has no step since ${started}`);
  const agentLines = log.split('\n').filter((l) => AGENT.some((w) => l.includes(w))).length;
  const seabios = log.includes('SeaBIOS (version') ? 'SeaBIOS, ' : '';
  return `console log ${workflow}: ${entry.bytes} bytes, firmware (${seabios}${FIRMWARE.join(', ')}) and ${agentLines} agent lines, ` +
    `${absent ? 'not what was typed, ' : ''}beside ${steps.length} timeline steps (${[...new Set(steps.map((s) => s.step))].join(' ')})`;
}

const commands: Record<string, (o: O) => Promise<string>> = {
  type: (o) => typeInto(need(o, 'name'), need(o, 'text')),
  'boot-log': bootLog,
};

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: Object.fromEntries(['name', 'text', 'workflow', 'started', 'absent'].map((k) => [k, { type: 'string' as const }])),
  });
  const cmd = commands[positionals[0] ?? ''];
  if (!cmd) throw new Error(`usage: console-api.ts ${Object.keys(commands).join('|')} [--options]`);
  console.log(await cmd(values as O));
}

main().catch((e: Error) => {
  console.log(e.message);
  process.exit(1);
});
