/**
 * The rack fan-out scenario's view of the control plane (e2e/lab/scenarios/fanout.sh). Runs
 * inside the lab's server namespace and talks to the control plane on its loopback only.
 *
 *   template --name N --url U --checksum sha256:HEX   a raw image onto /dev/vda, then reboot
 *   fanout on|off                                     the network setting `fanout`
 *   assign --template N --macs M1,M2,...              all machines in ONE request -> workflow names, comma-separated
 *   wait --workflows W1,W2,... [--timeout s]          all Succeeded -> one JSON line: the image2disk action's
 *                                                     span over all machines, and per machine its seconds
 *                                                     and bytes from the control plane and from peers
 *
 * Environment: LAB_API_URL, LAB_TOKEN. Exit 0 + one line on success, 1 + reason on failure.
 */
import { parseArgs } from 'node:util';
import type { Hardware } from '../../../core/model/hardware.ts';
import type { Workflow } from '../../../core/model/workflow.ts';
import { labCall } from '../lab-client.ts';

const call = labCall;

type O = Record<string, string | undefined>;
const need = (o: O, k: string) => {
  const v = o[k];
  if (!v) throw new Error(`--${k} is required`);
  return v;
};
const list = (o: O, k: string) => need(o, k).split(',').filter(Boolean);

/** What the scenario reads back about one machine's imaging. */
interface Imaged {
  workflow: string;
  machine: string;
  startedAt: string;
  finishedAt: string;
  bytesFromServer?: number;
  bytesFromPeers?: number;
}

/** The image2disk span over all machines: first start to last finish, seconds. */
function span(done: Imaged[]): number {
  const start = Math.min(...done.map((d) => Date.parse(d.startedAt)));
  const end = Math.max(...done.map((d) => Date.parse(d.finishedAt)));
  return (end - start) / 1000;
}

function imaged(wf: Workflow): Imaged | string {
  const a = (wf.status?.actions ?? []).find((x) => x.type === 'image2disk');
  if (!a?.startedAt || !a.finishedAt) return `workflow ${wf.metadata.name}: its image2disk action has no start and finish time`;
  return { workflow: wf.metadata.name, machine: wf.spec.hardwareRef, startedAt: a.startedAt, finishedAt: a.finishedAt, bytesFromServer: a.bytesFromServer, bytesFromPeers: a.bytesFromPeers };
}

const commands: Record<string, (o: O, args: string[]) => Promise<string>> = {
  async template(o) {
    const disk = { path: '/dev/vda' };
    const t = {
      apiVersion: 'dragonfly.computer/v1',
      kind: 'Template',
      metadata: { name: need(o, 'name') },
      spec: {
        description: 'Dragonfly lab: rack fan-out, one raw image of incompressible bytes onto the whole disk',
        actionTimeoutSeconds: 1800,
        actions: [
          { name: 'write-image', type: 'image2disk', disk, image: { url: need(o, 'url'), checksum: need(o, 'checksum'), format: 'raw' } },
          { name: 'reboot', type: 'reboot' },
        ],
      },
    };
    const r = await call<{ results: Array<{ name: string; action: string }> }>('POST', '/api/v1/apply', t);
    return r.results.map((x) => `${x.name} ${x.action}`).join(', ');
  },
  async fanout(_o, args) {
    const mode = args[0];
    if (mode !== 'on' && mode !== 'off') throw new Error(`fanout takes on or off (got "${mode ?? ''}")`);
    const s = await call<Record<string, unknown>>('GET', '/api/v1/settings/network');
    const after = await call<{ fanout?: string }>('PUT', '/api/v1/settings/network', { ...s, fanout: mode });
    if ((after.fanout ?? 'on') !== mode) throw new Error(`PUT fanout ${mode} answered fanout ${after.fanout}`);
    return `fanout ${mode}`;
  },
  async assign(o) {
    const { items } = await call<{ items: Hardware[] }>('GET', '/api/v1/hardware');
    const names = list(o, 'macs').map((mac) => {
      const hw = items.find((h) => h.spec.macs.includes(mac));
      if (!hw) throw new Error(`no Hardware object has MAC ${mac}`);
      return hw.metadata.name;
    });
    const r = await call<{ results: Array<{ machine: string; workflow?: string; error?: { code: string; message: string } }> }>('POST', '/api/v1/assign', { template: need(o, 'template'), machines: names });
    const bad = r.results.filter((x) => !x.workflow);
    if (bad.length || r.results.length !== names.length) throw new Error(`assign: ${bad.map((x) => `${x.machine}: ${x.error?.message ?? 'no workflow'}`).join('; ') || `${r.results.length} results for ${names.length} machines`}`);
    return r.results.map((x) => x.workflow).join(',');
  },
  async wait(o) {
    const names = list(o, 'workflows');
    const until = Date.now() + Number(o.timeout ?? 900) * 1000;
    for (;;) {
      const wfs = await Promise.all(names.map((n) => call<Workflow>('GET', `/api/v1/workflows/${n}`)));
      const failed = wfs.find((w) => w.status?.phase === 'Failed' || w.status?.phase === 'TimedOut');
      if (failed) throw new Error(`workflow ${failed.metadata.name} is ${failed.status?.phase}: ${failed.status?.error ?? ''}`);
      if (wfs.every((w) => w.status?.phase === 'Succeeded')) {
        const done = wfs.map(imaged);
        const wrong = done.find((d) => typeof d === 'string');
        if (wrong) throw new Error(wrong as string);
        const d = done as Imaged[];
        return JSON.stringify({ seconds: span(d), machines: d.map((x) => ({ ...x, seconds: (Date.parse(x.finishedAt) - Date.parse(x.startedAt)) / 1000 })) });
      }
      if (Date.now() > until) throw new Error(`after ${o.timeout ?? 900} s: ${wfs.map((w) => `${w.metadata.name} ${w.status?.phase} action ${w.status?.currentAction}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  },
};

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: Object.fromEntries(['name', 'url', 'checksum', 'template', 'macs', 'workflows', 'timeout'].map((k) => [k, { type: 'string' as const }])),
  });
  const cmd = commands[positionals[0] ?? ''];
  if (!cmd) throw new Error(`usage: fanout-api.ts ${Object.keys(commands).join('|')} [--options]`);
  console.log(await cmd(values as O, positionals.slice(1)));
}

main().catch((e: Error) => {
  console.log(e.message);
  console.error(e.message);
  process.exit(1);
});
