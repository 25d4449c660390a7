/**
 * A simulated machine that speaks the agent protocol over HTTP (loopback only): it fetches
 * its boot script to learn the enrolment token, registers its hardware, and later reports
 * per-action progress, exactly as the real agent does.
 */
import type { WorkflowEvent } from '../../core/contract/agent.ts';

export interface SimFacts {
  cores: number;
  memoryGiB: number;
  diskGiB: number[];
  /** DMI system serial; default one derived from the MAC (another one plays an impostor). */
  serial?: string;
}

export class SimAgent {
  hardware = '';
  displayName = '';
  private token = '';

  constructor(
    readonly baseUrl: string,
    readonly mac: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** PXE boot (script fetch) then agent registration with the given hardware. */
  async register(f: SimFacts = { cores: 16, memoryGiB: 64, diskGiB: [480, 1920] }): Promise<string> {
    const script = await (await fetch(`${this.baseUrl}/boot/ipxe?mac=${this.mac}&platform=efi`)).text();
    const token = /dragonfly\.token=(\S+)/.exec(script)?.[1];
    if (!token) throw new Error(`no enrolment token in the boot script:\n${script}`);
    this.token = token;
    const facts = {
      cpu: { model: 'Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz', sockets: 1, cores: f.cores, threads: f.cores * 2, arch: 'x86_64' },
      memoryBytes: f.memoryGiB * 2 ** 30,
      disks: f.diskGiB.map((g, i) => ({
        name: `nvme${i}n1`,
        path: `/dev/nvme${i}n1`,
        sizeBytes: g * 10 ** 9,
        model: 'SAMSUNG MZQL2960HCJR',
        serial: `S64F${this.mac.replace(/:/g, '').slice(-6)}${i}`,
        transport: 'nvme',
        rotational: false,
        removable: false,
      })),
      nics: [{ name: 'eno1', mac: this.mac, link: 'up', speedMbps: 25000 }],
      dmi: { vendor: 'Supermicro', product: 'SYS-1029U', serial: f.serial ?? `SM${this.mac.replace(/:/g, '').slice(-6)}` },
      firmware: 'uefi',
      secureBoot: true,
    };
    const r = await this.call<{ hardware: string; displayName: string; agentToken: string }>('POST', '/api/agent/v1/register', { mac: this.mac, facts });
    this.hardware = r.hardware;
    this.displayName = r.displayName;
    this.token = r.agentToken;
    return r.hardware;
  }

  /** `running`: the workflow this agent is running, as the real agent says it, so the reply can cancel it. */
  /** Like the real agent, it goes on with the token a heartbeat hands out (bound to the machine's current run). */
  async heartbeat(running?: string): Promise<{ next: { action: string; workflow?: string }; cancelled?: { workflow: string; reason: string } }> {
    const r = await this.call<{ next: { action: string; workflow?: string }; cancelled?: { workflow: string; reason: string }; agentToken?: string }>(
      'POST',
      '/api/agent/v1/heartbeat',
      running ? { mac: this.mac, workflow: running } : { mac: this.mac },
    );
    if (r.agentToken) this.token = r.agentToken;
    return r;
  }

  async workflow(name: string): Promise<{ actions: { name: string; type: string }[] }> {
    return this.call('GET', `/api/agent/v1/workflows/${name}`);
  }

  async report(workflow: string, ev: WorkflowEvent) {
    return this.call('POST', `/api/agent/v1/workflows/${workflow}/events`, ev);
  }
}

/** An operator-side client (admin session token) for setup steps the UI test does not click through. */
export async function operatorToken(baseUrl: string, password: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
  if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

export async function operatorCall<T>(baseUrl: string, token: string, method: string, path: string, body?: string | object, contentType = 'application/json'): Promise<T> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': contentType } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export const demoTemplate = `apiVersion: dragonfly.computer/v1
kind: Template
metadata:
  name: debian-12
spec:
  description: Debian 12 (bookworm) on the smallest NVMe disk
  os: debian-12
  actions:
    - name: write-image
      type: image2disk
      disk:
        rule: { pick: smallest }
      image:
        url: cache:debian-12-generic-amd64.raw.zst
        checksum: sha256:3b5f0a1c9e2d4f6a8b0c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f708
        format: zst
    - name: hostname
      type: writefile
      disk:
        rule: { pick: smallest }
      partition: 1
      path: /etc/hostname
      content: "{{ hostname }}"
    - name: reboot
      type: reboot
`;
