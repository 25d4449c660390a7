import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

/**
 * A tiny stand-in for the control plane's UI-facing API, for renderer development
 * (`vite` proxies /api here) and for bench/ui.bench.ts, which needs 10,000 machines and a
 * firehose of progress events that the real control plane cannot produce on two cores.
 * Never used by the e2e tests, which run against the real control plane.
 *
 *   node --import tsx e2e/ui/stub-server.ts --port 8088 --machines 200 --rate 20
 */
export interface StubOptions {
  port?: number;
  machines: number;
  /** Change events per second on /api/v1/events; 0 = none. */
  rate: number;
  /** Directory of the built renderer to serve at `/`; default dist/renderer. */
  uiDir?: string;
}

const states = ['Registered', 'Registered', 'Provisioning', 'Provisioning', 'Ready', 'Assigned', 'Error', 'Discovered'] as const;
const words = ['amber', 'falcon', 'orbit', 'quiet', 'river', 'stone', 'cedar', 'harbor', 'lumen', 'north', 'pixel', 'raven', 'solar', 'tidal', 'velvet', 'willow'];

function mac(i: number): string {
  return ['52', '54', '00', (i >> 16) & 255, (i >> 8) & 255, i & 255].map((b) => (typeof b === 'string' ? b : b.toString(16).padStart(2, '0'))).join(':');
}

function nameOf(i: number): string {
  return `${words[i % 16]}-${words[(i >> 4) % 16]}-${words[(i >> 8) % 16]}-${i}`;
}

function hardware(i: number) {
  const state = states[i % states.length];
  return {
    apiVersion: 'dragonfly.computer/v1',
    kind: 'Hardware',
    metadata: { name: nameOf(i), resourceVersion: '1', labels: { rack: `r${i % 40}` } },
    spec: {
      macs: [mac(i)],
      displayName: nameOf(i).split('-').slice(0, 3).map((w) => w[0].toUpperCase() + w.slice(1)).join(' ') + ` ${i}`,
      tags: i % 5 === 0 ? ['gpu'] : [],
      facts: {
        cpu: { model: 'AMD EPYC 7443P 24-Core Processor', sockets: 1, cores: 24, threads: 48, arch: 'x86_64' },
        memoryBytes: 256 * 2 ** 30,
        disks: [{ name: 'nvme0n1', path: '/dev/nvme0n1', sizeBytes: 1.92e12 }],
        nics: [{ name: 'eno1', mac: mac(i) }],
        dmi: { vendor: 'Dell Inc.', product: 'PowerEdge R6525', serial: `SRV${i}` },
        firmware: 'uefi',
      },
    },
    status: { state, currentWorkflow: state === 'Provisioning' ? `wf-${i}` : undefined, ipAddress: `10.20.${(i >> 8) & 255}.${i & 255}` },
  };
}

function workflow(i: number, percent: number, rv: number) {
  return {
    apiVersion: 'dragonfly.computer/v1',
    kind: 'Workflow',
    metadata: { name: `wf-${i}`, resourceVersion: String(rv), creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { hardwareRef: nameOf(i), templateRef: 'debian-12' },
    status: {
      phase: 'Running',
      currentAction: 0,
      actions: [
        { name: 'write-image', type: 'image2disk', phase: 'Running', percent, bytesDone: Math.round(percent * 4e7), bytesTotal: 4e9 },
        { name: 'reboot', type: 'reboot', phase: 'Pending' },
      ],
    },
  };
}

const template = {
  apiVersion: 'dragonfly.computer/v1',
  kind: 'Template',
  metadata: { name: 'debian-12', resourceVersion: '1' },
  spec: { description: 'Debian 12', actions: [{ name: 'reboot', type: 'reboot' }] },
};

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

export async function startStubServer(opts: StubOptions): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const uiDir = opts.uiDir ?? new URL('../../dist/renderer/', import.meta.url).pathname;
  const provisioning = Array.from({ length: opts.machines }, (_, i) => i).filter((i) => states[i % states.length] === 'Provisioning');
  const hwList = JSON.stringify({ items: Array.from({ length: opts.machines }, (_, i) => hardware(i)), revision: 1 });
  const wfList = JSON.stringify({ items: provisioning.map((i) => workflow(i, 0, 1)), revision: 1 });
  let revision = 1;
  const streams = new Set<ServerResponse>();
  const json = (res: ServerResponse, body: string) => res.writeHead(200, { 'content-type': 'application/json' }).end(body);

  const timer =
    opts.rate > 0 && provisioning.length > 0
      ? setInterval(() => {
          // Events are sent in 10 ms slices so the rate is smooth rather than one burst a second.
          const n = Math.max(1, Math.round(opts.rate / 100));
          let chunk = '';
          for (let k = 0; k < n; k++) {
            revision++;
            const i = provisioning[revision % provisioning.length];
            const ev = { type: 'MODIFIED', kind: 'Workflow', object: workflow(i, (revision / provisioning.length) % 100, revision), revision };
            chunk += `id: ${revision}\nevent: change\ndata: ${JSON.stringify(ev)}\n\n`;
          }
          for (const s of streams) s.write(chunk);
        }, 10)
      : undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/api/v1/auth/whoami') return json(res, '{"user":"admin","via":"session"}');
    if (path === '/api/v1/auth/login') return json(res, '{"token":"stub","expiresAt":"2099-01-01T00:00:00Z"}');
    if (path === '/api/v1/hardware') return json(res, hwList);
    if (path === '/api/v1/workflows') return json(res, wfList);
    if (path === '/api/v1/templates') return json(res, JSON.stringify({ items: [template], revision: 1 }));
    if (path === '/api/v1/rules') return json(res, JSON.stringify({ items: [], revision: 1 }));
    if (path === '/api/v1/status') {
      return json(res, JSON.stringify({ version: 'stub', backend: 'memory', services: { http: { ok: true, detail: 'stub' }, dhcp: { ok: true, detail: 'off' }, tftp: { ok: true, detail: 'off' } }, counts: { byState: {} } }));
    }
    if (path === '/api/v1/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('retry: 2000\n: stub\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (path.startsWith('/api/')) return res.writeHead(404, { 'content-type': 'application/json' }).end('{"code":"DF_ERR_NOT_FOUND","message":"not in the stub"}');
    const file = normalize(join(uiDir, path === '/' ? 'index.html' : path));
    if (!file.startsWith(uiDir)) return res.writeHead(403).end();
    const body = await readFile(file).catch(() => undefined);
    if (body) res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    else res.writeHead(404).end();
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: async () => {
      if (timer) clearInterval(timer);
      for (const s of streams) s.end();
      await new Promise((r) => server.close(r));
    },
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  const arg = (k: string, d: number) => Number(process.argv[process.argv.indexOf(`--${k}`) + 1] ?? d) || d;
  const has = (k: string) => process.argv.includes(`--${k}`);
  const s = await startStubServer({ port: has('port') ? arg('port', 8088) : 8088, machines: has('machines') ? arg('machines', 200) : 200, rate: has('rate') ? arg('rate', 0) : 0 });
  console.log(`stub control plane at ${s.url}`);
}
