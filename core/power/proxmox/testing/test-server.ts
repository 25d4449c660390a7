/**
 * A Proxmox VE API for tests. Every request is first checked against the OpenAPI description
 * in core/testing/fixtures/proxmox/pve-openapi.json: an unknown
 * path or method answers 501 as PVE does, bad or unknown parameters 400 with PVE's `errors`
 * shape. Then a small in-memory cluster answers: nodes, VMs, configs with digests, power
 * actions as tasks (UPIDs), task status. API tokens are checked (401 otherwise).
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { fixtureFile } from '../../../testing/fixture-files.ts';
import { checkParams, PveApiSpec } from '../openapi-check.ts';

export const pveOpenApiFile = fixtureFile('proxmox', 'pve-openapi.json');

export interface TestVm {
  vmid: number;
  running?: boolean;
  template?: boolean;
  /** qm.conf keys: name, net0, scsi0, boot, ... */
  config: Record<string, string | number>;
}

export interface ProxmoxTestServerOptions {
  /** Cluster name; null for a standalone node. Default "lab". */
  cluster?: string | null;
  nodes: { node: string; online?: boolean; vms: TestVm[] }[];
  /** Accepted tokens: "USER@REALM!TOKENID" -> secret. */
  tokens: Record<string, string>;
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** How many status polls a task stays "running" before it stops; default 1. */
  taskRunningPolls?: number;
}

export interface ProxmoxRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  status: number;
}

export interface ProxmoxTestServer {
  url: string;
  requests: ProxmoxRequest[];
  vm(vmid: number): TestVm & { node: string };
  close(): Promise<void>;
}

let cachedSpec: PveApiSpec | undefined;

class Reply {
  constructor(readonly status: number, readonly message: string, readonly body: unknown) {}
}
const ok = (data: unknown) => new Reply(200, 'OK', { data });
const fail = (status: number, message: string, errors?: Record<string, string>) => new Reply(status, message, { data: null, ...(errors ? { errors } : {}) });

export async function startProxmoxTestServer(opts: ProxmoxTestServerOptions): Promise<ProxmoxTestServer> {
  const spec = (cachedSpec ??= PveApiSpec.load(pveOpenApiFile));
  const cluster = new Cluster(opts);
  const requests: ProxmoxRequest[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const method = req.method ?? 'GET';
      const params = { ...Object.fromEntries(url.searchParams), ...parseBody(req.headers['content-type'], Buffer.concat(chunks).toString('utf8')) };
      const apiPath = url.pathname.replace(/^\/api2\/json/, '');
      let reply: Reply;
      try {
        reply = answer(spec, cluster, opts.tokens, req.headers.authorization, method, apiPath, params);
      } catch (e) {
        reply = fail(500, (e as Error).message);
      }
      requests.push({ method, path: safeDecode(apiPath), params, status: reply.status });
      const text = JSON.stringify(reply.body);
      res.writeHead(reply.status, reply.message, { 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    });
  };
  const server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    vm: (vmid) => cluster.find(vmid),
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

function answer(
  spec: PveApiSpec,
  cluster: Cluster,
  tokens: Record<string, string>,
  authorization: string | undefined,
  method: string,
  apiPath: string,
  params: Record<string, string>,
): Reply {
  if (!tokenValid(tokens, authorization)) return fail(401, 'No ticket');
  const match = spec.match(method, apiPath);
  if (!match.ok) return fail(501, `Method '${method} ${apiPath}' not implemented`);
  const all = { ...params, ...match.pathParams };
  const errors = checkParams(match.operation, all);
  if (Object.keys(errors).length > 0) return fail(400, 'Parameter verification failed.', errors);
  return cluster.route(method, match.template, all) ?? fail(501, `'${method} ${match.template}' is in the API but not simulated by the test server`);
}

/** "PVEAPIToken=USER@REALM!TOKENID=SECRET" (PVE API tokens, pveum(1)). */
function tokenValid(tokens: Record<string, string>, header: string | undefined): boolean {
  const m = /^PVEAPIToken=([^=\s]+)=(\S+)$/.exec(header ?? '');
  return m !== null && Object.prototype.hasOwnProperty.call(tokens, m[1]) && tokens[m[1]] === m[2];
}

function parseBody(contentType: string | undefined, text: string): Record<string, string> {
  if (text === '') return {};
  if (contentType?.startsWith('application/json')) {
    const obj = JSON.parse(text) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v)]));
  }
  return Object.fromEntries(new URLSearchParams(text));
}

class Cluster {
  private readonly opts: ProxmoxTestServerOptions;
  private readonly tasks = new Map<string, { polls: number; exitstatus: string; node: string }>();
  private taskCounter = 0;

  constructor(opts: ProxmoxTestServerOptions) {
    this.opts = opts;
  }

  find(vmid: number): TestVm & { node: string } {
    for (const n of this.opts.nodes) {
      const vm = n.vms.find((v) => v.vmid === vmid);
      if (vm) return Object.assign(vm, { node: n.node });
    }
    throw new Error(`Configuration file 'nodes/*/qemu-server/${vmid}.conf' does not exist`);
  }

  route(method: string, template: string, p: Record<string, string>): Reply | undefined {
    const key = `${method} ${template}`;
    if (key === 'GET /nodes') return ok(this.opts.nodes.map((n) => ({ node: n.node, status: n.online === false ? 'offline' : 'online', type: 'node' })));
    if (key === 'GET /cluster/status') return ok(this.clusterStatus());
    if (key === 'GET /nodes/{node}/qemu') return ok(this.node(p.node).vms.map((v) => ({ vmid: v.vmid, name: v.config.name, status: v.running ? 'running' : 'stopped', template: v.template ? 1 : undefined })));
    if (key === 'GET /nodes/{node}/tasks/{upid}/status') return this.taskStatus(p.upid);
    const vm = template.startsWith('/nodes/{node}/qemu/{vmid}/') ? this.vmOn(p.node, Number(p.vmid)) : undefined;
    if (!vm) return undefined;
    if (key === 'GET /nodes/{node}/qemu/{vmid}/config') return ok({ ...vm.config, digest: digest(vm.config) });
    if (key === 'PUT /nodes/{node}/qemu/{vmid}/config') return this.updateConfig(vm, p, false);
    if (key === 'POST /nodes/{node}/qemu/{vmid}/config') return this.updateConfig(vm, p, true);
    if (key === 'GET /nodes/{node}/qemu/{vmid}/status/current') return ok({ vmid: vm.vmid, name: vm.config.name, status: vm.running ? 'running' : 'stopped', qmpstatus: vm.running ? 'running' : 'stopped' });
    const action = /^POST \/nodes\/\{node\}\/qemu\/\{vmid\}\/status\/(start|stop|shutdown|reboot|reset)$/.exec(key)?.[1];
    return action ? this.power(vm, action) : undefined;
  }

  private clusterStatus(): unknown[] {
    const nodes = this.opts.nodes.map((n, i) => ({ type: 'node', id: `node/${n.node}`, name: n.node, nodeid: i + 1, online: n.online !== false, local: i === 0 }));
    const name = this.opts.cluster === undefined ? 'lab' : this.opts.cluster;
    return name === null ? nodes : [{ type: 'cluster', id: 'cluster', name, nodes: nodes.length, quorate: true, version: 3 }, ...nodes];
  }

  private node(name: string) {
    const n = this.opts.nodes.find((x) => x.node === name);
    if (!n) throw new Error(`hostname lookup '${name}' failed - failed to get address info for: ${name}`);
    return n;
  }

  private vmOn(node: string, vmid: number): TestVm {
    const vm = this.node(node).vms.find((v) => v.vmid === vmid);
    if (!vm) throw new Error(`Configuration file 'nodes/${node}/qemu-server/${vmid}.conf' does not exist`);
    return vm;
  }

  private updateConfig(vm: TestVm, p: Record<string, string>, asTask: boolean): Reply {
    if (p.digest !== undefined && p.digest !== digest(vm.config)) {
      return fail(500, 'detected modified configuration - file changed by other user? Try again.');
    }
    const { node: _n, vmid: _v, digest: _d, delete: del, ...changes } = p;
    if (changes.boot?.startsWith('order=')) {
      const missing = changes.boot.slice(6).split(';').find((dev) => !(dev in vm.config));
      if (missing) return fail(400, 'Parameter verification failed.', { boot: `invalid bootorder: device '${missing}' does not exist'` });
    }
    for (const k of del?.split(/[,;\s]+/).filter(Boolean) ?? []) delete vm.config[k];
    Object.assign(vm.config, changes);
    return ok(asTask ? this.newTask(vm, 'qmconfig', 'OK') : null);
  }

  /** qm(1) semantics: start needs a stopped VM, shutdown/reboot/reset a running one. */
  private power(vm: TestVm, action: string): Reply {
    if (action === 'start' && vm.running) return fail(500, `VM ${vm.vmid} already running`);
    if (action !== 'start' && action !== 'stop' && !vm.running) return fail(500, `VM ${vm.vmid} not running`);
    if (vm.template) return fail(500, `you can't start a vm if it's a template`);
    vm.running = action === 'stop' || action === 'shutdown' ? false : true;
    return ok(this.newTask(vm, `qm${action}`, 'OK'));
  }

  private newTask(vm: TestVm, type: string, exitstatus: string): string {
    const node = (vm as TestVm & { node?: string }).node ?? this.opts.nodes.find((n) => n.vms.includes(vm))!.node;
    const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');
    const upid = `UPID:${node}:${hex(4000 + ++this.taskCounter, 8)}:${hex(this.taskCounter, 8)}:${hex(Math.floor(Date.now() / 1000), 8)}:${type}:${vm.vmid}:root@pam!dragonfly:`;
    this.tasks.set(upid, { polls: 0, exitstatus, node });
    return upid;
  }

  private taskStatus(upid: string): Reply {
    const t = this.tasks.get(upid);
    if (!t) return fail(500, `unable to parse worker upid '${upid}'`);
    const running = t.polls++ < (this.opts.taskRunningPolls ?? 1);
    return ok({ upid, node: t.node, status: running ? 'running' : 'stopped', ...(running ? {} : { exitstatus: t.exitstatus }), type: upid.split(':')[5], id: upid.split(':')[6], user: 'root@pam', pid: 1, pstart: 1, starttime: 1 });
  }
}

/** PVE's config digest is the SHA-1 of the config file; here of its JSON, which serves the same purpose. */
function digest(config: Record<string, unknown>): string {
  return createHash('sha1').update(JSON.stringify(config)).digest('hex');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
