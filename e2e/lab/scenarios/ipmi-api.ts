/**
 * The IPMI and site hand-off scenarios' view of the control plane (60-ipmi-power.sh,
 * 70-unplugged.sh). Runs inside the lab's server namespace; talks to the API on loopback only.
 *
 *   bmc --name N --mac M --address HOST:PORT --credential C --username U --secret S
 *       stores the credential (POST /api/v1/credentials), then creates the machine with its MAC
 *       and BMC reference (POST /api/v1/hardware), or patches the BMC onto an existing one
 *       (PATCH /api/v1/hardware/N). Fails if the secret can be read back anywhere in the API.
 *   power --name N --action on|off|cycle|reset|status   -> prints the state the BMC reports
 *   ready --mac M                                         -> "NAME Ready" or fails with the state
 *   template-noseed --name N --url U --checksum sha256:HEX
 *       the lab template without its writefile seed (image2disk, reboot): for IPMI_NO_SEED=1
 *
 * Environment: LAB_API_URL, LAB_TOKEN. Exit 0 + one summary line, or 1 + the reason.
 */
import { parseArgs } from 'node:util';
import type { Hardware } from '../../../core/model/hardware.ts';

const API = process.env.LAB_API_URL ?? 'http://127.0.0.1:8080';
const TOKEN = process.env.LAB_TOKEN ?? '';

async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T; text: string }> {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : {}) as T, text };
}

async function ok<T>(method: string, path: string, body?: unknown): Promise<T> {
  const r = await call<T>(method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path} answered ${r.status}: ${r.text.slice(0, 300)}`);
  return r.json;
}

type O = Record<string, string | undefined>;
const need = (o: O, k: string) => {
  const v = o[k];
  if (!v) throw new Error(`--${k} is required`);
  return v;
};

const commands: Record<string, (o: O) => Promise<string>> = {
  async bmc(o) {
    const name = need(o, 'name');
    const secret = need(o, 'secret');
    const bmc = { protocol: 'ipmi' as const, address: need(o, 'address'), credentialRef: need(o, 'credential') };
    await ok('POST', '/api/v1/credentials', { name: bmc.credentialRef, username: need(o, 'username'), secret });
    const existing = await call<Hardware>('GET', `/api/v1/hardware/${name}`);
    let how: string;
    if (existing.status === 404) {
      await ok('POST', '/api/v1/hardware', { apiVersion: 'dragonfly.computer/v1', kind: 'Hardware', metadata: { name }, spec: { macs: [need(o, 'mac')], bmc } });
      how = 'created';
    } else {
      await ok('PATCH', `/api/v1/hardware/${name}`, { spec: { bmc } });
      how = 'patched';
    }
    // The credential is write-only: neither its listing nor the machine may carry the secret.
    const creds = await call('GET', '/api/v1/credentials');
    const hw = await call<Hardware>('GET', `/api/v1/hardware/${name}`);
    if (creds.text.includes(secret) || hw.text.includes(secret)) throw new Error('the BMC secret can be read back through the API');
    if (hw.json.spec.bmc?.address !== bmc.address) throw new Error(`${name} has BMC ${JSON.stringify(hw.json.spec.bmc)}`);
    return `credential ${bmc.credentialRef} stored (not readable back); ${name} ${how} with BMC ipmi ${bmc.address}`;
  },
  async power(o) {
    const r = await ok<{ state: string }>('POST', `/api/v1/hardware/${need(o, 'name')}/power`, { action: need(o, 'action') });
    return r.state;
  },
  async 'template-noseed'(o) {
    const t = {
      apiVersion: 'dragonfly.computer/v1',
      kind: 'Template',
      metadata: { name: need(o, 'name') },
      spec: {
        description: 'Dragonfly lab: the lab disk image, no seed file (the IPMI scenario with IPMI_NO_SEED=1)',
        actionTimeoutSeconds: 600,
        actions: [
          { name: 'write-image', type: 'image2disk', disk: { path: '/dev/vda' }, image: { url: need(o, 'url'), checksum: need(o, 'checksum'), format: 'zst' } },
          { name: 'reboot', type: 'reboot' },
        ],
      },
    };
    const r = await ok<{ results: Array<{ name: string; action: string }> }>('POST', '/api/v1/apply', t);
    return r.results.map((x) => `${x.name} ${x.action}`).join(', ');
  },
  async ready(o) {
    const mac = need(o, 'mac');
    const { items } = await ok<{ items: Hardware[] }>('GET', '/api/v1/hardware');
    const hw = items.find((h) => h.spec.macs.includes(mac));
    if (!hw) throw new Error(`no machine with MAC ${mac} among ${items.length}`);
    if (hw.status?.state !== 'Ready') throw new Error(`${hw.metadata.name} is ${hw.status?.state}`);
    return `${hw.metadata.name} Ready (of ${items.length} machine(s); ${hw.status.bootHistory?.length ?? 0} timeline steps kept)`;
  },
};

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: Object.fromEntries(['name', 'mac', 'address', 'credential', 'username', 'secret', 'action', 'url', 'checksum'].map((k) => [k, { type: 'string' as const }])),
  });
  const cmd = commands[positionals[0] ?? ''];
  if (!cmd) throw new Error(`usage: ipmi-api.ts ${Object.keys(commands).join('|')} [--options]`);
  console.log(await cmd(values as O));
}

main().catch((e: Error) => {
  console.log(e.message);
  console.error(e.message);
  process.exit(1);
});
